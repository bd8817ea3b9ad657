/**
 * The token's stable maps, opened on the memories `state.ts` assigns them: Azle's `StableBTreeMap` with binary
 * keys and values (the ledger gives the bytes). Only canister code imports this module, as it loads Azle.
 */
import { StableBTreeMap } from 'azle';

import type { ByteMap } from '../../shared/store';
import { type LedgerMaps, MEMORY, SPONSORSHIP_MEMORY } from './state';
import { RAW_BYTES } from '../../shared/store';

const map = (id: number) => new StableBTreeMap<Uint8Array, Uint8Array>(id, RAW_BYTES, RAW_BYTES);

/** The sponsorship module's map. */
export function sponsorshipMap(): ByteMap {
    return map(SPONSORSHIP_MEMORY);
}

export function stableMaps(): LedgerMaps {
    return {
        meta: map(MEMORY.meta),
        balances: map(MEMORY.balances),
        allowances: map(MEMORY.allowances),
        expirations: map(MEMORY.expirations),
        allowanceIndex: map(MEMORY.allowanceIndex),
        blocks: map(MEMORY.blocks),
        dedup: map(MEMORY.dedup),
        dedupByTime: map(MEMORY.dedupByTime)
    };
}
