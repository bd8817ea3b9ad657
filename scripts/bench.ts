/**
 * `npm run bench`: measures the local IC and the schema layer, prints the figures and writes them to
 * docs/benchmarks.md. Wall times are quoted only as ratios measured in the same run; on the IC the unit of
 * cost is the instruction.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { format, resolveConfig } from 'prettier';

import { BENCH_ROUNDS, benchInstrumentation, benchLocalIc } from '../src/replica/local-ic.bench';
import { FULL_ALLOCATOR_FOR_HUGE_FUNCTIONS } from '../src/replica/wasm/compile';
import { benchToken, benchTransferSteps, type TransferStep } from '../src/canisters/token/token.bench';
import { benchWallet } from '../src/canisters/wallet/wallet.bench';
import { benchIndex } from '../src/canisters/ledger_index/ledger_index.bench';
import { DASHBOARD_REFRESH_SECONDS } from '../src/canisters/registry/dashboard';
import { benchRegistry } from '../src/canisters/registry/registry.bench';
import { benchCrypto } from '../src/ic/crypto/crypto.bench';
import { benchAzleCosts } from './azle-costs';
import { wasmOf } from './lib/build';
import { ROOT } from './lib/canisters';
import { bundleFigures, bundleTable } from './bundle-size';

/**
 * The same calls measured on Azle's own template, where every hash and signature check is JS: the last
 * `npm run bench` before the suite's runtime (docs/benchmarks.md at commit 2f70952, 2026-11-22), kept for
 * comparison as DFINITY's canbench figures are. Measuring them again needs a build on Azle's template
 * (`wasmOf(name, project, 'azle')`), which the crypto table above does in this run.
 */
const JS_PATH_FIGURES: Readonly<Record<string, string>> = {
    '`icrc1_transfer` to a new account, with `created_at_time` and a 32-byte memo': '35,936,056',
    '`icrc2_approve` of a new spender, with `expires_at`': '37,519,639',
    '`icrc2_transfer_from`': '40,203,932',
    'one transfer inside an `icrc4_transfer_batch` of 100': '27,460,255',
    '`icrc3_get_blocks` of 100 blocks (per call)': '14,261,297',
    '`icrc1_transfer` as above, 1,000 accounts in the ledger': '36,438,940'
};
const JS_PATH_REGISTRY = {
    register: ['200,230,178', '213,405,852', '307,990,379'],
    claim: ['191,586,506', '205,398,584', '301,172,194'],
    relay: ['190,862,760', '208,643,171', '303,296,029']
} as const;

/** Updates per path for the bookkeeping figure: fewer let wall-clock noise on a shared machine decide it. */
const CALLS = Number(process.env.BENCH_CALLS ?? 3000);
/** Calls per token figure (the median is reported). */
const TOKEN_ROUNDS = Number(process.env.BENCH_TOKEN_ROUNDS ?? 5);

function step(text: string): void {
    process.stdout.write(`  … ${text}\n`);
}

