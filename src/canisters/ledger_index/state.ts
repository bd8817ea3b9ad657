/**
 * The ledger index's state layout. Everything is in stable memory, so an upgrade keeps every synced block,
 * balance and account history, and syncing goes on from where it stopped.
 *
 * | memory | map            | key                                         | value                                  |
 * | ------ | -------------- | ------------------------------------------- | -------------------------------------- |
 * | 0      | meta           | `config`, `sync`                            | IndexConfig, SyncState (Candid)        |
 * | 1      | blocks         | block index u64 BE                          | the block as the ledger served it       |
 * | 2      | accounts       | account key (`../token/accounts.ts`)        | has-history byte ‖ oldest block u64 BE ‖ balance LEB128 |
 * | 3      | subaccounts    | ordered set of account keys (`OrderedKeys`) |                                        |
 * | 4      | history        | ordered set of account key ‖ (2^64 − 1 − block index) u64 BE: newest first |        |
 * | 5      | feeCollectors  | block index u64 BE of a change              | account key, or empty: fees burned from there |
 *
 * Never renumber a memory or change a layout in place: an upgrade reads what the previous version wrote.
 */
import { concat } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';
import type * as z from 'zod/mini';

import { readU64be, u64be } from '../../ic/bytes';
import { c } from '../../candid';
import { valueCodec } from '../../candid/wire';
import { Account, ICRC3Value } from '../../icrc/interface';
import { leb128, readLeb128 } from '../../ic/leb128';
import { OrderedKeys } from '../token/ordered-keys';
import { type ByteMap, heapMapsOf, type MemoryByteMap } from '../../ic/stable-maps';
import { ACCOUNT_KEY_BYTES, accountKey, accountOfKey } from '../token/accounts';

export const MEMORY = { meta: 0, blocks: 1, accounts: 2, subaccounts: 3, history: 4, feeCollectors: 5 } as const;

export type IndexMaps = { readonly [K in keyof typeof MEMORY]: ByteMap };

/** The same maps on the heap, for running the index in Node. */
export function heapMaps(): Record<keyof typeof MEMORY, MemoryByteMap> {
    return heapMapsOf(MEMORY);
}

/** What the init argument sets: the ledger, and how often to ask it for blocks (index-ng's adaptive interval). */
export const IndexConfig = c.record({
    ledger_id: c.principal(),
    min_interval_seconds: c.nat64(),
    max_interval_seconds: c.nat64()
});
export type IndexConfig = z.infer<typeof IndexConfig>;

/** How far syncing got: blocks applied, the fee collector in force, and why it stopped if it did. */
export const SyncState = c.record({
    synced: c.nat64(),
    /** The collector set by the last `107feecol` block (ICRC-107: it takes every fee). */
    fee_collector: c.opt(Account),
    /** Whether a `107feecol` block was seen: from then on the legacy `fee_col` fields no longer apply. */
    icrc107: c.bool(),
    /** The legacy collector (`fee_col`), which takes transfer fees only. */
    legacy_fee_collector: c.opt(Account),
    /** A block the index could not read: syncing stops there, and `status` still reports the blocks before it. */
    halted: c.opt(c.text())
});
export type SyncState = z.infer<typeof SyncState>;

const blockCodec = valueCodec<ICRC3Value>(ICRC3Value);

const utf8 = new TextEncoder();
const U64_MAX = (1n << 64n) - 1n;
const HISTORY_KEY_BYTES = ACCOUNT_KEY_BYTES + 8;
/** An account key's owner part: the padded principal and its length byte. */
export const OWNER_KEY_BYTES = ACCOUNT_KEY_BYTES - 32;

const EMPTY_SYNC: SyncState = { synced: 0n, fee_collector: [], icrc107: false, legacy_fee_collector: [], halted: [] };

/** An account's entry: its balance and the oldest block in its history (none for an account only paid fees). */
export type AccountEntry = { balance: bigint; oldest: bigint | undefined };

function encodeEntry(entry: AccountEntry): Uint8Array {
    return concat(Uint8Array.of(entry.oldest === undefined ? 0 : 1), u64be(entry.oldest ?? 0n), leb128(entry.balance));
}

function decodeEntry(bytes: Uint8Array): AccountEntry {
    return { oldest: bytes[0] === 1 ? readU64be(bytes, 1) : undefined, balance: readLeb128(bytes.subarray(9)) };
}

type StoredRecord<T> = { read(): T | undefined; write(value: T): void };

/** One record under one key of a map, read and written whole. */
function storedRecord<T>(
    map: ByteMap,
    key: Uint8Array,
    codec: { encode(value: T): Uint8Array; decode(bytes: Uint8Array): T }
): StoredRecord<T> {
    return {
        read: (): T | undefined => {
            const bytes = map.get(key);
            return bytes === undefined ? undefined : codec.decode(bytes);
        },
        write: (value: T): void => {
            map.insert(key, codec.encode(value));
        }
    };
}

