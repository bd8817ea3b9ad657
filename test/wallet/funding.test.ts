/**
 * Funding the suite: the wallet tops up its sponsored canisters as each one's strategy says, from a timer and
 * on demand, within per-canister and aggregate budgets; every top-up, refusal and low-balance warning is an
 * event; an upgrade keeps strategies, budgets, policies and history, and re-arms the timer.
 */
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { walletService } from '../../src/canisters/wallet/service';
import type { FundingSettings, FundingStrategy, SponsoredCanister, WalletEvent } from '../../src/canisters/wallet/types';
import { createIc, localOnly, type TestIc } from '../support/ic';
import { deployProbe, deployWallet, type DeployedWallet, identity, T } from './setup';

const owner = identity(21);
const HOUR_MS = 3_600_000;
const NANOS = 1_000_000_000n;
const DAY = 86_400n;

const FUNDING: FundingSettings = {
    check_interval_seconds: 3_600n,
    aggregate_budget: [],
    low_balance_runway_seconds: 7n * DAY,
    min_reserve: 100_000_000_000n
};

let ic: TestIc;
let w: DeployedWallet;

beforeEach(async () => {
    ic = await createIc();
    w = await deployWallet(ic, owner, { cycles: 1_000n * T, funding: FUNDING });
});

afterEach(async () => ic.tearDown());

/** A probe the wallet controls (so it reads the balance from canister_status), sponsored with this strategy. */
async function sponsoredProbe(
    cycles: bigint,
    strategy: FundingStrategy,
    budget: [] | [{ max_cycles: bigint; period_seconds: bigint }] = []
) {
    const { canisterId, probe } = await deployProbe(ic, cycles, [owner.getPrincipal(), w.canisterId]);
    await w.wallet.sponsor_canister({ canister: canisterId, name: [], strategy, budget });
    return { canisterId, probe };
}

async function eventsSince(start: bigint): Promise<WalletEvent[]> {
    const { total } = await w.wallet.wallet_events({ start: 0n, length: 0n });
    return (await w.wallet.wallet_events({ start, length: total - start })).events;
}

const eventCount = async () => (await w.wallet.wallet_events({ start: 0n, length: 0n })).total;
const sponsored = async (canister: Principal): Promise<SponsoredCanister> =>
    (await w.wallet.list_sponsored()).find((s) => s.canister.toText() === canister.toText()) as SponsoredCanister;

/** Moves time by whole hours and lets the timers and the calls they make run. */
async function hoursPass(hours: number): Promise<void> {
    await ic.advanceTime(hours * HOUR_MS);
    await ic.tick(10);
}

describe('strategies', () => {
    it('BelowThreshold: the timer tops up a canister under its minimum, and leaves it alone above', async () => {
        const { canisterId } = await sponsoredProbe(T, { BelowThreshold: { min_cycles: 2n * T, top_up: 3n * T } });
        const start = await eventCount();
        await hoursPass(1);
        expect(await ic.getCyclesBalance(canisterId)).toBeGreaterThan(3n * T);
        const [topUp] = (await eventsSince(start)).filter((e) => 'TopUp' in e.kind);
        expect(topUp?.kind).toEqual({
            TopUp: { canister: canisterId, amount: 3n * T, refund: 0n, balance: expect.any(BigInt), wanted: 3n * T }
        });
        const after = await eventCount();
        await hoursPass(1);
        expect((await eventsSince(after)).filter((e) => 'TopUp' in e.kind)).toEqual([]);
    });

    it('BelowRunway: tops up to the target runway at the burn rate it observed', async () => {
        const year = 365n * DAY;
        const { canisterId, probe } = await sponsoredProbe(T, {
            BelowRunway: { min_seconds: 10n * year, target_seconds: 20n * year }
        });
        expect((await w.wallet.fund_now()).topped_up).toBe(0); // one balance seen: no burn rate yet
        for (let i = 0; i < 5; i++) await probe.burn(1_000);
        await ic.advanceTime(HOUR_MS);
        const start = await eventCount();
        const report = await w.wallet.fund_now();
        expect(report.topped_up).toBe(1);
        const s = await sponsored(canisterId);
        const burn = s.burn_per_second[0] as bigint;
        expect(burn).toBeGreaterThan(0n);
        const [event] = (await eventsSince(start)).filter((e) => 'TopUp' in e.kind);
        if (event === undefined || !('TopUp' in event.kind)) throw new Error('no top-up');
        expect(event.kind.TopUp.amount).toBe(20n * year * burn - event.kind.TopUp.balance);
    });

    it('Fixed: sends its amount once per interval', async () => {
        const { canisterId } = await sponsoredProbe(T, { Fixed: { amount: T, interval_seconds: 2n * 3_600n } });
        const before = await ic.getCyclesBalance(canisterId);
        expect((await w.wallet.fund_now()).cycles_sent).toBe(T);
        await ic.advanceTime(HOUR_MS);
        expect((await w.wallet.fund_now()).cycles_sent).toBe(0n);
        await ic.advanceTime(HOUR_MS);
        expect((await w.wallet.fund_now()).cycles_sent).toBe(T);
        expect((await ic.getCyclesBalance(canisterId)) - before).toBeGreaterThan(T);
        expect((await sponsored(canisterId)).funded_total).toBe(2n * T);
    });
});

