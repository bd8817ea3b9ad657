/**
 * The limits on what one call may ask, with their reasons: each bounds what a caller can make the canister pay
 * for (in the reverse-gas model the canister pays for every instruction and every byte).
 */
import { MAX_UPDATE_BATCH_SIZE } from './ledger';

/** DFINITY's `MAX_BLOCKS_PER_RESPONSE`: blocks one `icrc3_get_blocks` answer carries, over all its ranges. */
export const MAX_BLOCKS_PER_RESPONSE = 100;
/** DFINITY's `MAX_TRANSACTIONS_PER_REQUEST`: blocks one legacy `get_blocks`/`get_transactions` answer carries. */
export const MAX_TRANSACTIONS_PER_REQUEST = 2_000;

/**
 * The largest argument of any method but the batch and consent ones: a transfer_from with every optional field
 * set and the longest principals is about 300 bytes plus its memo; 1 KiB leaves room for a type table written
 * less compactly than ours. Arguments over the limit are refused by `canister_inspect_message` before the
 * canister pays to decode them.
 */
export const ARGUMENT_BYTES = 1024;
/** Ranges in one `icrc3_get_blocks` request fit in this too: 100 ranges of two 10-byte numbers. */
export const RANGES_ARGUMENT_BYTES = 4 * 1024;

/** The largest argument `method` accepts, given the ledger's memo limit. */
export function argumentLimit(method: string, maxMemoLength: number): number {
    const one = ARGUMENT_BYTES + maxMemoLength;
    switch (method) {
        case 'icrc4_transfer_batch':
            return MAX_UPDATE_BATCH_SIZE * one;
        case 'icrc21_canister_call_consent_message':
            return 2 * one;
        case 'icrc3_get_blocks':
        case 'icrc4_balance_of_batch':
            return 64 * 1024;
        default:
            return one;
    }
}

/** The part of `[start, start + length)` the chain holds, capped at `limit` blocks. */
export function rangeOf(start: bigint, length: bigint, chainLength: bigint, limit: number): { first: bigint; end: bigint } {
    const first = start < chainLength ? start : chainLength;
    const capped = length < BigInt(limit) ? length : BigInt(limit);
    const end = first + capped < chainLength ? first + capped : chainLength;
    return { first, end };
}
