/**
 * What the wallet's calls cost, in instructions on the local IC: `wallet_send128` (the call and its callback),
 * a funding round over 10 sponsored canisters, what the sponsorship module's quota check adds to a sponsored
 * call of the token (the same transfers on two tokens, one metering them and one not), the same at 1,000 and at
 * 1,000,000 callers in the window (written by the `sponsorship_seeder` fixture in the module's own layout), and
 * `icp deploy --proxy` through the wallet (`proxy`: creating a canister, and installing a gzipped module into it).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { IDL } from '@dfinity/candid';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

import { LocalIc } from '../../replica';
import type { ActorOf } from '../../candid';
import { decoder, encoder } from '../../candid/wire';
import { managementService } from '../../ic/management';
import type { SponsorPolicy } from '../../sponsorship/policy';
import { encodeLedgerArg, ledgerInit } from '../token/deploy';
import { tokenService } from '../token/service';
import { walletService } from './service';

type WalletActor = ActorOf<typeof walletService.methods> & { setIdentity(identity: Ed25519KeyIdentity): void };
type TokenActor = ActorOf<typeof tokenService.methods> & {
    setIdentity(identity: Ed25519KeyIdentity): void;
    setPrincipal(principal: Principal): void;
};

export type WalletBench = {
    /** `wallet_send128`: every message of the call (the call and the callback after `deposit_cycles`). */
    send: bigint;
    /** A funding round over `sponsored` canisters, each topped up: all of the round's messages. */
    round: { sponsored: number; topUps: bigint; checksOnly: bigint };
    /** The token's `icrc1_transfer` with and without the sponsorship quota check (median of per-call differences). */
    quota: { metered: bigint; unmetered: bigint; overhead: bigint };
    /** The quota check's cost with `small` and `large` callers in the window, and the stable bytes a caller takes. */
    quotaScale: { small: number; large: number; smallOverhead: bigint; largeOverhead: bigint; bytesPerCaller: number };
    /** `proxy` as icp-cli calls it: `create_canister`, then `install_code` of a `moduleBytes` gzipped module. */
    proxy: { create: bigint; install: bigint; moduleBytes: number };
};

const T = 1_000_000_000_000n;
const SPONSORED = 10;
/** Callers in the window the quota check is measured at, seeded in chunks (one message each). */
const QUOTA_SCALE = [1_000, 1_000_000] as const;
const SEED_CHUNK = 25_000;
/** A day: the seeded callers' windows stay open while the benchmark runs. */
const SCALE_WINDOW_SECONDS = 86_400n;

type SeederActor = {
    seed_callers(method: string, start: number, count: number, windowSeconds: bigint): Promise<bigint>;
};
const seederIdl: IDL.InterfaceFactory = ({ IDL: idl }) =>
    idl.Service({ seed_callers: idl.Func([idl.Text, idl.Nat32, idl.Nat32, idl.Nat64], [idl.Nat64], []) });

function median(values: bigint[]): bigint {
    const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted[Math.floor(sorted.length / 2)] as bigint;
}

/** Instructions of everything `call` makes the canister run. */
async function measured(ic: LocalIc, canister: Principal, call: () => Promise<unknown>): Promise<bigint> {
    const before = ic.totalInstructions(canister);
    await call();
    return ic.totalInstructions(canister) - before;
}

