/**
 * Syncing from the ledger: one step asks the ledger's `icrc3_get_blocks` for the blocks after the last synced
 * one, follows its `archived_blocks` callbacks to the archives that hold older ones, and applies what it got in
 * order. One step is one timer message with at most {@link MAX_BLOCKS_PER_SYNC} blocks, so no message of the
 * index runs out of instructions however far behind it is; the canister chains steps while the ledger has more.
 */
import type { ICRC3Value } from '../../icrc/interface';
import type { LedgerIndex } from './indexer';

/** Blocks applied in one message (the ledger answers at most 100 a call; one call a step). */
export const MAX_BLOCKS_PER_SYNC = 100;

/** An ICRC-3 `GetBlocksResult`, the callback of each archived range reduced to something to call. */
export type BlocksPage = {
    readonly log_length: bigint;
    readonly blocks: readonly { id: bigint; block: ICRC3Value }[];
    readonly archived_blocks: readonly { args: { start: bigint; length: bigint }[]; fetch: () => Promise<BlocksPage> }[];
};

/** Where blocks come from: the ledger's `icrc3_get_blocks` (the canister calls it; tests pass a ledger in Node). */
export type BlockSource = (start: bigint, length: bigint) => Promise<BlocksPage>;

export type SyncOutcome = {
    /** Blocks applied in this step. */
    readonly applied: number;
    /** Whether the ledger holds blocks the index has not applied yet (another step should follow at once). */
    readonly behind: boolean;
};

/** One sync step: fetches the next blocks (from the ledger and its archives) and applies them in order. */
export async function syncStep(index: LedgerIndex, source: BlockSource): Promise<SyncOutcome> {
    if (index.sync.halted.length > 0) return { applied: 0, behind: false };
    const start = index.sync.synced;
    const page = await source(start, BigInt(MAX_BLOCKS_PER_SYNC));
    const found = new Map<bigint, ICRC3Value>();
    for (const { id, block } of page.blocks) found.set(id, block);
    for (const archived of page.archived_blocks) {
        if (
            !archived.args.some(
                (range) => range.start < start + BigInt(MAX_BLOCKS_PER_SYNC) && range.start + range.length > start
            )
        )
            continue;
        const fromArchive = await archived.fetch();
        for (const { id, block } of fromArchive.blocks) found.set(id, block);
    }
    // Another step may have run while this one waited for the ledger: apply only from where the index now is.
    let applied = 0;
    for (let id = index.sync.synced; applied < MAX_BLOCKS_PER_SYNC; id++) {
        const block = found.get(id);
        if (block === undefined || !index.apply(id, block)) break;
        applied++;
    }
    return { applied, behind: index.sync.halted.length === 0 && index.sync.synced < page.log_length };
}