/** The history key of `block` for an account: later blocks sort first. */
function historyKey(key: Uint8Array, block: bigint): Uint8Array {
    return concat(key, u64be(U64_MAX - block));
}

export class IndexState {
    private readonly subaccountOrder: OrderedKeys;
    private readonly historyOrder: OrderedKeys;

    constructor(readonly maps: IndexMaps) {
        this.subaccountOrder = new OrderedKeys(maps.subaccounts, ACCOUNT_KEY_BYTES);
        this.historyOrder = new OrderedKeys(maps.history, HISTORY_KEY_BYTES);
        this.config = storedRecord(maps.meta, utf8.encode('config'), valueCodec<IndexConfig>(IndexConfig));
        this.syncRecord = storedRecord(maps.meta, utf8.encode('sync'), valueCodec<SyncState>(SyncState));
    }

    /** The init argument's settings; none before `init`. */
    private readonly config: StoredRecord<IndexConfig>;
    /** How far syncing got (nothing synced before the first block). */
    private readonly syncRecord: StoredRecord<SyncState>;

    readConfig(): IndexConfig | undefined {
        return this.config.read();
    }

    writeConfig(config: IndexConfig): void {
        this.config.write(config);
    }

    readSync(): SyncState {
        return this.syncRecord.read() ?? EMPTY_SYNC;
    }

    writeSync(sync: SyncState): void {
        this.syncRecord.write(sync);
    }

    block(index: bigint): ICRC3Value | undefined {
        const bytes = this.maps.blocks.get(u64be(index));
        return bytes === undefined ? undefined : blockCodec.decode(bytes);
    }

    appendBlock(index: bigint, block: ICRC3Value): void {
        this.maps.blocks.insert(u64be(index), blockCodec.encode(block));
    }

    account(key: Uint8Array): AccountEntry {
        const bytes = this.maps.accounts.get(key);
        return bytes === undefined ? { balance: 0n, oldest: undefined } : decodeEntry(bytes);
    }

    writeAccount(key: Uint8Array, entry: AccountEntry): void {
        this.maps.accounts.insert(key, encodeEntry(entry));
    }

    /** Lists `block` in the account's history (blocks come in order, so the first one is its oldest). */
    addToHistory(key: Uint8Array, block: bigint): void {
        const entry = this.account(key);
        if (entry.oldest === undefined) {
            this.writeAccount(key, { ...entry, oldest: block });
            this.subaccountOrder.add(key);
        }
        this.historyOrder.add(historyKey(key, block));
    }

    /** The account's blocks, newest first, from before `before` (from the newest when undefined), at most `max`. */
    history(account: Account, before: bigint | undefined, max: number): bigint[] {
        const key = accountKey(account);
        const out: bigint[] = [];
        if (max <= 0) return out;
        const start = before === undefined ? historyKey(key, U64_MAX) : historyKey(key, before);
        for (const entry of this.historyOrder.from(start, before === undefined)) {
            if (compareHead(entry, key, ACCOUNT_KEY_BYTES) !== 0) break;
            out.push(U64_MAX - readU64be(entry, ACCOUNT_KEY_BYTES));
            if (out.length >= max) break;
        }
        return out;
    }

    /** The owner's subaccounts that have a history, in order, after `after` (from the first when undefined). */
    subaccounts(owner: Principal, after: Uint8Array | undefined, max: number): Uint8Array[] {
        const first = accountKey({ owner, subaccount: after === undefined ? [] : [after] });
        const out: Uint8Array[] = [];
        if (max <= 0) return out;
        for (const key of this.subaccountOrder.from(first, after === undefined)) {
            if (compareHead(key, first, OWNER_KEY_BYTES) !== 0) break;
            out.push(key.slice(OWNER_KEY_BYTES));
            if (out.length >= max) break;
        }
        return out;
    }

    /** Records that fees go to `collector` (burned when none) from block `index` on. */
    recordFeeCollector(index: bigint, collector: Account | undefined): void {
        this.maps.feeCollectors.insert(u64be(index), collector === undefined ? new Uint8Array() : accountKey(collector));
    }

    /** Every fee-collector change, in block order. */
    feeCollectorChanges(): { from: bigint; collector: Account | undefined }[] {
        return this.maps.feeCollectors
            .items()
            .map(([index, key]) => ({ from: readU64be(index), collector: key.length === 0 ? undefined : accountOfKey(key) }));
    }
}

/** Compares the first `length` bytes of `a` with those of `b`. */
function compareHead(a: Uint8Array, b: Uint8Array, length: number): number {
    for (let i = 0; i < length; i++) {
        const d = (a[i] ?? 0) - (b[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}
