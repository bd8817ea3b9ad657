/**
 * ICRC-1's transaction deduplication window: a call with `created_at_time` is remembered for 24 hours. The
 * ledger and the wallet both use the window; the ledger refuses old calls as DFINITY's does, without the drift
 * (`rules.ts`), and the wallet by ICRC-1's text, which allows the drift on both sides ({@link createdAtRefusal}).
 */
import { NANOS_PER_SECOND, PERMITTED_DRIFT_NS } from '../ic/constants';

/** ICRC-1's deduplication window: a transaction with `created_at_time` is remembered for 24 hours. */
export const TRANSACTION_WINDOW_NS = 24n * 3_600n * NANOS_PER_SECOND;

/** Why a `created_at_time` is refused: older than the window (plus drift), or more than the drift ahead. */
export type CreatedAtRefusal = 'TooOld' | 'CreatedInFuture';

/** `createdAt` against the clock `now`, the drift allowed on both sides; undefined inside the window. */
export function createdAtRefusal(createdAt: bigint, now: bigint): CreatedAtRefusal | undefined {
    if (createdAt + TRANSACTION_WINDOW_NS + PERMITTED_DRIFT_NS < now) return 'TooOld';
    if (createdAt > now + PERMITTED_DRIFT_NS) return 'CreatedInFuture';
    return undefined;
}

/** The earliest `created_at_time` still inside the window at `now`: entries older than this may be forgotten. */
export function dedupHorizon(now: bigint): bigint {
    return now - TRANSACTION_WINDOW_NS - PERMITTED_DRIFT_NS;
}
