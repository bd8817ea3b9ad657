/**
 * The ledger's state layout: what lives in which stable map, and how each key and value is laid out in bytes.
 * Keys are binary and sort in the order the ledger reads them (accounts in ICRC-103 order, blocks and times as
 * big-endian integers); values are compact (balances as LEB128, blocks in Candid without the type table).
 * Everything is in stable memory, so an upgrade keeps it; the heap holds only caches of the config and the tip,
 * reloaded from stable memory by `post_upgrade`.
 *
 * | memory | map              | key                                         | value                           |
 * | ------ | ---------------- | ------------------------------------------- | ------------------------------- |
 * | 0      | meta             | `config` / `tip`                            | TokenConfig / Tip               |
 * | 1      | balances         | account key (62 bytes)                      | LEB128 amount                   |
 * | 2      | allowances       | from key ‖ spender key (124 bytes)          | expiry flag, u64 BE, LEB128     |
 * | 3      | expirations      | expires_at u64 BE ‖ from key ‖ spender key  | empty                           |
 * | 4      | (retired)        | owner (30 bytes: padded principal, length)  | sorted (from ‖ spender) keys    |
 * | 5      | blocks           | index u64 BE                                | ICRC-3 value                    |
 * | 6      | dedup            | tx hash (32) ‖ block type code (1)          | block index u64 BE              |
 * | 7      | dedup by time    | created_at_time u64 BE ‖ dedup key          | empty                           |
 * | 8      | sponsorship      | `policy` / `config`                         | SponsorPolicy / SponsorshipConfig |
 * | 9      | allowance order  | B+ tree node id u32 BE (`ordered-keys.ts`)  | node: up to 16 pair keys        |
 *
 * Memory 9 lists every approval's pair key in order, so that ICRC-103 lists an owner's approvals from a spender
 * on in O(log n). It replaced memory 4, which held all of an owner's pair keys in one value: every approval
 * added or removed rewrote it, so an owner with thousands of approvals made each change (and each expired
 * approval housekeeping pruned, in anybody's transaction) cost O(its approvals), enough to trap every
 * transaction (issue 21, finding 1). `post_upgrade` moves what memory 4 holds into memory 9 and empties it.
 * No entry in any map grows with one user's activity: each approval, balance and block is its own entry.
 *
 * Never renumber a memory or change a layout in place: an upgrade reads what the previous version wrote.
 */
import { concat } from '@dfinity/candid';
import type * as z from 'zod/mini';

import { readU64be, u64be } from '../../ic/bytes';
import { c } from '../../candid';
import { valueCodec } from '../../candid/wire';
import { type Account, ICRC3Value } from '../../icrc/interface';
import { leb128, readLeb128 } from '../../ic/leb128';
import { ACCOUNT_KEY_BYTES, accountKey, MAX_PRINCIPAL_BYTES } from './accounts';
import { TokenConfig } from './config';
import { OrderedKeys } from './ordered-keys';
import { type ByteMap, heapMapsOf, type MemoryByteMap } from '../../ic/stable-maps';

export const MEMORY = {
    meta: 0,
    balances: 1,
    allowances: 2,
    expirations: 3,
    /** Retired (see the table); read only to migrate it into `allowanceOrder`. */
    legacyAllowanceIndex: 4,
    blocks: 5,
    dedup: 6,
    dedupByTime: 7,
    allowanceOrder: 9
} as const;

/** The sponsorship module's map (`src/sponsorship`), apart from the ledger's. */
export const SPONSORSHIP_MEMORY = 8;

export type LedgerMaps = { readonly [K in keyof typeof MEMORY]: ByteMap };

/** The same maps on the heap, for running the ledger in Node (unit and model-based tests). */
export function heapMaps(): Record<keyof typeof MEMORY, MemoryByteMap> {
    return heapMapsOf(MEMORY);
}

