/**
 * The token's stable maps, opened on the memories `state.ts` assigns them: Azle's `StableBTreeMap` with binary
 * keys and values (the ledger gives the bytes). Only canister code imports this module, as it loads Azle.
 */
import { StableBTreeMap } from 'azle';

import { type LedgerMaps, MEMORY } from './state';
import { RAW_BYTES } from './store';

export function stableMaps(): LedgerMaps {
    const map = (id: number) => new StableBTreeMap<Uint8Array, Uint8Array>(id, RAW_BYTES, RAW_BYTES);
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
