/**
 * The wallet's event log as the original wallet shows it (`get_events`, `get_events128`) and in full
 * (`wallet_events`). There is one log; the original's view leaves out the kinds it does not know and shows a
 * top-up as the send it is.
 */
import type { Event128, EventKind128, WalletEvent, WalletEventKind } from './types';
import { U64_MAX } from '../../ic/constants';

/** The original wallet's default page: the last 20 events. */
export const DEFAULT_LEGACY_EVENTS = 20n;
/** Events one query returns at most, so a page stays well inside a query's instruction limit. */
export const MAX_EVENTS_PER_PAGE = 1_000n;

/** The range `get_events` reads: `from` defaults to 20 before the end, `to` to the end (the original's rule). */
export function legacyRange(total: bigint, from: number | undefined, to: number | undefined): { start: bigint; end: bigint } {
    const start = from === undefined ? (total > DEFAULT_LEGACY_EVENTS ? total - DEFAULT_LEGACY_EVENTS : 0n) : BigInt(from);
    let end = to === undefined ? total : BigInt(to) < total ? BigInt(to) : total;
    if (end - start > MAX_EVENTS_PER_PAGE) end = start + MAX_EVENTS_PER_PAGE;
    return { start, end: end > start ? end : start };
}

/** An event kind as the original wallet has it, or undefined for the kinds it does not know. */
export function legacyKind(kind: WalletEventKind): EventKind128 | undefined {
    if ('CyclesSent' in kind) {
        const { to, amount, refund } = kind.CyclesSent;
        return { CyclesSent: { to, amount, refund } };
    }
    if ('TopUp' in kind) return { CyclesSent: { to: kind.TopUp.canister, amount: kind.TopUp.amount, refund: kind.TopUp.refund } };
    if ('CyclesReceived' in kind) return { CyclesReceived: kind.CyclesReceived };
    if ('AddressAdded' in kind) return { AddressAdded: kind.AddressAdded };
    if ('AddressRemoved' in kind) return { AddressRemoved: kind.AddressRemoved };
    if ('CanisterCreated' in kind) return { CanisterCreated: kind.CanisterCreated };
    if ('CanisterCalled' in kind) {
        const { canister, method_name, cycles } = kind.CanisterCalled;
        return { CanisterCalled: { canister, method_name, cycles } };
    }
    return undefined;
}

export function legacyEvents(events: WalletEvent[]): Event128[] {
    const out: Event128[] = [];
    for (const event of events) {
        const kind = legacyKind(event.kind);
        if (kind !== undefined) out.push({ id: Number(event.id), timestamp: event.timestamp, kind });
    }
    return out;
}

/** The amounts of an event, for the 64-bit view's overflow check. */
function amountsOf(kind: EventKind128): bigint[] {
    if ('CyclesSent' in kind) return [kind.CyclesSent.amount, kind.CyclesSent.refund];
    if ('CyclesReceived' in kind) return [kind.CyclesReceived.amount];
    if ('CanisterCreated' in kind) return [kind.CanisterCreated.cycles];
    if ('CanisterCalled' in kind) return [kind.CanisterCalled.cycles];
    return [];
}

/** Whether an event fits the 64-bit view; `get_events` refuses, as the original does, when one does not. */
export function fitsU64(event: Event128): boolean {
    return amountsOf(event.kind).every((a) => a <= U64_MAX);
}