describe('budgets', () => {
    it('the aggregate budget cuts the last top-up short, then refuses until its period resets', async () => {
        await w.wallet.set_funding({ ...FUNDING, aggregate_budget: [{ max_cycles: (5n * T) / 2n, period_seconds: DAY }] });
        const strategy = { BelowThreshold: { min_cycles: 10n * T, top_up: T } };
        const probes = [await sponsoredProbe(T, strategy), await sponsoredProbe(T, strategy), await sponsoredProbe(T, strategy)];
        const first = await w.wallet.fund_now();
        expect(first).toEqual(expect.objectContaining({ checked: 3, topped_up: 3, cycles_sent: (5n * T) / 2n }));
        const start = await eventCount();
        const second = await w.wallet.fund_now();
        expect(second).toEqual(expect.objectContaining({ topped_up: 0, refused: 3, cycles_sent: 0n }));
        const refusals = (await eventsSince(start)).filter((e) => 'TopUpRefused' in e.kind);
        expect(refusals).toHaveLength(3);
        const reason = refusals[0]?.kind;
        expect(reason).toEqual({
            TopUpRefused: {
                canister: probes[0]?.canisterId,
                wanted: T,
                reason: {
                    BudgetExhausted: {
                        scope: { Aggregate: null },
                        max_cycles: (5n * T) / 2n,
                        used: (5n * T) / 2n,
                        resets_at: expect.any(BigInt)
                    }
                }
            }
        });
        await ic.advanceTime(Number(DAY) * 1_000);
        expect((await w.wallet.fund_now()).cycles_sent).toBe((5n * T) / 2n);
    });

    it("a canister's own budget refuses it while the others are funded", async () => {
        const limited = await sponsoredProbe(T, { Fixed: { amount: T, interval_seconds: 60n } }, [
            { max_cycles: T, period_seconds: DAY }
        ]);
        const free = await sponsoredProbe(T, { Fixed: { amount: T, interval_seconds: 60n } });
        await w.wallet.fund_now();
        await ic.advanceTime(120_000);
        const start = await eventCount();
        expect(await w.wallet.fund_now()).toEqual(expect.objectContaining({ topped_up: 1, refused: 1 }));
        const events = await eventsSince(start);
        expect(events.map((e) => Object.keys(e.kind)[0])).toEqual(['TopUpRefused', 'TopUp']);
        expect(events[0]?.kind).toEqual({
            TopUpRefused: expect.objectContaining({
                canister: limited.canisterId,
                reason: { BudgetExhausted: expect.objectContaining({ scope: { Canister: null } }) }
            })
        });
        expect(events[1]?.kind).toEqual({ TopUp: expect.objectContaining({ canister: free.canisterId }) });
    });

    it('warns of a low balance when a refused canister has little runway left', async () => {
        await w.wallet.set_funding({
            ...FUNDING,
            aggregate_budget: [{ max_cycles: 1n, period_seconds: DAY }],
            low_balance_runway_seconds: 1_000n * 365n * DAY
        });
        const { probe } = await sponsoredProbe(T, { BelowThreshold: { min_cycles: 10n * T, top_up: T } });
        await w.wallet.fund_now();
        await probe.burn(1_000);
        await ic.advanceTime(HOUR_MS);
        const start = await eventCount();
        await w.wallet.fund_now();
        expect((await eventsSince(start)).map((e) => Object.keys(e.kind)[0])).toEqual(['TopUpRefused', 'LowBalance']);
    });

    it('a canister whose balance the wallet cannot read and that never reported is refused, not guessed', async () => {
        const { canisterId } = await deployProbe(ic, T, []);
        await w.wallet.sponsor_canister({
            canister: canisterId,
            name: [],
            strategy: { BelowThreshold: { min_cycles: 10n * T, top_up: T } },
            budget: []
        });
        const start = await eventCount();
        expect(await w.wallet.fund_now()).toEqual(expect.objectContaining({ refused: 1, cycles_sent: 0n }));
        const [event] = await eventsSince(start);
        expect(event?.kind).toEqual({
            TopUpRefused: {
                canister: canisterId,
                wanted: 0n,
                reason: { BalanceUnknown: { reason: expect.stringMatching(/controllers/) } }
            }
        });
    });
});

