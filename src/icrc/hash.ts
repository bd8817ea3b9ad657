/**
 * ICRC-3's representation-independent hash of a value (ICRC-3 standard, "Value" and "Hashing"): the hash of a
 * block, and of a transaction for deduplication. Plain code over the suite's SHA-256 (`../crypto/sha256`, cheaper
 * than @noble/hashes' in a canister), so that the token (each block's hash and `phash`) and clients that verify
 * blocks share it.
 *
 * - Nat: SHA-256 of its unsigned LEB128 encoding; Int: of its signed LEB128 encoding;
 * - Text: of its UTF-8 bytes; Blob: of its bytes;
 * - Array: of the concatenation of the elements' hashes, in order;
 * - Map: of the concatenation, sorted bytewise, of each entry's hash(key) ‖ hash(value).
 *
 * The legacy `Nat64` value hashes as a Nat.
 */
import { concat } from '@dfinity/candid';

import { compareBytes } from '../ic/bytes';
import { sha256 } from '../ic/crypto';
import { leb128, sleb128 } from '../ic/leb128';
import type { ICRC3Value, Value } from './interface';

const utf8 = new TextEncoder();

/**
 * Hashes of map keys, remembered: a ledger hashes the same few keys (`btype`, `ts`, `tx`, `amt`, ...) in every
 * block, and each SHA-256 costs about a million instructions in a canister. Bounded, so arbitrary values hashed
 * by a client cannot grow it without limit.
 */
const keyHashes = new Map<string, Uint8Array>();
const MAX_REMEMBERED_KEYS = 256;

function keyHash(key: string): Uint8Array {
    let hash = keyHashes.get(key);
    if (hash === undefined) {
        hash = sha256(utf8.encode(key));
        if (keyHashes.size < MAX_REMEMBERED_KEYS) keyHashes.set(key, hash);
    }
    return hash;
}

/** The hash of a map whose values are already hashed: sorted `hash(key) ‖ hash(value)` pairs, hashed. */
export function hashMapOfHashes(entries: readonly (readonly [string, Uint8Array])[]): Uint8Array {
    const pairs = entries.map(([key, valueHash]) => concat(keyHash(key), valueHash));
    pairs.sort(compareBytes);
    return sha256(concat(...pairs));
}

/** The 32-byte representation-independent hash of an ICRC-3 value (or a legacy `Value`). */
export function hashValue(value: ICRC3Value | Value): Uint8Array {
    if ('Nat' in value) return sha256(leb128(value.Nat));
    if ('Nat64' in value) return sha256(leb128(value.Nat64));
    if ('Int' in value) return sha256(sleb128(value.Int));
    if ('Text' in value) return sha256(utf8.encode(value.Text));
    if ('Blob' in value) return sha256(value.Blob);
    if ('Array' in value) return sha256(concat(...value.Array.map((v) => hashValue(v))));
    return hashMapOfHashes(value.Map.map(([key, v]) => [key, hashValue(v)] as const));
}
