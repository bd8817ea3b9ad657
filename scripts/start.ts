/**
 * `npm start`: builds every canister of dfx.json, starts a local IC in this process, deploys each canister with
 * its init arguments from deploy.config.ts, wires the suite together as its `wiring` says (the wallet controls
 * and funds the token and the registry and meters their callers through the sponsorship module; the registry is
 * the token's minting account), runs the DePIN demo (`scripts/lib/demo.ts`: 1,000 devices, three epochs, rewards) and
 * prints a summary.
 *
 * `npm start -- --serve [--port 4943]` then keeps the suite serving the IC's HTTP interface (`src/network`)
 * for agents, dfx, icp-cli and the examples, until Ctrl-C. The demo's simulated hours are placed before the
 * wall clock, so the network can run on wall-clock time afterwards, as agents expect. `--custodian <principal>`
 * (repeatable) makes a principal a custodian of the wallet, so that it may spend through it: with icp-cli,
 * `icp deploy -e suite-local --proxy <wallet>` (docs/deploy.md).
 */
import { relative } from 'node:path';

import { IDL } from '@dfinity/candid';
import type { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';

import config, { type DeployConfig, wiring } from '../deploy.config';
import { tokenService } from '../src/canisters/token/service';
import { walletService } from '../src/canisters/wallet/service';
import { DEFAULT_PORT, LocalNetwork, writeNetworkFile } from '../src/network';
import { LocalIc } from '../src/replica';
import { buildCanister } from './lib/build';
import { seededIdentity } from './lib/identities';
import { readCanisters, ROOT } from './lib/canisters';
import { formatCycles, integerFlag, parseCommandLine, principalFlag, runTool, UsageError } from './lib/cli';
import { runDemo, type TokenActor, type WalletActor } from './lib/demo';
import type { ActorOf } from '../src/candid';
import { describeWired, sponsoredService, wireSuite as wire } from './lib/wiring';
import { loadService } from './generate';

const T = 1_000_000_000_000n;
/** How far before the wall clock a served network's clock starts: the demo simulates about 4.5 hours. */
const DEMO_HEADROOM_MS = 6 * 3_600_000;
/** Cycles each canister starts with; the wallet holds the suite's treasury. */
const START_CYCLES: Record<string, bigint> = { wallet: 100n * T };
const DEFAULT_START_CYCLES = 3n * T;

type SponsoredActor = ActorOf<typeof sponsoredService.methods> & { setIdentity(identity: Ed25519KeyIdentity): void };

/**
 * The wallet becomes a controller, the funder and the meter of the canisters deploy.config.ts's `wiring` names,
 * which report to it; `custodians` may spend through the wallet (e.g. as icp-cli's proxy). With a token, a few
 * transfers then show a usage report reaching the wallet.
 */
async function wireSuite(
    ic: LocalIc,
    deployer: Ed25519KeyIdentity,
    ids: Map<string, Principal>,
    custodians: readonly Principal[]
): Promise<string[]> {
    const walletId = ids.get(wiring.wallet);
    if (walletId === undefined) return [];
    const asDeployer = <A extends { setIdentity(identity: Ed25519KeyIdentity): void }>(idlFactory: unknown, id: Principal): A => {
        const actor = ic.createActor(idlFactory as never, id) as unknown as A;
        actor.setIdentity(deployer);
        return actor;
    };
    const wallet = asDeployer<WalletActor>(walletService.idlFactory, walletId);
    const setControllers = (canisterId: Principal, controllers: Principal[]) =>
        ic.updateCanisterSettings({ canisterId, controllers, sender: deployer.getPrincipal() });
    const wired = await wire(
        {
            ids,
            wallet: () => wallet,
            sponsored: (id) => asDeployer<SponsoredActor>(sponsoredService.idlFactory, id),
            controllersOf: (canisterId) => ic.getControllers(canisterId),
            setControllers
        },
        deployer.getPrincipal(),
        wiring
    );
    for (const custodian of custodians) await wallet.authorize(custodian);
    const round = await wallet.fund_now();
    const lines = [
        `wallet ${walletId.toText()} controls, funds and meters ${wired.length} canister(s) (deploy.config.ts's wiring):`,
        ...wired.map((w) => `  ${describeWired(w)}`),
        `funding round: ${round.checked} checked, ${round.topped_up} topped up, ${formatCycles(round.cycles_sent)} sent, ${round.instructions.toLocaleString('en-US')} instructions`
    ];
    for (const { name, id } of wired) {
        const { policy } = await asDeployer<SponsoredActor>(sponsoredService.idlFactory, id).sponsorship_status();
        lines.push(`${name} took policy v${policy.version} from the wallet`);
    }

    const tokenId = ids.get('token');
    if (tokenId !== undefined && wired.some((w) => w.name === 'token')) {
        const token = asDeployer<TokenActor>(tokenService.idlFactory, tokenId);
        for (let i = 0; i < 5; i++) {
            const result = await token.icrc1_transfer({
                from_subaccount: [],
                to: { owner: walletId, subaccount: [] },
                amount: 1_000n,
                fee: [],
                memo: [],
                created_at_time: []
            });
            if (!('Ok' in result)) throw new Error(`transfer failed: ${JSON.stringify(result)}`);
        }
        await ic.advanceTime(Number(wiring.reportIntervalSeconds) * 1_000 + 1_000); // the token's next usage report
        await ic.tick(5);
        const sponsored = (await wallet.list_sponsored()).find((s) => s.canister.compareTo(tokenId) === 'eq');
        const usage = sponsored?.usage.find((u) => u.method === 'icrc1_transfer');
        lines.push(
            `usage reported to the wallet: icrc1_transfer ${usage?.calls ?? 0n} calls, ${(usage?.instructions ?? 0n).toLocaleString('en-US')} instructions, ${formatCycles(usage?.cycles ?? 0n)}`
        );
    }
    const registryId = ids.get('registry');
    if (tokenId !== undefined && registryId !== undefined) lines.push("the registry is the token's minting account");
    return [
        ...lines,
        ...custodians.map((c) => `${c.toText()} is a custodian of the wallet (it may spend through it, e.g. as icp-cli's proxy)`)
    ];
}

const USAGE = `usage: npm start [-- --serve [--port N] [--custodian PRINCIPAL]...]

  --serve                keep serving the IC's HTTP interface after the demo, until Ctrl-C
  --port N               the port it serves on (default ${DEFAULT_PORT})
  --custodian PRINCIPAL  make PRINCIPAL a custodian of the wallet (repeatable), e.g. icp-cli's identity
  -h, --help             this text`;

type StartOptions = { readonly serve: boolean; readonly port: number; readonly custodians: readonly Principal[] };

/** The options of a command line, or a usage error saying what is wrong with it. */
function parseStartCommandLine(argv: string[]): StartOptions {
    const { values } = parseCommandLine({
        args: argv,
        options: {
            serve: { type: 'boolean', default: false },
            port: { type: 'string', default: `${DEFAULT_PORT}` },
            custodian: { type: 'string', multiple: true, default: [] }
        }
    });
    const custodians = values.custodian.map((text) => {
        const principal = principalFlag('custodian', text);
        // the wallet refuses it too: anyone can call as the anonymous principal
        if (principal.isAnonymous())
            throw new UsageError(
                `--custodian ${text} is the anonymous principal, which anyone can call as; create an identity first (\`icp identity new\`)`
            );
        return principal;
    });
    return { serve: values.serve, port: integerFlag('port', values.port, { max: 65_535 }), custodians };
}

async function main(argv: string[]): Promise<void> {
    const flags = parseStartCommandLine(argv);
    const custodians = flags.custodians;
    const started = performance.now();
    const canisters = readCanisters();
    console.log(`Building ${canisters.length} canister(s)`);
    for (const [i, canister] of canisters.entries()) {
        const outcome = await buildCanister(canister);
        console.log(
            `  [${i + 1}/${canisters.length}] ${canister.name}: ${outcome.status} (${(outcome.wasmBytes / 1e6).toFixed(2)} MB)`
        );
    }

    console.log('Starting the local IC and deploying');
    const ic = await LocalIc.create(flags.serve ? { time: Date.now() - DEMO_HEADROOM_MS } : {});
    const deployer = seededIdentity(0x5d);
    const ids = new Map<string, Principal>();
    // every canister is created before any is installed, so init arguments can name each other
    for (const canister of canisters) {
        const cycles = START_CYCLES[canister.name] ?? DEFAULT_START_CYCLES;
        ids.set(canister.name, await ic.createCanister({ sender: deployer.getPrincipal(), cycles }));
    }
    const ctx = {
        deployer: deployer.getPrincipal(),
        canister: (name: keyof DeployConfig) => ids.get(name) as Principal
    };
    const rows: string[][] = [];
    for (const [i, canister] of canisters.entries()) {
        const service = loadService(canister);
        const entry = (config as Partial<Record<string, DeployConfig[keyof DeployConfig]>>)[canister.name];
        if (entry === undefined && service.init.length > 0)
            throw new Error(`deploy.config.ts has no init arguments for ${canister.name}`);
        const deployStarted = performance.now();
        const canisterId = ids.get(canister.name) as Principal;
        const arg = service.encodeInit(IDL, (entry?.init(ctx) ?? []) as never);
        await ic.installCode({ canisterId, wasm: canister.wasmPath, arg, sender: ctx.deployer });
        const initInstructions = ic.lastInstructions(canisterId);
        await ic.tick(2); // timers set at init (Azle seeds its randomness in one)
        console.log(
            `  [${i + 1}/${canisters.length}] ${canister.name}: ${canisterId.toText()} (${((performance.now() - deployStarted) / 1000).toFixed(1)} s)`
        );
        rows.push([
            canister.name,
            canisterId.toText(),
            `${Object.keys(service.methods).length}`,
            initInstructions.toLocaleString('en-US'),
            relative(ROOT, canister.generatedDidPath)
        ]);
    }

    console.log('Wiring the suite');
    const wiring = await wireSuite(ic, deployer, ids, custodians);
    wiring.forEach((line) => console.log(`  ${line}`));

    console.log('Running the DePIN demo');
    const suite = { registry: ids.get('registry'), token: ids.get('token'), wallet: ids.get('wallet') };
    if (suite.registry !== undefined && suite.token !== undefined && suite.wallet !== undefined) {
        const summary = await runDemo(ic, deployer, { registry: suite.registry, token: suite.token, wallet: suite.wallet });
        console.log('\nDemo summary');
        summary.forEach((line) => console.log(`  ${line}`));
    }

    const header = ['canister', 'id', 'methods', 'init instructions', 'memory', 'cycles', 'interface'];
    const table: string[][] = [];
    for (const row of rows) {
        const status = await ic.canisterStatus({ canisterId: ids.get(row[0] as string) as Principal, sender: ctx.deployer });
        table.push([
            ...row.slice(0, 4),
            `${(Number(status.memorySize) / 1e6).toFixed(1)} MB`,
            formatCycles(BigInt(status.cycles)),
            row[4] as string
        ]);
    }
    const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => (r[c] as string).length)));
    const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ');
    console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    table.forEach((r) => console.log(line(r)));
    console.log(
        `\n${table.length} canister(s) deployed and wired on the local IC in ${((performance.now() - started) / 1000).toFixed(1)} s`
    );
    if (flags.serve) await serve(ic, flags.port, ids);
    else await ic.tearDown();
}

