/**
 * The funding rules, without a network: what each strategy wants, the burn rate from successive balances
 * (top-ups in between not counted as income), and how budgets and the wallet's reserve cut a top-up.
 */
import { Principal } from '@dfinity/principal';

import type { FundingStrategy, SponsoredCanister } from './types';
import { observe, planTopUp, settleTopUp, wanted } from './funding';
import { newSponsored, newState, type WalletState } from './state';

const S = 1_000_000_000n;
const T = 1_000_000_000_000n;
const canister = Principal.fromUint8Array(Uint8Array.of(7));

function sponsored(strategy: FundingStrategy, overrides: Partial<SponsoredCanister> = {}): SponsoredCanister {
    return { ...newSponsored({ canister, name: [], strategy, budget: [] }), ...overrides };
}

const stateWith = (s: SponsoredCanister, overrides: Partial<WalletState> = {}): WalletState => ({
    ...newState([]),
    sponsored: [s],
    ...overrides
});

it('BelowThreshold wants its top-up below the minimum only', () => {
    const s = sponsored({ BelowThreshold: { min_cycles: 2n * T, top_up: 5n * T } });
    expect(wanted(s, 2n * T - 1n, 0n)).toBe(5n * T);
    expect(wanted(s, 2n * T, 0n)).toBe(0n);
});

it('BelowRunway wants enough for the target runway once it knows the burn rate', () => {
    const strategy = { BelowRunway: { min_seconds: 100n, target_seconds: 1_000n } };
    expect(wanted(sponsored(strategy), 10n, 0n)).toBe(0n); // no rate yet
    const s = sponsored(strategy, { burn_per_second: [1_000n] });
    expect(wanted(s, 99_000n, 0n)).toBe(1_000_000n - 99_000n);
    expect(wanted(s, 100_000n, 0n)).toBe(0n);
});

it('Fixed wants its amount once per interval', () => {
    const s = sponsored({ Fixed: { amount: T, interval_seconds: 60n } }, { last_fixed_at: [0n] });
    expect(wanted(s, 0n, 59n * S)).toBe(0n);
    expect(wanted(s, 0n, 60n * S)).toBe(T);
});

it('the burn rate counts what the wallet sent in between, and averages new measurements in', () => {
    let s = sponsored({ BelowThreshold: { min_cycles: 0n, top_up: 0n } });
    s = observe(s, { balance: 1_000_000n, at: 0n, source: { Status: null } });
    s = { ...s, sent_since_seen: 500_000n };
    s = observe(s, { balance: 1_400_000n, at: 100n * S, source: { Status: null } });
    expect(s.burn_per_second).toEqual([1_000n]); // (1,000,000 + 500,000 - 1,400,000) / 100 s
    s = observe(s, { balance: 1_000_000n, at: 200n * S, source: { Report: null } });
    expect(s.burn_per_second).toEqual([(1_000n * 3n + 4_000n) / 4n]);
    expect(s.sent_since_seen).toBe(0n);
});

it('a canister budget cuts the top-up to what is left, then refuses with the reset time; a refund is given back', () => {
    const s = sponsored(
        { BelowThreshold: { min_cycles: 10n * T, top_up: 3n * T } },
        { budget: [{ max_cycles: 4n * T, period_seconds: 60n }] }
    );
    const state = stateWith(s);
    const first = planTopUp(state, canister, 0n, 1_000n * T, 5n);
    if (first.kind !== 'top-up') throw new Error(first.kind);
    expect(first.amount).toBe(3n * T);
    const second = planTopUp(first.state, canister, 0n, 1_000n * T, 6n);
    if (second.kind !== 'top-up') throw new Error(second.kind);
    expect(second.amount).toBe(T);
    expect(planTopUp(second.state, canister, 0n, 1_000n * T, 7n)).toEqual({
        kind: 'refused',
        wanted: 3n * T,
        reason: { BudgetExhausted: { scope: { Canister: null }, max_cycles: 4n * T, used: 4n * T, resets_at: 5n + 60n * S } }
    });
    const refunded = settleTopUp(second.state, canister, second, T, 8n);
    expect(refunded.sponsored[0]?.budget_window.used).toBe(3n * T);
    expect(refunded.sponsored[0]?.funded_total).toBe(0n);
});

it("never spends the wallet's reserve", () => {
    const s = sponsored({ BelowThreshold: { min_cycles: 10n * T, top_up: 3n * T } });
    const state = stateWith(s, { self_reserve: T });
    const reserve = T + state.funding.min_reserve;
    const plan = planTopUp(state, canister, 0n, reserve + 2n * T, 0n);
    expect(plan.kind === 'top-up' && plan.amount).toBe(2n * T);
    expect(planTopUp(state, canister, 0n, reserve, 0n)).toEqual({
        kind: 'refused',
        wanted: 3n * T,
        reason: { InsufficientCycles: { available: 0n, requested: 3n * T } }
    });
});
