/**
 * Custodian limits (what the original wallet lacks): each limit stops a custodian with a typed error that names
 * the limit and, for the cycle window, when it resets; a refused spend changes no balance. Sends deduplicated
 * by `created_at_time`. Events paged across thousands of entries.
 */
import { IDL } from '@dfinity/candid';

import type { CustodianLimits } from '../../src/canisters/wallet/types';
import { createIc, type TestIc } from '../support/ic';
import { deployProbe, deployWallet, type DeployedWallet, identity, T } from './setup';

const owner = identity(11);
const custodian = identity(12);
const HOUR = 3_600n;
const NANOS = 1_000_000_000n;

let ic: TestIc;
let w: DeployedWallet;
let allowed: Awaited<ReturnType<typeof deployProbe>>;
let other: Awaited<ReturnType<typeof deployProbe>>;

const limits = (overrides: Partial<CustodianLimits>): CustodianLimits => ({
    cycles_per_window: [],
    window_seconds: HOUR,
    canisters: [],
    methods: [],
    expires_at: [],
    ...overrides
});

async function asCustodian<R>(body: () => Promise<R>): Promise<R> {
    w.wallet.setIdentity(custodian);
    w.legacy.setIdentity(custodian);
    try {
        return await body();
    } finally {
        w.wallet.setIdentity(owner);
        w.legacy.setIdentity(owner);
    }
}

const send = (canister = allowed.canisterId, amount = T, created_at_time: [] | [bigint] = []) =>
    asCustodian(() => w.wallet.send_cycles({ canister, amount, created_at_time, memo: [] }));

beforeAll(async () => {
    ic = await createIc();
    w = await deployWallet(ic, owner, { cycles: 1_000n * T });
    allowed = await deployProbe(ic, T, []);
    other = await deployProbe(ic, T, []);
});

afterAll(async () => ic.tearDown());

it('a cycle limit per window stops the custodian, names the limit and the reset time, and resets', async () => {
    await w.wallet.authorize_with_limits({
        custodian: custodian.getPrincipal(),
        limits: limits({ cycles_per_window: [3n * T] })
    });
    expect(await send(allowed.canisterId, 2n * T)).toEqual({ Ok: expect.objectContaining({ sent: 2n * T }) });
    const start = (await w.wallet.get_custodian_limits())[0]?.window.started_at as bigint;
    const before = await ic.getCyclesBalance(allowed.canisterId);
    const refused = await send(allowed.canisterId, 2n * T);
    expect(refused).toEqual({
        Err: {
            Refused: {
                CycleLimit: {
                    limit: 3n * T,
                    window_seconds: HOUR,
                    used: 2n * T,
                    requested: 2n * T,
                    resets_at: start + HOUR * NANOS
                }
            }
        }
    });
    const text = await asCustodian(() => w.legacy.wallet_send128({ canister: allowed.canisterId, amount: 2n * T }));
    expect('Err' in text && text.Err).toMatch(
        new RegExp(`cycles_per_window ${3n * T} per 3600 s.*resets at ${start + HOUR * NANOS} ns`)
    );
    expect(await ic.getCyclesBalance(allowed.canisterId)).toBe(before);

    await ic.advanceTime(Number(HOUR) * 1_000);
    expect(await send(allowed.canisterId, 2n * T)).toEqual({ Ok: expect.objectContaining({ sent: 2n * T }) });
});

it('a refunded send gives its cycles back to the custodian window', async () => {
    await w.wallet.authorize_with_limits({
        custodian: custodian.getPrincipal(),
        limits: limits({ cycles_per_window: [3n * T] })
    });
    await ic.advanceTime(Number(HOUR) * 1_000);
    const missing = identity(99).getPrincipal(); // a self-authenticating principal: no canister has it
    const failed = await send(missing, 3n * T);
    expect(failed).toEqual({ Err: { Rejected: expect.objectContaining({ refunded: 3n * T }) } });
    expect((await w.wallet.get_custodian_limits())[0]?.window.used).toBe(0n);
    expect(await send(allowed.canisterId, 3n * T)).toEqual({ Ok: expect.objectContaining({ sent: 3n * T }) });
});