/** Serves the IC's HTTP interface on wall-clock time until the process is stopped. */
async function serve(ic: LocalIc, port: number, ids: Map<string, Principal>): Promise<void> {
    const ahead = (await ic.getTime()) - Date.now();
    if (ahead > 0)
        console.warn(`the demo ran ${Math.ceil(ahead / 60_000)} min past the wall clock: requests expire until it catches up`);
    const network = await LocalNetwork.start(ic, { port, live: true });
    const networkFile = await writeNetworkFile(ROOT, network, Object.fromEntries(ids));
    console.log(`\nServing the IC's HTTP interface at ${network.url} (Ctrl-C stops it)`);
    for (const [name, id] of ids) console.log(`  ${name.padEnd(9)} ${id.toText()}`);
    const registry = ids.get('registry');
    if (registry !== undefined)
        console.log(`  dashboard ${network.gatewayUrl(registry)} (the registry's http_request, verified)`);
    console.log(`  address and ids written to ${relative(ROOT, networkFile)}; try:`);
    console.log('    npx tsx examples/device-simulator.ts --device "demo device 0"');
    console.log('    npx tsx examples/owner-cli.ts devices --demo-owner 0');
    const wallet = ids.get('wallet');
    if (wallet !== undefined) console.log(`    icp deploy -e suite-local --proxy ${wallet.toText()}   (as a --custodian)`);
    await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    await network.stop();
    await ic.tearDown();
}

runTool(USAGE, main);
