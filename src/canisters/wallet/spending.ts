/**
 * The rule every spend goes through (`wallet_send`, `wallet_call`, `wallet_create_canister`, `send_cycles`):
 * who is asking, whether the custodian's limits allow it, and whether the wallet can afford it without going
 * below its reserve. A spend is reserved before the call that carries the cycles and settled after it, so a
 * refund is given back to the custodian's window and a rejected call never counts twice.
 */
import type { Principal } from '@dfinity/principal';

import type { SpendRefusal } from './types';
import { consume, giveBack } from '../../sponsorship/window';
import { custodianOf, expired, isController } from './roles';
import type { WalletState } from './state';

export type Spend = {
    readonly canister: Principal;
    /** The method a `wallet_call` names; undefined for sends and canister creation. */
    readonly method: string | undefined;
    readonly cycles: bigint;
    /**
     * For a call to the management canister, the canisters its arguments name (`canister_id`,
     * `target_canister`, `store_canister`): what the call acts on, which a custodian's limits must allow too.
     * Read only for a custodian limited to some canisters, so that other calls do not pay for decoding the argument.
     */
    readonly targets?: () => readonly Principal[];
};

/** What a reserved spend took, to give back what the callee refunds. */
export type Reservation = { readonly custodian: Principal | undefined; readonly windowStart: bigint; readonly cycles: bigint };

export type SpendCheck =
    | { readonly ok: true; readonly state: WalletState; readonly reservation: Reservation }
    | { readonly ok: false; readonly refusal: SpendRefusal };

/** Cycles the wallet may spend: its balance above its freezing reserve and the controllers' minimum reserve. */
export function spendable(state: WalletState, balance: bigint): bigint {
    const kept = state.self_reserve + state.funding.min_reserve;
    return balance > kept ? balance - kept : 0n;
}

/** Checks a spend and, if allowed, takes it from the custodian's window. Controllers have no limits. */
export function reserveSpend(state: WalletState, caller: Principal, spend: Spend, now: bigint, balance: bigint): SpendCheck {
    const refuse = (refusal: SpendRefusal): SpendCheck => ({ ok: false, refusal });
    const available = spendable(state, balance);
    const insufficient = spend.cycles > available;
    if (isController(state, caller)) {
        if (insufficient) return refuse({ InsufficientCycles: { available, requested: spend.cycles } });
        return { ok: true, state, reservation: { custodian: undefined, windowStart: 0n, cycles: spend.cycles } };
    }
    const custodian = custodianOf(state, caller);
    if (custodian === undefined) return refuse({ NotAuthorized: null });
    const limits = custodian.limits;
    const [expiresAt] = limits.expires_at;
    if (expiresAt !== undefined && expired(custodian, now)) return refuse({ Expired: { expired_at: expiresAt } });
    const [canisters] = limits.canisters;
    if (canisters !== undefined) {
        // Allowing the management canister (to create canisters) must not allow acting on every canister the
        // wallet controls: each canister a management call names must be allowed as well.
        for (const canister of [spend.canister, ...(spend.targets?.() ?? [])])
            if (!canisters.some((c) => c.compareTo(canister) === 'eq')) return refuse({ CanisterNotAllowed: { canister } });
    }
    const [methods] = limits.methods;
    if (spend.method !== undefined && methods !== undefined && !methods.includes(spend.method)) {
        return refuse({ MethodNotAllowed: { method_name: spend.method } });
    }
    let window = custodian.window;
    const [limit] = limits.cycles_per_window;
    if (limit !== undefined) {
        const taken = consume(window, { limit, seconds: limits.window_seconds }, spend.cycles, now);
        if (!taken.ok) {
            return refuse({
                CycleLimit: {
                    limit,
                    window_seconds: limits.window_seconds,
                    used: taken.used,
                    requested: spend.cycles,
                    resets_at: taken.resetsAt
                }
            });
        }
        window = taken.state;
    }
    if (insufficient) return refuse({ InsufficientCycles: { available, requested: spend.cycles } });
    const custodians = state.custodians.map((c) => (c === custodian ? { ...c, window } : c));
    return {
        ok: true,
        state: { ...state, custodians },
        reservation: { custodian: caller, windowStart: window.started_at, cycles: spend.cycles }
    };
}

/** Gives back to the custodian's window the cycles a call did not use (refunded, or the call never happened). */
export function settleSpend(state: WalletState, reservation: Reservation, unused: bigint): WalletState {
    const custodian = reservation.custodian;
    if (custodian === undefined || unused === 0n) return state;
    const custodians = state.custodians.map((c) =>
        c.custodian.compareTo(custodian) === 'eq' ? { ...c, window: giveBack(c.window, reservation.windowStart, unused) } : c
    );
    return { ...state, custodians };
}

/** A refusal as a sentence naming the limit and when it resets, for the original wallet's text errors. */
export function describeSpendRefusal(refusal: SpendRefusal): string {
    if ('NotAuthorized' in refusal) return 'Only a controller or custodian can call this method.';
    if ('Expired' in refusal) return `custodian limit: authorization expired at ${refusal.Expired.expired_at} ns`;
    if ('CanisterNotAllowed' in refusal) {
        return `custodian limit: canister ${refusal.CanisterNotAllowed.canister.toText()} is not in the allowed canisters`;
    }
    if ('MethodNotAllowed' in refusal) {
        return `custodian limit: method "${refusal.MethodNotAllowed.method_name}" is not in the allowed methods`;
    }
    if ('CycleLimit' in refusal) {
        const l = refusal.CycleLimit;
        return (
            `custodian limit: cycles_per_window ${l.limit} per ${l.window_seconds} s; ${l.used} used, ${l.requested} ` +
            `requested; the window resets at ${l.resets_at} ns`
        );
    }
    const l = refusal.InsufficientCycles;
    return `insufficient cycles: ${l.available} can be spent above the wallet's reserve, ${l.requested} requested`;
}
