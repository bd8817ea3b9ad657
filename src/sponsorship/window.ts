/**
 * A fixed-window counter: at most `limit` units (cycles, calls, instructions) per window of `seconds`, the window
 * starting at the first use after the previous one ended. One rule serves every limit of the suite: a
 * custodian's cycles, a sponsored canister's budget, the wallet's aggregate budget and the sponsorship module's
 * per-caller quotas. A fixed window (not a sliding one) keeps the state to two numbers and makes "when it
 * resets" an exact time a refusal can name.
 */
import type * as z from 'zod/mini';

import { c } from '../candid';
import { NANOS_PER_SECOND } from '../ic/constants';

export const WindowState = c.named('WindowState', c.record({ started_at: c.nat64(), used: c.nat() }));
export type WindowState = z.infer<typeof WindowState>;

/** A limit of `limit` units per `seconds`. */
export type WindowLimit = { readonly limit: bigint; readonly seconds: bigint };

export const EMPTY_WINDOW: WindowState = { started_at: 0n, used: 0n };

/** When the window that started at `startedAt` ends (nanoseconds). */
export function resetsAt(state: WindowState, seconds: bigint): bigint {
    return state.started_at + seconds * NANOS_PER_SECOND;
}

/** The window as it stands at `now`: a new, empty one if the last has ended. */
export function current(state: WindowState, seconds: bigint, now: bigint): WindowState {
    return state.used === 0n || now >= resetsAt(state, seconds) ? { started_at: now, used: 0n } : state;
}

/** What is left of the limit at `now`. */
export function remaining(state: WindowState, limit: WindowLimit, now: bigint): bigint {
    const used = current(state, limit.seconds, now).used;
    return used >= limit.limit ? 0n : limit.limit - used;
}

export type Consumed =
    { readonly ok: true; readonly state: WindowState } | { readonly ok: false; readonly used: bigint; readonly resetsAt: bigint };

/** Takes `amount` from the window, or says how much is used and when the window resets. Never partial. */
export function consume(state: WindowState, limit: WindowLimit, amount: bigint, now: bigint): Consumed {
    const window = current(state, limit.seconds, now);
    if (window.used + amount > limit.limit) {
        return { ok: false, used: window.used, resetsAt: resetsAt(window, limit.seconds) };
    }
    return { ok: true, state: { started_at: window.started_at, used: window.used + amount } };
}

/** Adds `amount` to the window as it stands at `now`, whatever the limit (the caller checked it). */
export function charge(state: WindowState, seconds: bigint, amount: bigint, now: bigint): WindowState {
    const window = current(state, seconds, now);
    return { started_at: window.started_at, used: window.used + amount };
}

/**
 * Gives back `amount` taken from the window that started at `startedAt` (a refund after a call): only if that
 * window is still the current one, since a later window never counted it.
 */
export function giveBack(state: WindowState, startedAt: bigint, amount: bigint): WindowState {
    if (state.started_at !== startedAt) return state;
    return { started_at: state.started_at, used: state.used > amount ? state.used - amount : 0n };
}