it("a round reports its instructions across its awaits (performance counter 1, the call context's)", async () => {
    for (let i = 0; i < 3; i++) await sponsoredProbe(T, { Fixed: { amount: T, interval_seconds: 60n } });
    const local = localOnly(ic);
    if (local === undefined) return;
    const before = local.totalInstructions(w.canisterId);
    const report = await w.wallet.fund_now();
    const all = local.totalInstructions(w.canisterId) - before;
    // more than any one message of the round (there are seven: the call and six callbacks), less than all of them
    // (the reply is encoded after the counter is read)
    expect(report.instructions).toBeGreaterThan(local.lastInstructions(w.canisterId) * 3n);
    expect(report.instructions).toBeLessThanOrEqual(all);
    expect(report.instructions).toBeGreaterThan((all * 9n) / 10n);
});

it('configuration is for controllers only', async () => {
    const custodian = identity(22);
    await w.wallet.authorize(custodian.getPrincipal());
    w.wallet.setIdentity(custodian);
    await expect(w.wallet.set_funding(FUNDING)).rejects.toThrow(/Only a controller/);
    await expect(
        w.wallet.sponsor_canister({
            canister: w.canisterId,
            name: [],
            strategy: { Fixed: { amount: 1n, interval_seconds: 1n } },
            budget: []
        })
    ).rejects.toThrow(/Only a controller/);
    expect((await w.wallet.fund_now()).checked).toBe(0); // a custodian may run a round
});

it('an upgrade keeps strategies, budgets, limits, policies and history, and re-arms the timer', async () => {
    await w.wallet.set_funding({ ...FUNDING, aggregate_budget: [{ max_cycles: 100n * T, period_seconds: DAY }] });
    const { canisterId } = await sponsoredProbe(T, { Fixed: { amount: T, interval_seconds: 3_600n } }, [
        { max_cycles: 50n * T, period_seconds: DAY }
    ]);
    await w.wallet.authorize_with_limits({
        custodian: identity(23).getPrincipal(),
        limits: { cycles_per_window: [T], window_seconds: 60n, canisters: [], methods: [['receive']], expires_at: [] }
    });
    await w.wallet.fund_now();
    const before = {
        sponsored: await w.wallet.list_sponsored(),
        funding: await w.wallet.get_funding(),
        custodians: await w.wallet.get_custodian_limits(),
        events: (await w.wallet.wallet_events({ start: 0n, length: 1_000n })).events
    };
    const upgradedAt = BigInt(Math.round(await ic.getTime())) * 1_000_000n;
    await ic.upgradeCanister({
        canisterId: w.canisterId,
        wasm: await wasmOf('wallet'),
        arg: walletService.encodeInit(IDL, [[]])
    });
    expect(await w.wallet.list_sponsored()).toEqual(before.sponsored);
    expect(await w.wallet.get_funding()).toEqual(before.funding);
    expect(await w.wallet.get_custodian_limits()).toEqual(before.custodians);
    expect((await w.wallet.wallet_events({ start: 0n, length: 1_000n })).events).toEqual(before.events);
    expect(await w.wallet.get_controllers()).toEqual([owner.getPrincipal()]);

    const start = BigInt(before.events.length);
    await hoursPass(1);
    const topUps = (await eventsSince(start)).filter((e) => 'TopUp' in e.kind);
    expect(topUps).toHaveLength(1);
    expect((await sponsored(canisterId)).budget_window.used).toBe(2n * T);
    // the top-up came from the timer the new code armed, an hour after the upgrade
    expect(topUps[0]?.timestamp).toBeGreaterThanOrEqual(upgradedAt + 3_600n * NANOS);
});