/** The end of the chain: how many blocks, the last one's hash, and the supply they add up to. */
export const Tip = c.record({ length: c.nat(), last_hash: c.opt(c.blob()), total_supply: c.nat() });
export type Tip = z.infer<typeof Tip>;

const configCodec = valueCodec<TokenConfig>(TokenConfig);
const tipCodec = valueCodec<Tip>(Tip);
const blockCodec = valueCodec<ICRC3Value>(ICRC3Value);

const utf8 = new TextEncoder();
const CONFIG_KEY = utf8.encode('config');
const TIP_KEY = utf8.encode('tip');
const OWNER_BYTES = MAX_PRINCIPAL_BYTES + 1;
const PAIR_BYTES = 2 * ACCOUNT_KEY_BYTES;

export type StoredApproval = { allowance: bigint; expiresAt: bigint | undefined };

function encodeApproval(approval: StoredApproval): Uint8Array {
    const head = new Uint8Array(9);
    if (approval.expiresAt !== undefined) {
        head[0] = 1;
        head.set(u64be(approval.expiresAt), 1);
    }
    return concat(head, leb128(approval.allowance));
}

function decodeApproval(bytes: Uint8Array): StoredApproval {
    return {
        expiresAt: bytes[0] === 1 ? readU64be(bytes, 1) : undefined,
        allowance: readLeb128(bytes.subarray(9))
    };
}

/** Typed access to the ledger's maps; every method reads or writes exactly the entries it names. */
export class LedgerState {
    private readonly allowanceOrder: OrderedKeys;

    constructor(readonly maps: LedgerMaps) {
        this.allowanceOrder = new OrderedKeys(maps.allowanceOrder, PAIR_BYTES);
    }

    // --- meta ---

    readConfig(): TokenConfig | undefined {
        const bytes = this.maps.meta.get(CONFIG_KEY);
        return bytes === undefined ? undefined : configCodec.decode(bytes);
    }

    writeConfig(config: TokenConfig): void {
        this.maps.meta.insert(CONFIG_KEY, configCodec.encode(config));
    }

    readTip(): Tip {
        const bytes = this.maps.meta.get(TIP_KEY);
        return bytes === undefined ? { length: 0n, last_hash: [], total_supply: 0n } : tipCodec.decode(bytes);
    }

    writeTip(tip: Tip): void {
        this.maps.meta.insert(TIP_KEY, tipCodec.encode(tip));
    }

    // --- balances ---

    balance(key: Uint8Array): bigint {
        const bytes = this.maps.balances.get(key);
        return bytes === undefined ? 0n : readLeb128(bytes);
    }

    /** Sets a balance; a zero balance is removed, so an emptied account costs no memory. */
    setBalance(key: Uint8Array, amount: bigint): void {
        if (amount === 0n) this.maps.balances.remove(key);
        else this.maps.balances.insert(key, leb128(amount));
    }

    accountCount(): number {
        return Number(this.maps.balances.len());
    }

    // --- allowances ---

    approval(pairKey: Uint8Array): StoredApproval | undefined {
        const bytes = this.maps.allowances.get(pairKey);
        return bytes === undefined ? undefined : decodeApproval(bytes);
    }

    /** Sets (or, with a zero allowance, removes) an approval, keeping the expiry queue and the order in step. */
    setApproval(pairKey: Uint8Array, approval: StoredApproval): void {
        const old = this.approval(pairKey);
        if (old?.expiresAt !== undefined) this.maps.expirations.remove(concat(u64be(old.expiresAt), pairKey));
        if (approval.allowance === 0n) {
            if (old !== undefined) {
                this.maps.allowances.remove(pairKey);
                this.allowanceOrder.delete(pairKey);
            }
            return;
        }
        this.maps.allowances.insert(pairKey, encodeApproval(approval));
        if (approval.expiresAt !== undefined)
            this.maps.expirations.insert(concat(u64be(approval.expiresAt), pairKey), new Uint8Array());
        if (old === undefined) this.allowanceOrder.add(pairKey);
    }