async function main(): Promise<void> {
    const started = performance.now();
    console.log('[1/9] building examples/counter');
    const counterWasm = await wasmOf('counter');

    console.log('[2/9] local IC');
    const ic = await benchLocalIc(counterWasm, CALLS, step);
    const overhead = ic.bookkeepingCost;

    console.log('[3/9] instrumentation, variant by variant');
    const variants = benchInstrumentation(counterWasm, Math.floor(CALLS / 2), step);

    console.log('[4/9] schema layer bundle size');
    const bundles = await bundleFigures();

    console.log('[5/9] SHA-256 and signature checks inside a canister, native and JS');
    const crypto = await benchCrypto({
        suite: await wasmOf('crypto', 'fixtures'),
        azle: await wasmOf('crypto', 'fixtures', 'azle')
    });

    console.log("[6/9] Azle's building blocks inside a canister");
    const azleCosts = await benchAzleCosts(await wasmOf('azle_costs', 'fixtures'));

    console.log('[7/9] the token canister');
    const token = await benchToken(await wasmOf('token'), await wasmOf('token_seeder', 'fixtures'), TOKEN_ROUNDS, step);
    const transferSteps = await benchTransferSteps(await wasmOf('token_profile', 'fixtures'));

    console.log('[8/9] the wallet canister');
    const wallet = await benchWallet(
        {
            wallet: await wasmOf('wallet'),
            token: await wasmOf('token'),
            probe: await wasmOf('probe', 'fixtures'),
            sponsorshipSeeder: await wasmOf('sponsorship_seeder', 'fixtures')
        },
        TOKEN_ROUNDS,
        step
    );

    console.log('[9/9] the registry canister');
    const registry = await benchRegistry(
        { registry: await wasmOf('registry'), seeder: await wasmOf('registry_seeder', 'fixtures') },
        TOKEN_ROUNDS,
        step
    );

    console.log('[index] the ledger index canister');
    const index = await benchIndex({ token: await wasmOf('token'), index: await wasmOf('ledger_index') }, step);

    const fmt = (n: number, digits = 0) =>
        n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
    const doc = `# Benchmarks

Written by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${CALLS} calls per path).
On the IC the unit of cost is the instruction; wall times here are only compared with each other, within one run.

## Local IC on \`examples/counter\`

| figure | value |
|---|---|
| creating a \`LocalIc\` (mostly deriving its BLS subnet key) | ${fmt(ic.createMs, 1)} ms |
| wasm size | ${fmt(ic.wasmBytes)} bytes |
| instrumenting the wasm (first time; then cached by hash, in memory and on disk) | ${fmt(ic.instrumentMs)} ms |
| create + install, first | ${fmt(ic.firstInstallMs)} ms |
| create + install, same wasm again | ${fmt(ic.cachedInstallMs)} ms |
| \`canister_init\` instructions (Azle evaluates the whole bundle) | ${fmt(Number(ic.initInstructions))} |
| \`increment\` instructions per call | ${fmt(Number(ic.incrementInstructions))} |
| \`get\` (query) instructions per call | ${fmt(Number(ic.getInstructions))} |

### Bookkeeping cost

The same \`increment\` update, ${ic.calls} times on each path, interleaved in ${BENCH_ROUNDS} rounds; the cost is the median of
the rounds' ratios (wall-clock noise on a shared machine moves single rounds by ±20 %):

| path | updates per second |
|---|---|
| \`LocalIc.updateCall\`: metering, write tracking, rollback, cycles, call contexts | ${fmt(ic.fullCallsPerSecond)} |
| bare wasm, do-nothing host (no instrumentation) | ${fmt(ic.bareCallsPerSecond)} |
| **bookkeeping cost** (1 − full / bare, median round) | **${fmt(overhead * 100, 1)} %** (target: at most 30 %) |

### Where the cost goes

The counter's wasm under the same trivial host (no journal, rollback or accounting), with each part of the
instrumentation on or off; interleaved in ${BENCH_ROUNDS} rounds, each cost the median of the rounds' ratios:

| variant | updates per second | cost against the raw wasm |
|---|---|---|
${variants.map((v) => `| ${v.variant} | ${fmt(v.callsPerSecond)} | ${fmt(v.costVsRaw * 100, 1)} % |`).join('\n')}

Metering (the replica's per-basic-block instruction accounting) is most of it: QuickJS's interpreter runs
through many tiny basic blocks, and each one adds to the counter. What the full path costs beyond the last row
is the host's: committing the pages an update wrote, and serving its system API calls.
${
    FULL_ALLOCATOR_FOR_HUGE_FUNCTIONS
        ? "Both paths ran with huge functions compiled by V8's full register allocator (`src/replica/wasm/compile.ts`)."
        : "This run kept V8's default for huge functions, its simpler register allocator (`src/replica/wasm/compile.ts`)."
}

## Schema layer in a canister bundle (\`examples/counter\`)

${bundleTable(bundles)}

## Crypto inside a canister: the suite's runtime against the JS path

Every ICRC-3 block hash, certified tip, deduplication key and device principal is a SHA-256 or SHA-224, and every
device message a signature check. On the suite's runtime (\`azle-runtime/\`) they are Rust; a canister built on
the template Azle ships runs the JS implementations, which QuickJS interprets. Instructions per call in the
\`crypto\` test fixture (one call, read from the canister's instruction counter):

| SHA-256 of | native | JS (\`src/ic/crypto/js-sha256.ts\`) | @noble/hashes | JS / native |
|---|---|---|---|---|
${crypto.sha256.map((f) => `| ${f.bytes} bytes | ${fmt(Number(f.native))} | ${fmt(Number(f.js))} | ${fmt(Number(f.noble))} | ${fmt(Number(f.js) / Number(f.native))}× |`).join('\n')}

| signature check | native | JS (@noble/curves, its tables built) | JS / native |
|---|---|---|---|
${crypto.verify.map((f) => `| ${f.curve} | ${fmt(Number(f.native))} | ${fmt(Number(f.js))} | ${fmt(Number(f.js) / Number(f.native))}× |`).join('\n')}

## Azle's building blocks inside a canister

What the token's design rests on, measured in the \`azle_costs\` test fixture (each block once, from the
canister's own instruction counter; the first row is a whole message):

| building block | instructions |
|---|---|
${azleCosts.map((f) => `| ${f.figure} | ${fmt(Number(f.instructions))} |`).join('\n')}

## The token canister (\`src/canisters/token\`)

Instructions per call (median of ${TOKEN_ROUNDS}), whole message, on the suite's runtime (native SHA-256), beside
the same call on Azle's own template (JS SHA-256; the last run before the runtime, 2026-11-22) and DFINITY's Rust
ledger (canbench, u64 build). Targets of issue 20: \`icrc1_transfer\` at most 5M (goal 2.5M), \`icrc2_approve\` at
most 6M, \`icrc2_transfer_from\` at most 7M, one transfer inside a batch of 100 at most 2.5M.

| call | this ledger | on Azle's template (JS crypto) | DFINITY's Rust ledger |
|---|---|---|---|
${token.figures.map((f) => `| ${f.call} | ${fmt(Number(f.instructions))} | ${JS_PATH_FIGURES[f.call] ?? '–'} | ${f.rust} |`).join('\n')}

${transferStepsTable(transferSteps, token.figures)}

The transfer at ${fmt(token.scale.accounts)} accounts costs ${fmt(Number(token.scale.large) / Number(token.scale.small), 3)}× the transfer at
1,000 (issue 4: at most 1.3×). The million accounts are written by the \`token_seeder\` test fixture in the
token's own layout, then the token's wasm is upgraded back in.

Stable memory, from its growth while the seeder stores ${fmt(token.storage.accounts)} balances and
${fmt(token.storage.blocks)} copies of a transfer block (with a 32-byte memo and \`created_at_time\`): ${fmt(token.storage.bytesPerAccount, 1)}
bytes per account, ${fmt(token.storage.bytesPerBlock, 1)} bytes per block. Each stable map grows in buckets of 128
pages (8 MiB, Azle's memory manager), so each figure is within 8 MiB divided by the count.

## The wallet canister (\`src/canisters/wallet\`)

Instructions (median of ${TOKEN_ROUNDS}), every message of the call in the wallet (the call and the callbacks
after its awaits), counted by the local IC:

| call | instructions |
|---|---|
| \`wallet_send128\` (the call, then the callback after \`deposit_cycles\`) | ${fmt(Number(wallet.send))} |
| a funding round over ${wallet.round.sponsored} sponsored canisters, each topped up (\`canister_status\` and \`deposit_cycles\` for each) | ${fmt(Number(wallet.round.topUps))} |
| the same round when no canister needs cycles (\`canister_status\` for each) | ${fmt(Number(wallet.round.checksOnly))} |
| \`proxy\` (icp-cli's \`icp deploy --proxy <wallet>\`): \`create_canister\` with 1T cycles, the call and its callback | ${fmt(Number(wallet.proxy.create))} |
| \`proxy\`: \`install_code\` of a ${fmt(wallet.proxy.moduleBytes / 1024 / 1024, 2)} MiB gzipped module (the probe fixture) | ${fmt(Number(wallet.proxy.install))} |

The sponsorship module's quota check in a sponsored call (issue 5: at most 0.3M): the same \`icrc1_transfer\`
calls on two tokens, one whose policy meters the method (per-caller call and instruction quotas, a deny list,
a global cap) and one whose does not; median of the per-call differences: **${fmt(Number(wallet.quota.overhead))}**
instructions (${fmt(Number(wallet.quota.metered))} metered, ${fmt(Number(wallet.quota.unmetered))} not).

The same check with ${fmt(wallet.quotaScale.small)} and with ${fmt(wallet.quotaScale.large)} distinct callers in one window (issue 24: at most 1.3×):
${fmt(Number(wallet.quotaScale.smallOverhead))} against ${fmt(Number(wallet.quotaScale.largeOverhead))} instructions, **${fmt(Number(wallet.quotaScale.largeOverhead) / Number(wallet.quotaScale.smallOverhead), 3)}×**.
The callers are written by the \`sponsorship_seeder\` test fixture in the module's own layout, then the token's wasm is
upgraded back in. Stable memory, from its growth between the two: ${fmt(wallet.quotaScale.bytesPerCaller, 1)} bytes per caller
(its entry and its expiry-index entry), so the book's bound of 2,000,000 callers is at most
${fmt((wallet.quotaScale.bytesPerCaller * 2_000_000) / 1024 / 1024, 0)} MiB.

## The registry canister (\`src/canisters/registry\`)

Instructions (median of ${TOKEN_ROUNDS} where a call repeats), every message of the call, counted by the local IC.
Signature checks are native (the suite's runtime); in brackets, the same call on Azle's own template, where they
are @noble/curves in QuickJS (the last run before the runtime, 2026-11-22). Targets of issue 20: per device or
signature at most 15M for \`register_devices\` and \`claim_device\`, at most 12M for \`relay_heartbeats\`, on each curve.

| call | Ed25519 | secp256k1 | P-256 |
|---|---|---|---|
| \`register_devices\`, per device in a batch of 100 | ${fmt(Number(registry.registerBatch.Ed25519))} (${JS_PATH_REGISTRY.register[0]}) | ${fmt(Number(registry.registerBatch.Secp256k1))} (${JS_PATH_REGISTRY.register[1]}) | ${fmt(Number(registry.registerBatch.P256))} (${JS_PATH_REGISTRY.register[2]}) |
| \`claim_device\` (the device's signed claim) | ${fmt(Number(registry.claimDevice.Ed25519))} (${JS_PATH_REGISTRY.claim[0]}) | ${fmt(Number(registry.claimDevice.Secp256k1))} (${JS_PATH_REGISTRY.claim[1]}) | ${fmt(Number(registry.claimDevice.P256))} (${JS_PATH_REGISTRY.claim[2]}) |
| \`relay_heartbeats\`, per signature in a batch of 100 | ${fmt(Number(registry.relayed.Ed25519))} (${JS_PATH_REGISTRY.relay[0]}) | ${fmt(Number(registry.relayed.Secp256k1))} (${JS_PATH_REGISTRY.relay[1]}) | ${fmt(Number(registry.relayed.P256))} (${JS_PATH_REGISTRY.relay[2]}) |

| call | instructions |
|---|---|
| \`register_device\`, one Ed25519 device | ${fmt(Number(registry.registerSingle))} |
| \`heartbeat\` as the device's own principal (the IC checked its signature) | ${fmt(Number(registry.heartbeat))} |
| \`claim_rewards\` for one device (the call and the callback after the token's mint) | ${fmt(Number(registry.claimRewards))} |
| closing an epoch of 1,000 devices (the closing timer's messages) | ${fmt(Number(registry.closePer1000))} |
| refreshing the dashboard's certified figures (its timer, every ${DASHBOARD_REFRESH_SECONDS} s) | ${fmt(Number(registry.dashboardRefresh))} |

At ${fmt(registry.scale.large)} devices against ${fmt(registry.scale.small)} (issue 6: at most 1.3×): \`register_device\`
${fmt(Number(registry.scale.registerLarge))} against ${fmt(Number(registry.scale.registerSmall))} (${fmt(Number(registry.scale.registerLarge) / Number(registry.scale.registerSmall), 3)}×); \`heartbeat\`
${fmt(Number(registry.scale.heartbeatLarge))} against ${fmt(Number(registry.scale.heartbeatSmall))} (${fmt(Number(registry.scale.heartbeatLarge) / Number(registry.scale.heartbeatSmall), 3)}×). The extra devices are
written by the \`registry_seeder\` test fixture in the registry's own layout, then the registry's wasm is upgraded back in.
Stable memory per device (record, liveness, two group indexes), from the growth while seeding: ${fmt(registry.bytesPerDevice, 1)} bytes.

A month of ${fmt(registry.scale.large)} devices each sending a heartbeat as itself every 10 minutes (${fmt(Number(registry.month.heartbeats))}
heartbeats; Piggycell's stress-test scale), at the 13-node prices of \`src/ic/cycle-prices.ts\` (ingress and
update fees, instructions at the 100,000-device figure), with hourly epochs and the stable memory above:

| part | cycles per month |
|---|---|
| heartbeats | ${fmt(Number(registry.month.cyclesHeartbeats) / 1e12, 1)} T |
| closing 720 epochs of ${fmt(registry.scale.large)} devices | ${fmt(Number(registry.month.cyclesClosing) / 1e12, 1)} T |
| the dashboard's refreshes | ${fmt(Number(registry.month.cyclesDashboard) / 1e12, 3)} T |
| stable memory | ${fmt(Number(registry.month.cyclesStorage) / 1e12, 3)} T |
| **total** | **${fmt(Number(registry.month.total) / 1e12, 1)} T** (1T cycles = 1 XDR, about ${fmt((Number(registry.month.total) / 1e12) * 1.35, 0)} USD at 1.35 USD per XDR) |

The same month with every heartbeat relayed by a gateway instead, in batches of 100 (one ingress message and one
update per batch, a signature check per heartbeat, the batch's Candid bytes as measured), in place of the
heartbeats row:

| devices' curve | heartbeats relayed, cycles per month | against calling directly |
|---|---|---|
${(['Ed25519', 'Secp256k1', 'P256'] as const).map((c) => `| ${c} | ${fmt(Number(registry.month.cyclesRelayed[c]) / 1e12, 1)} T | ${fmt(Number(registry.month.cyclesRelayed[c]) / Number(registry.month.cyclesHeartbeats), 2)}× |`).join('\n')}

A relayed heartbeat pays its signature check, natively a few million instructions (above), and saves the
per-message fees of an ingress call; a device that can call the IC itself still costs the registry nothing for
its signature, which the IC checks.

## The ledger index canister (\`src/canisters/ledger_index\`)

Syncing from the token by timer, one page of blocks a message (transfers with a 32-byte memo and
\`created_at_time\`), and index-ng's \`get_account_transactions\` on an account with 300 transactions.

| what | instructions |
|---|---|
| syncing, per block (a page of 100 in one message: the timer, the call to \`icrc3_get_blocks\` and its callback) | ${fmt(Number(index.syncPerBlock))} |
| \`get_account_transactions\`, a page of 10 | ${fmt(Number(index.page10))} |
| \`get_account_transactions\`, a page of 100 | ${fmt(Number(index.page100))} |
`;
    // formatted as `npm run lint` expects, so a fresh benchmark can be committed as written
    const path = join(ROOT, 'docs', 'benchmarks.md');
    writeFileSync(path, await format(doc, { ...(await resolveConfig(path)), filepath: path }));
    console.log(`\n${doc}`);
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; written to docs/benchmarks.md`);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});

/**
 * Where a transfer's instructions go, step by step (the \`token_profile\` fixture), and the rest of the whole
 * message: Azle's dispatch, the argument's decoding and check, the sponsorship meter and the reply.
 */
function transferStepsTable(steps: readonly TransferStep[], figures: readonly { call: string; instructions: bigint }[]): string {
    const fmtN = (n: bigint) => Number(n).toLocaleString('en-US');
    const whole = (prefix: string) => figures.find((f) => f.call.startsWith(prefix))?.instructions ?? 0n;
    const alone = whole('`icrc1_transfer` to a new account');
    const batched = whole('one transfer inside');
    const sum = (pick: (s: TransferStep) => bigint) => steps.reduce((total, s) => total + pick(s), 0n);
    const rows = steps.map((s) => `| ${TRANSFER_STEP_NAMES[s.step] ?? s.step} | ${fmtN(s.alone)} | ${fmtN(s.batched)} |`);
    return `Where a transfer's instructions go: the token's \`Ledger\` traced at each step of its pipeline in the
\`token_profile\` test fixture (on the suite's runtime, stable maps in the token's layout), per transfer; the last
row is the rest of the whole-message figure above.

| step | a transfer alone | a transfer inside a batch of 100 |
|---|---|---|
${rows.join('\n')}
| message entry and reply: Azle's dispatch, decoding and checking the argument, the meter, the reply | ${fmtN(alone - sum((s) => s.alone))} | ${fmtN(batched - sum((s) => s.batched))} |`;
}

const TRANSFER_STEP_NAMES: Readonly<Record<string, string>> = {
    built: "the operation built: accounts, fee and burn rules, the balance read, the transaction's bytes",
    hashed: "the transaction's ICRC-3 hash (native) and dedup key",
    admitted: 'admission: housekeeping, throttle, time window, dedup look-up',
    settled: 'settlement: funds check, the two balance writes',
    appended: "the fee, the block's bytes, its hash, storing it, the dedup entries",
    committed: 'the tip stored and certified (once per message)'
};
