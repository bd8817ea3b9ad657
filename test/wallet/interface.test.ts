/**
 * The wallet answers clients of dfinity/cycles-wallet: every method the original's users and dfx rely on,
 * called through a client declared from the original's `lib.did` (test/support/cycles-wallet.ts), with the
 * original's rules: who may call what, the 64-bit variants' overflow refusals, the default controllers of a new
 * canister, the last controller kept, the event log's default range, and refunds accounted.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { type CanisterSettings, CYCLES_WALLET_METHODS, type LegacyEvent } from '../support/cycles-wallet';
import { createIc, type TestIc } from '../support/ic';
import { deployProbe, deployWallet, type DeployedWallet, identity, T } from './setup';

const owner = identity(1);
const custodian = identity(2);
const stranger = identity(3);
const MISSING = Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai');

let ic: TestIc;
let w: DeployedWallet;
const called = new Set<string>();

/** Calls a method of the original's interface and notes that it was called. */
function legacy<K extends (typeof CYCLES_WALLET_METHODS)[number]>(name: K) {
    called.add(name);
    return w.legacy[name].bind(w.legacy) as (typeof w.legacy)[K];
}

const kindsOf = (events: LegacyEvent[]) => events.map((e) => Object.keys(e.kind)[0]);

beforeAll(async () => {
    ic = await createIc();
    w = await deployWallet(ic, owner);
});

afterAll(async () => ic.tearDown());

describe('roles', () => {
    it('names the API version and the installer-given controller', async () => {
        expect(await legacy('wallet_api_version')()).toBe('0.3.2');
        expect((await legacy('get_controllers')()).map((p) => p.toText())).toEqual([owner.getPrincipal().toText()]);
    });

    it('authorizes and deauthorizes custodians; deauthorizing a non-custodian is an error', async () => {
        await legacy('authorize')(custodian.getPrincipal());
        expect((await legacy('get_custodians')()).map((p) => p.toText())).toEqual([custodian.getPrincipal().toText()]);
        expect(await legacy('deauthorize')(stranger.getPrincipal())).toEqual({
            Err: `${stranger.getPrincipal().toText()} is not a custodian`
        });
        expect(await legacy('deauthorize')(custodian.getPrincipal())).toEqual({ Ok: null });
        expect(await legacy('get_custodians')()).toEqual([]);
    });

    it('adds and removes controllers but never the last one', async () => {
        await legacy('add_controller')(stranger.getPrincipal());
        expect(await legacy('get_controllers')()).toHaveLength(2);
        expect(await legacy('remove_controller')(stranger.getPrincipal())).toEqual({ Ok: null });
        expect(await legacy('remove_controller')(owner.getPrincipal())).toEqual({
            Err: 'The wallet must have at least one controller.'
        });
        expect(await legacy('get_controllers')()).toHaveLength(1);
    });

    it('refuses the anonymous principal as a controller or custodian, with a reject that says what to do', async () => {
        const refused = /anonymous principal \(2vxsx-fae\) cannot be a wallet (controller|custodian).*icp identity new/;
        await expect(legacy('add_controller')(Principal.anonymous())).rejects.toThrow(refused);
        await expect(legacy('authorize')(Principal.anonymous())).rejects.toThrow(refused);
        await expect(
            w.wallet.authorize_with_limits({
                custodian: Principal.anonymous(),
                limits: { cycles_per_window: [], window_seconds: 60n, canisters: [], methods: [], expires_at: [] }
            })
        ).rejects.toThrow(refused);
        expect((await legacy('get_controllers')()).map((p) => p.toText())).toEqual([owner.getPrincipal().toText()]);
        expect(await legacy('get_custodians')()).toEqual([]);
    });

    it('refuses a caller without a role: updates in inspect_message, before they cost cycles; queries in the method', async () => {
        w.legacy.setIdentity(stranger);
        try {
            await expect(w.legacy.wallet_balance128()).rejects.toThrow(/Only a controller or custodian/);
            await expect(w.legacy.authorize(stranger.getPrincipal())).rejects.toThrow(/IC0406/);
            await expect(w.legacy.wallet_send128({ canister: MISSING, amount: 1n })).rejects.toThrow(/IC0406/);
        } finally {
            w.legacy.setIdentity(owner);
        }
        expect(await w.legacy.get_custodians()).toEqual([]);
    });

    it('repeats the check in the method for calls that inspection never sees (inter-canister)', async () => {
        const other = await deployWallet(ic, stranger);
        const arg = new Uint8Array(IDL.encode([IDL.Principal], [stranger.getPrincipal()]));
        const result = await other.legacy.wallet_call({
            canister: w.canisterId,
            method_name: 'authorize',
            args: arg,
            cycles: 0n
        });
        expect('Err' in result && result.Err).toMatch(/Only a controller can call this method/);
        expect(await w.legacy.get_custodians()).toEqual([]);
    });

    it('lets a custodian spend but not configure', async () => {
        await w.legacy.authorize(custodian.getPrincipal());
        w.legacy.setIdentity(custodian);
        try {
            expect((await w.legacy.wallet_balance128()).amount).toBeGreaterThan(0n);
            await expect(w.legacy.add_controller(custodian.getPrincipal())).rejects.toThrow(/Only a controller/);
        } finally {
            w.legacy.setIdentity(owner);
        }
        expect(await w.legacy.deauthorize(custodian.getPrincipal())).toEqual({ Ok: null });
    });
});