export async function benchWallet(
    wasms: { wallet: string; token: string; probe: string; sponsorshipSeeder: string },
    rounds: number,
    progress: (text: string) => void
): Promise<WalletBench> {
    const ic = await LocalIc.create();
    const owner = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(7));
    const init = walletService.encodeInit(IDL, [[{ controllers: [owner.getPrincipal()], funding: [] }]]);
    const { canisterId: walletId } = await ic.setupCanister({
        idlFactory: walletService.idlFactory as never,
        wasm: wasms.wallet,
        arg: init,
        cycles: 10_000n * T
    });
    await ic.tick(2);
    const wallet = ic.createActor(walletService.idlFactory as never, walletId) as unknown as WalletActor;
    wallet.setIdentity(owner);

    progress('wallet_send128');
    const { canisterId: target } = await ic.setupCanister({
        idlFactory: walletService.idlFactory as never,
        wasm: wasms.probe,
        cycles: T
    });
    const sends: bigint[] = [];
    for (let i = 0; i < rounds; i++)
        sends.push(await measured(ic, walletId, () => wallet.wallet_send128({ canister: target, amount: T })));

    progress(`a funding round over ${SPONSORED} sponsored canisters`);
    for (let i = 0; i < SPONSORED; i++) {
        const { canisterId } = await ic.setupCanister({
            idlFactory: walletService.idlFactory as never,
            wasm: wasms.probe,
            cycles: T,
            controllers: [Principal.anonymous(), walletId] // the installer, and the wallet (to read its status)
        });
        await wallet.sponsor_canister({
            canister: canisterId,
            name: [],
            strategy: { Fixed: { amount: T, interval_seconds: 60n } },
            budget: []
        });
    }
    const topUps: bigint[] = [];
    const checks: bigint[] = [];
    for (let i = 0; i < rounds; i++) {
        await ic.advanceTime(61_000);
        topUps.push(await measured(ic, walletId, () => wallet.fund_now()));
        checks.push(await measured(ic, walletId, () => wallet.fund_now()));
    }

    progress('the quota check in a sponsored call of the token');
    const holder = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(8));
    const tokenArg = encodeLedgerArg(
        ledgerInit({
            mintingAccount: { owner: owner.getPrincipal(), subaccount: [] },
            transferFee: 10n,
            initialBalances: [[{ owner: holder.getPrincipal(), subaccount: [] }, 10n ** 12n]],
            archiveController: owner.getPrincipal()
        })
    );
    const tokens = [];
    for (let i = 0; i < 2; i++) {
        const { canisterId } = await ic.setupCanister({
            idlFactory: tokenService.idlFactory as never,
            wasm: wasms.token,
            arg: tokenArg
        });
        await ic.tick(2);
        const actor = ic.createActor(tokenService.idlFactory as never, canisterId) as unknown as TokenActor;
        tokens.push({ canisterId, actor });
    }
    const policy: SponsorPolicy = {
        version: 1n,
        window_seconds: 60n,
        methods: [
            ['icrc1_transfer', { refuse_anonymous: true, calls_per_window: [1_000_000n], instructions_per_window: [10n ** 15n] }]
        ],
        deny: [Principal.fromUint8Array(Uint8Array.of(1))],
        allow: [],
        global_calls_per_window: [1_000_000n]
    };
    const [meteredToken, plainToken] = tokens as [(typeof tokens)[0], (typeof tokens)[0]];
    await meteredToken.actor.sponsorship_set_policy(policy);
    let transfers = 0;
    /** The same transfer on both tokens, `rounds` times: each token's median and the median difference. */
    const compare = async () => {
        const metered: bigint[] = [];
        const unmetered: bigint[] = [];
        const differences: bigint[] = [];
        for (let i = 0; i < rounds; i++) {
            const n = transfers++;
            const arg = {
                from_subaccount: [] as [],
                to: { owner: Principal.fromUint8Array(Uint8Array.of(2, n >> 8, n & 0xff)), subaccount: [] as [] },
                amount: 1n,
                fee: [] as [],
                memo: [] as [],
                created_at_time: [] as []
            };
            const costs: bigint[] = [];
            for (const { canisterId, actor } of [meteredToken, plainToken]) {
                actor.setIdentity(holder);
                costs.push(await measured(ic, canisterId, () => actor.icrc1_transfer(arg)));
            }
            const [m, u] = costs as [bigint, bigint];
            metered.push(m);
            unmetered.push(u);
            differences.push(m - u);
        }
        return { metered: median(metered), unmetered: median(unmetered), overhead: median(differences) };
    };
    const quota = await compare();

    // The same check with 1,000 and then 1,000,000 callers in one window: written by the seeder fixture in the
    // module's own layout, then the token's wasm is upgraded back in.
    meteredToken.actor.setPrincipal(Principal.anonymous()); // the installer: a controller of the token
    await meteredToken.actor.sponsorship_set_policy({ ...policy, version: 2n, window_seconds: SCALE_WINDOW_SECONDS });
    const seeder = ic.createActor(seederIdl as never, meteredToken.canisterId) as unknown as SeederActor;
    const upgradeArg = encodeLedgerArg({ Upgrade: [] });
    let seeded = 0;
    const atScale: { callers: number; overhead: bigint; stableBytes: number }[] = [];
    for (const callers of QUOTA_SCALE) {
        progress(`the quota check with ${callers.toLocaleString('en-US')} callers in the window`);
        await ic.upgradeCanister({ canisterId: meteredToken.canisterId, wasm: wasms.sponsorshipSeeder });
        while (seeded < callers) {
            const count = Math.min(SEED_CHUNK, callers - seeded);
            await seeder.seed_callers('icrc1_transfer', seeded, count, SCALE_WINDOW_SECONDS);
            seeded += count;
            if (seeded % 200_000 === 0) progress(`${seeded.toLocaleString('en-US')} callers`);
        }
        const stableBytes = (await ic.getStableMemory(meteredToken.canisterId)).length;
        await ic.upgradeCanister({ canisterId: meteredToken.canisterId, wasm: wasms.token, arg: upgradeArg });
        const tracked = (await meteredToken.actor.sponsorship_status()).tracked_callers;
        if (tracked < BigInt(callers)) throw new Error(`the book holds ${tracked} callers, not ${callers}`);
        atScale.push({ callers, overhead: (await compare()).overhead, stableBytes });
    }
    const [small, large] = atScale as [(typeof atScale)[0], (typeof atScale)[0]];
    progress('icp deploy --proxy: create_canister and install_code through the wallet');
    const management = managementService.methods;
    const createArgs = encoder(management.create_canister.args)([{ settings: [], sender_canister_version: [] }]);
    const created = decoder([management.create_canister.ret as NonNullable<typeof management.create_canister.ret>]);
    const install = encoder(management.install_code.args);
    const module = gzipSync(readFileSync(wasms.probe), { level: 9 });
    /** A management call through `proxy`, its reply, and the instructions of all it made the wallet run. */
    const proxied = async (method: string, args: Uint8Array, cycles: bigint) => {
        let reply: Uint8Array | undefined;
        const instructions = await measured(ic, walletId, async () => {
            const result = await wallet.proxy({ canister_id: Principal.managementCanister(), method, args, cycles });
            if (!('Ok' in result)) throw new Error(`the proxied ${method} failed: ${JSON.stringify(result, String)}`);
            reply = result.Ok.result;
        });
        return { reply: reply as Uint8Array, instructions };
    };
    const creates: bigint[] = [];
    const installs: bigint[] = [];
    for (let i = 0; i < rounds; i++) {
        const creation = await proxied('create_canister', createArgs, T);
        creates.push(creation.instructions);
        const [{ canister_id }] = created(creation.reply) as [{ canister_id: Principal }];
        const installArgs = install([
            {
                mode: { install: null },
                canister_id,
                wasm_module: module,
                arg: new Uint8Array(IDL.encode([], [])),
                sender_canister_version: []
            }
        ]);
        installs.push((await proxied('install_code', installArgs, 0n)).instructions);
    }

    await ic.tearDown();
    return {
        proxy: { create: median(creates), install: median(installs), moduleBytes: module.length },
        send: median(sends),
        round: { sponsored: SPONSORED, topUps: median(topUps), checksOnly: median(checks) },
        quota,
        quotaScale: {
            small: small.callers,
            large: large.callers,
            smallOverhead: small.overhead,
            largeOverhead: large.overhead,
            bytesPerCaller: (large.stableBytes - small.stableBytes) / (large.callers - small.callers)
        }
    };
}