    /** The earliest-expiring approvals, at most `limit`, as (expires_at, pair key). */
    nextExpirations(limit: number): { expiresAt: bigint; pairKey: Uint8Array }[] {
        return this.maps.expirations.items(0, limit).map(([key]) => ({ expiresAt: readU64be(key), pairKey: key.subarray(8) }));
    }

    approvalCount(): number {
        return Number(this.maps.allowances.len());
    }

    /**
     * Pair keys in order from `start` (itself included when `inclusive`); each step reads at most one node of the
     * order, so a caller that stops after k keys pays O(log n + k).
     */
    pairsFrom(start: Uint8Array, inclusive: boolean): Generator<Uint8Array, void, undefined> {
        return this.allowanceOrder.from(start, inclusive);
    }

    /**
     * Moves the retired per-owner index (memory 4) into the order (memory 9), emptying memory 4; returns how many
     * pair keys it moved. Runs in `post_upgrade`; once memory 4 is empty it costs one look-up.
     */
    migrateAllowanceIndex(): number {
        const legacy = this.maps.legacyAllowanceIndex;
        let moved = 0;
        for (;;) {
            const [entry] = legacy.items(0, 1);
            if (entry === undefined) return moved;
            const [owner, pairs] = entry;
            for (let at = 0; at < pairs.length; at += PAIR_BYTES) {
                this.allowanceOrder.add(pairs.subarray(at, at + PAIR_BYTES));
                moved++;
            }
            legacy.remove(owner);
        }
    }

    // --- blocks ---

    block(index: bigint): ICRC3Value | undefined {
        const bytes = this.maps.blocks.get(u64be(index));
        return bytes === undefined ? undefined : blockCodec.decode(bytes);
    }

    /** The block as stored: Candid's value encoding of an ICRC3Value, ready to splice into a reply. */
    blockBytes(index: bigint): Uint8Array | undefined {
        return this.maps.blocks.get(u64be(index));
    }

    /** Stores a block given in Candid's value encoding (`src/icrc/value-encoding.ts`). */
    appendBlock(index: bigint, encoded: Uint8Array): void {
        this.maps.blocks.insert(u64be(index), encoded);
    }

    // --- deduplication ---

    duplicateOf(dedupKey: Uint8Array): bigint | undefined {
        const bytes = this.maps.dedup.get(dedupKey);
        return bytes === undefined ? undefined : readU64be(bytes);
    }

    remember(dedupKey: Uint8Array, createdAt: bigint, index: bigint): void {
        this.maps.dedup.insert(dedupKey, u64be(index));
        this.maps.dedupByTime.insert(concat(u64be(createdAt), dedupKey), new Uint8Array());
    }

    /**
     * Forgets up to `limit` remembered transactions created before `before`; returns how many. Reads the oldest
     * entry one at a time: usually none has expired, and reading `limit` entries to find that out costs more.
     */
    forgetBefore(before: bigint, limit: number): number {
        let forgotten = 0;
        while (forgotten < limit) {
            const [oldest] = this.maps.dedupByTime.items(0, 1);
            if (oldest === undefined || readU64be(oldest[0]) >= before) break;
            this.maps.dedupByTime.remove(oldest[0]);
            this.maps.dedup.remove(oldest[0].subarray(8));
            forgotten++;
        }
        return forgotten;
    }

    rememberedCount(): number {
        return Number(this.maps.dedup.len());
    }
}

/** The pair key of an approval: the owner's account key, then the spender's. */
export function pairKey(from: Account, spender: Account): Uint8Array {
    return concat(accountKey(from), accountKey(spender));
}

/** An owner's principal as the first 30 bytes of its account keys: the prefix all its pair keys share. */
export function ownerKeyOf(account: Account): Uint8Array {
    return accountKey(account).subarray(0, OWNER_BYTES);
}