describe('sending cycles', () => {
    it('wallet_send and wallet_send128 deposit into the target and log the send', async () => {
        const { canisterId: target } = await deployProbe(ic, T, []);
        const before = await ic.getCyclesBalance(target);
        expect(await legacy('wallet_send')({ canister: target, amount: 2n * T })).toEqual({ Ok: null });
        expect(await legacy('wallet_send128')({ canister: target, amount: 3n * T })).toEqual({ Ok: null });
        expect((await ic.getCyclesBalance(target)) - before).toBe(5n * T);
        const events = await legacy('get_events128')([]);
        const sends = events.filter((e) => 'CyclesSent' in e.kind).slice(-2);
        expect(sends.map((e) => e.kind.CyclesSent)).toEqual([
            { to: target, amount: 2n * T, refund: 0n },
            { to: target, amount: 3n * T, refund: 0n }
        ]);
    });

    it('a send to a missing canister fails, is refunded in full and logged with its refund', async () => {
        const before = (await w.legacy.wallet_balance128()).amount;
        const result = await w.legacy.wallet_send128({ canister: MISSING, amount: 4n * T });
        expect('Err' in result && result.Err).toMatch(/not found.*4000000000000 cycles attached, 4000000000000 refunded/);
        const after = (await w.legacy.wallet_balance128()).amount;
        expect(before - after).toBeLessThan(100_000_000n); // only the fees of the messages, not the 4T
        const [last] = (await w.legacy.get_events128([])).slice(-1);
        expect(last?.kind).toEqual({ CyclesSent: { to: MISSING, amount: 4n * T, refund: 4n * T } });
    });

    it('refuses to send more than it can spend above its reserve', async () => {
        const balance = (await w.legacy.wallet_balance128()).amount;
        const result = await w.legacy.wallet_send128({ canister: MISSING, amount: balance });
        expect('Err' in result && result.Err).toMatch(/insufficient cycles/);
    });

    it('wallet_receive accepts every attached cycle from anyone and logs it with its memo', async () => {
        const other = await deployWallet(ic, owner);
        const arg = new Uint8Array(IDL.encode([IDL.Opt(IDL.Record({ memo: IDL.Opt(IDL.Text) }))], [[{ memo: ['thanks'] }]]));
        const before = (await w.legacy.wallet_balance128()).amount;
        const result = await other.legacy.wallet_call128({
            canister: w.canisterId,
            method_name: 'wallet_receive',
            args: arg,
            cycles: T
        });
        expect('Ok' in result).toBe(true);
        expect((await legacy('wallet_balance128')()).amount - before).toBeGreaterThan(T - 50_000_000n);
        const [last] = (await w.legacy.get_events128([])).slice(-1);
        expect(last?.kind).toEqual({ CyclesReceived: { from: other.canisterId, amount: T, memo: ['thanks'] } });
        // called as ingress it can carry no cycles: inspect_message refuses it before it costs anything
        called.add('wallet_receive');
        await expect(w.legacy.wallet_receive([])).rejects.toThrow();
    });
});

