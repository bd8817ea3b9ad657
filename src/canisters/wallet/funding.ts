/**
 * How the wallet decides to top up a sponsored canister: what the canister's strategy wants, given its balance
 * and burn rate, cut to what its budget, the aggregate budget and the wallet's spendable balance allow.
 * Pure functions of the state, so every strategy and budget is tested without a network.
 */
import type { Principal } from '@dfinity/principal';

import type { FundingRefusal, Observation, SponsoredCanister } from './types';
import { NANOS_PER_SECOND } from '../../ic/constants';
import { charge, current, giveBack, remaining, resetsAt } from '../../sponsorship/window';
import { spendable } from './spending';
import type { WalletState } from './state';

/**
 * Weight of the newest measurement in the burn-rate average (1/4): one busy or idle interval moves the estimate
 * without replacing it.
 */
const BURN_SMOOTHING = 4n;

/** Records a balance seen at `now`, and updates the burn rate from the previous one. */
export function observe(s: SponsoredCanister, seen: Observation): SponsoredCanister {
    const [last] = s.last_seen;
    let burn = s.burn_per_second[0];
    if (last !== undefined && seen.at > last.at) {
        const spent = last.balance + s.sent_since_seen - seen.balance;
        if (spent >= 0n) {
            const rate = (spent * NANOS_PER_SECOND) / (seen.at - last.at);
            burn = burn === undefined ? rate : (burn * (BURN_SMOOTHING - 1n) + rate) / BURN_SMOOTHING;
        }
    }
    return { ...s, last_seen: [seen], sent_since_seen: 0n, burn_per_second: burn === undefined ? [] : [burn] };
}

/** Seconds the balance lasts at the burn rate; undefined while the rate is unknown or zero. */
export function runwaySeconds(balance: bigint, burnPerSecond: bigint | undefined): bigint | undefined {
    return burnPerSecond === undefined || burnPerSecond === 0n ? undefined : balance / burnPerSecond;
}

/** The cycles the strategy asks for at this balance and time (0: none). */
export function wanted(s: SponsoredCanister, balance: bigint, now: bigint): bigint {
    const strategy = s.strategy;
    if ('BelowThreshold' in strategy) {
        return balance < strategy.BelowThreshold.min_cycles ? strategy.BelowThreshold.top_up : 0n;
    }
    if ('BelowRunway' in strategy) {
        const burn = s.burn_per_second[0];
        const runway = runwaySeconds(balance, burn);
        if (burn === undefined || runway === undefined || runway >= strategy.BelowRunway.min_seconds) return 0n;
        const target = strategy.BelowRunway.target_seconds * burn;
        return target > balance ? target - balance : 0n;
    }
    const [last] = s.last_fixed_at;
    const due = last === undefined || now - last >= strategy.Fixed.interval_seconds * NANOS_PER_SECOND;
    return due ? strategy.Fixed.amount : 0n;
}

/** A top-up the budgets allow, with the windows it was taken from (to give back a refund). */
export type TopUpPlan =
    | { readonly kind: 'none' }
    | { readonly kind: 'refused'; readonly wanted: bigint; readonly reason: FundingRefusal }
    | {
          readonly kind: 'top-up';
          readonly wanted: bigint;
          readonly amount: bigint;
          readonly state: WalletState;
          readonly canisterWindowStart: bigint;
          readonly aggregateWindowStart: bigint;
      };

/**
 * Decides the top-up of `canister` and, if there is one, takes it from the budgets (before the call that sends
 * it). The amount is what the strategy wants, cut to what the budgets and the wallet's spendable balance allow.
 */
export function planTopUp(
    state: WalletState,
    canister: Principal,
    balance: bigint,
    walletBalance: bigint,
    now: bigint
): TopUpPlan {
    const s = sponsoredOf(state, canister);
    if (s === undefined) return { kind: 'none' };
    const want = wanted(s, balance, now);
    if (want === 0n) return { kind: 'none' };
    let amount = want;
    const [budget] = s.budget;
    if (budget !== undefined) {
        const limit = { limit: budget.max_cycles, seconds: budget.period_seconds };
        const left = remaining(s.budget_window, limit, now);
        if (left === 0n) return { kind: 'refused', wanted: want, reason: exhausted('Canister', s.budget_window, limit, now) };
        if (left < amount) amount = left;
    }
    const [aggregate] = state.funding.aggregate_budget;
    if (aggregate !== undefined) {
        const limit = { limit: aggregate.max_cycles, seconds: aggregate.period_seconds };
        const left = remaining(state.aggregate_window, limit, now);
        if (left === 0n)
            return { kind: 'refused', wanted: want, reason: exhausted('Aggregate', state.aggregate_window, limit, now) };
        if (left < amount) amount = left;
    }
    const available = spendable(state, walletBalance);
    if (available === 0n)
        return { kind: 'refused', wanted: want, reason: { InsufficientCycles: { available, requested: want } } };
    if (available < amount) amount = available;

    const budgetWindow = budget === undefined ? s.budget_window : charge(s.budget_window, budget.period_seconds, amount, now);
    const aggregateWindow =
        aggregate === undefined ? state.aggregate_window : charge(state.aggregate_window, aggregate.period_seconds, amount, now);
    const next = replaceSponsored({ ...state, aggregate_window: aggregateWindow }, { ...s, budget_window: budgetWindow });
    return {
        kind: 'top-up',
        wanted: want,
        amount,
        state: next,
        canisterWindowStart: budgetWindow.started_at,
        aggregateWindowStart: aggregateWindow.started_at
    };
}

/** Settles a top-up after the deposit: gives back to the budgets what was not sent, records what was. */
export function settleTopUp(
    state: WalletState,
    canister: Principal,
    plan: Extract<TopUpPlan, { kind: 'top-up' }>,
    refunded: bigint,
    now: bigint
): WalletState {
    const sent = plan.amount - refunded;
    const s = sponsoredOf(state, canister);
    const aggregate_window = giveBack(state.aggregate_window, plan.aggregateWindowStart, refunded);
    if (s === undefined) return { ...state, aggregate_window };
    return replaceSponsored(
        { ...state, aggregate_window },
        {
            ...s,
            budget_window: giveBack(s.budget_window, plan.canisterWindowStart, refunded),
            sent_since_seen: s.sent_since_seen + sent,
            funded_total: s.funded_total + sent,
            last_fixed_at: 'Fixed' in s.strategy && sent > 0n ? [now] : s.last_fixed_at
        }
    );
}

function exhausted(
    scope: 'Canister' | 'Aggregate',
    window: SponsoredCanister['budget_window'],
    limit: { limit: bigint; seconds: bigint },
    now: bigint
): FundingRefusal {
    const w = current(window, limit.seconds, now);
    return {
        BudgetExhausted: {
            scope: scope === 'Canister' ? { Canister: null } : { Aggregate: null },
            max_cycles: limit.limit,
            used: w.used,
            resets_at: resetsAt(w, limit.seconds)
        }
    };
}

export function sponsoredOf(state: WalletState, canister: Principal): SponsoredCanister | undefined {
    return state.sponsored.find((s) => s.canister.compareTo(canister) === 'eq');
}

export function replaceSponsored(state: WalletState, s: SponsoredCanister): WalletState {
    return { ...state, sponsored: state.sponsored.map((x) => (x.canister.compareTo(s.canister) === 'eq' ? s : x)) };
}