it('allowed canisters and methods stop the custodian elsewhere', async () => {
    await w.wallet.authorize_with_limits({
        custodian: custodian.getPrincipal(),
        limits: limits({ canisters: [[allowed.canisterId]], methods: [['receive']] })
    });
    expect(await send(other.canisterId)).toEqual({ Err: { Refused: { CanisterNotAllowed: { canister: other.canisterId } } } });
    const arg = new Uint8Array(IDL.encode([IDL.Nat], [100n]));
    const call = (method_name: string, canister = allowed.canisterId) =>
        asCustodian(() => w.legacy.wallet_call128({ canister, method_name, args: arg, cycles: 1_000n }));
    expect('Ok' in (await call('receive'))).toBe(true);
    expect(await call('burn')).toEqual({ Err: 'custodian limit: method "burn" is not in the allowed methods' });
    expect(await call('receive', other.canisterId)).toEqual({
        Err: `custodian limit: canister ${other.canisterId.toText()} is not in the allowed canisters`
    });
    const create = await asCustodian(() =>
        w.legacy.wallet_create_canister128({
            cycles: T,
            settings: { controller: [], controllers: [], compute_allocation: [], memory_allocation: [], freezing_threshold: [] }
        })
    );
    expect(create).toEqual({ Err: 'custodian limit: canister aaaaa-aa is not in the allowed canisters' });
});

it('an expired authorization stops the custodian: it holds no role, as a stranger (issue 21, finding 11)', async () => {
    const now = BigInt(Math.round(await ic.getTime())) * 1_000_000n;
    await w.wallet.authorize_with_limits({
        custodian: custodian.getPrincipal(),
        limits: limits({ expires_at: [now + 60n * NANOS] })
    });
    expect(await send()).toEqual({ Ok: expect.anything() });
    await ic.advanceTime(61_000);
    const before = (await w.wallet.wallet_events({ start: 0n, length: 1n })).total;
    // refused in inspect_message, before it costs the wallet anything; nothing is logged
    await expect(send()).rejects.toThrow(/IC0406/);
    expect((await w.wallet.wallet_events({ start: 0n, length: 1n })).total).toBe(before);
});

it('sends with the same created_at_time are one send within the window; old and future times are refused', async () => {
    await w.wallet.authorize_with_limits({ custodian: custodian.getPrincipal(), limits: limits({}) });
    const now = BigInt(Math.round(await ic.getTime())) * 1_000_000n;
    const before = await ic.getCyclesBalance(allowed.canisterId);
    const first = await send(allowed.canisterId, T, [now]);
    if (!('Ok' in first)) throw new Error(JSON.stringify(first));
    expect(await send(allowed.canisterId, T, [now])).toEqual({ Err: { Duplicate: { duplicate_of: first.Ok.event } } });
    expect((await ic.getCyclesBalance(allowed.canisterId)) - before).toBeLessThanOrEqual(T);
    expect(await send(allowed.canisterId, T, [now - 25n * HOUR * NANOS])).toEqual({ Err: { TooOld: null } });
    expect(await send(allowed.canisterId, T, [now + HOUR * NANOS])).toEqual({
        Err: { CreatedInFuture: { wallet_time: expect.any(BigInt) } }
    });
});

it('pages events across thousands of entries, in order and without gaps', async () => {
    const other = identity(13).getPrincipal();
    for (let i = 0; i < 1_500; i++) {
        await w.legacy.authorize(other);
        await w.legacy.deauthorize(other);
    }
    const { total } = await w.wallet.wallet_events({ start: 0n, length: 0n });
    expect(total).toBeGreaterThan(3_000n);
    const ids: bigint[] = [];
    for (let start = 0n; start < total; start += 1_000n) {
        const page = await w.wallet.wallet_events({ start, length: 5_000n });
        expect(page.events.length).toBe(Number(total - start < 1_000n ? total - start : 1_000n)); // capped at 1,000
        ids.push(...page.events.map((e) => e.id));
    }
    expect(ids).toEqual(Array.from({ length: Number(total) }, (_, i) => BigInt(i)));
    const legacy = await w.legacy.get_events128([{ from: [2_000], to: [2_010] }]);
    expect(legacy.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => 2_000 + i));
}, 120_000);