describe('forwarding calls and creating canisters', () => {
    it('wallet_call forwards the call with cycles and accounts the part the callee refunds', async () => {
        const { canisterId: target } = await deployProbe(ic, T, []);
        const before = await ic.getCyclesBalance(target);
        const half = new Uint8Array(IDL.encode([IDL.Nat], [50n]));
        const result = await legacy('wallet_call')({ canister: target, method_name: 'receive', args: half, cycles: 2n * T });
        if (!('Ok' in result)) throw new Error(result.Err);
        expect(IDL.decode([IDL.Nat], result.Ok.return)).toEqual([T]);
        const gained = (await ic.getCyclesBalance(target)) - before;
        expect(gained).toBeLessThanOrEqual(T); // the accepted half, less what the probe's own execution cost
        expect(gained).toBeGreaterThan(T - 50_000_000n);
        const result128 = await legacy('wallet_call128')({ canister: target, method_name: 'receive', args: half, cycles: 2n });
        expect('Ok' in result128).toBe(true);
        const [last] = (
            await w.wallet.wallet_events({
                start: (await w.wallet.wallet_events({ start: 0n, length: 0n })).total - 2n,
                length: 2n
            })
        ).events;
        expect(last?.kind).toEqual({ CanisterCalled: { canister: target, method_name: 'receive', cycles: 2n * T, refund: T } });
    });

    it('wallet_call refuses to forward to the wallet itself', async () => {
        const result = await w.legacy.wallet_call({
            canister: w.canisterId,
            method_name: 'authorize',
            args: new Uint8Array(),
            cycles: 0n
        });
        expect(result).toEqual({ Err: expect.stringMatching(/call forward on self/) });
    });

    it('wallet_create_canister gives the caller and the wallet control by default', async () => {
        const none: CanisterSettings = {
            controller: [],
            controllers: [],
            compute_allocation: [],
            memory_allocation: [],
            freezing_threshold: []
        };
        const created = await legacy('wallet_create_canister')({ cycles: T, settings: { ...none } });
        if (!('Ok' in created)) throw new Error(created.Err);
        const controllers = (await ic.getControllers(created.Ok.canister_id)).map((p) => p.toText()).sort();
        expect(controllers).toEqual([owner.getPrincipal().toText(), w.canisterId.toText()].sort());
        expect(await ic.getCyclesBalance(created.Ok.canister_id)).toBe(T - 500_000_000_000n); // less the creation fee

        const chosen = await legacy('wallet_create_canister128')({
            cycles: T,
            settings: { ...none, controllers: [[owner.getPrincipal()]] }
        });
        if (!('Ok' in chosen)) throw new Error(chosen.Err);
        expect((await ic.getControllers(chosen.Ok.canister_id)).map((p) => p.toText())).toEqual([owner.getPrincipal().toText()]);

        const both = await w.legacy.wallet_create_canister({
            cycles: T,
            settings: { ...none, controller: [owner.getPrincipal()], controllers: [[owner.getPrincipal()]] }
        });
        expect(both).toEqual({ Err: 'Cannot specify both controller and controllers in settings.' });
    });
});

describe('events', () => {
    it('get_events returns the last 20 by default and honours from and to', async () => {
        for (let i = 0; i < 10; i++) {
            await w.legacy.authorize(custodian.getPrincipal());
            await w.legacy.deauthorize(custodian.getPrincipal());
        }
        const total = (await w.wallet.wallet_events({ start: 0n, length: 0n })).total;
        expect(total).toBeGreaterThan(20n);
        const all = (await w.wallet.wallet_events({ start: 0n, length: total })).events;
        const known = all.filter((e) => !('SpendRefused' in e.kind || 'PolicySet' in e.kind));
        const last20 = await legacy('get_events')([]);
        expect(last20.map((e) => e.id)).toEqual(known.filter((e) => e.id >= total - 20n).map((e) => Number(e.id)));
        const some = await w.legacy.get_events([{ from: [2], to: [5] }]);
        expect(some.map((e) => e.id)).toEqual([2, 3, 4].filter((id) => known.some((e) => e.id === BigInt(id))));
        expect(kindsOf(await w.legacy.get_events128([{ from: [0], to: [1] }]))).toEqual(['AddressAdded']);
    });

    it('the 64-bit methods refuse amounts over 2^64 - 1, as the original does; the 128-bit ones answer', async () => {
        const big = await deployWallet(ic, owner, { cycles: 2n ** 64n + 1_000n * T });
        called.add('wallet_balance').add('get_events');
        expect((await w.legacy.wallet_balance()).amount).toBeGreaterThan(0n);
        await expect(big.legacy.wallet_balance()).rejects.toThrow(/call wallet_balance128/);
        expect((await big.legacy.wallet_balance128()).amount).toBeGreaterThan(2n ** 64n);
        const { canisterId: target } = await deployProbe(ic, T, []);
        expect(await big.legacy.wallet_send128({ canister: target, amount: 2n ** 64n })).toEqual({ Ok: null });
        await expect(big.legacy.get_events([])).rejects.toThrow(/call get_events128/);
        const [sent] = (await big.legacy.get_events128([])).slice(-1);
        expect(sent?.kind).toEqual({ CyclesSent: { to: target, amount: 2n ** 64n, refund: 0n } });
    });
});

it('every method of the original interface that the wallet serves was called', () => {
    expect([...called].sort()).toEqual([...CYCLES_WALLET_METHODS].sort());
});
