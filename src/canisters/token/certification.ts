/**
 * The certified tip (ICRC-3, "Certification"): a hash tree with two leaves, `last_block_hash` and
 * `last_block_index` (LEB128), whose root hash the ledger sets as its certified data after every block, before
 * any await. `icrc3_get_tip_certificate` returns the IC's certificate of that data with the tree, CBOR-encoded,
 * so a client checks the tip against the IC's root key, then walks the blocks back from it.
 *
 * The tree's hashing is the IC interface specification's ("Certificate", "Hash trees"): a domain separator (its
 * length byte, then its text) before each node's contents.
 */
import { sha256 } from '../../shared/crypto/sha256';
import { leb128 } from '../../shared/leb128';

const LAST_BLOCK_HASH = new TextEncoder().encode('last_block_hash');
const LAST_BLOCK_INDEX = new TextEncoder().encode('last_block_index');

function domainSeparated(separator: string, ...parts: Uint8Array[]): Uint8Array {
    const length = 1 + separator.length + parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(length);
    bytes[0] = separator.length;
    for (let i = 0; i < separator.length; i++) bytes[1 + i] = separator.charCodeAt(i);
    let at = 1 + separator.length;
    for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
    }
    return sha256(bytes);
}

const emptyHash = () => domainSeparated('ic-hashtree-empty');
const leafHash = (value: Uint8Array) => domainSeparated('ic-hashtree-leaf', value);
const labeledHash = (label: Uint8Array, subtree: Uint8Array) => domainSeparated('ic-hashtree-labeled', label, subtree);
const forkHash = (left: Uint8Array, right: Uint8Array) => domainSeparated('ic-hashtree-fork', left, right);

/** The end of the chain as certification sees it: how many blocks, and the last one's hash (none before the first). */
export type ChainTip = { readonly length: bigint; readonly last_hash: [] | [Uint8Array] };

/**
 * The certified data for a tip: the root hash of its tree (labels in order: `hash` before `index`); a ledger
 * without blocks certifies the empty tree.
 */
export function tipRootHash(tip: ChainTip): Uint8Array {
    const [last] = tip.last_hash;
    if (last === undefined) return emptyHash();
    return forkHash(
        labeledHash(LAST_BLOCK_HASH, leafHash(last)),
        labeledHash(LAST_BLOCK_INDEX, leafHash(leb128(tip.length - 1n)))
    );
}

// CBOR (RFC 8949), only what a hash tree needs: arrays of small integers and byte strings.

function cborHead(major: number, n: number): number[] {
    if (n < 24) return [(major << 5) | n];
    if (n < 0x100) return [(major << 5) | 24, n];
    if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

const cborBytes = (b: Uint8Array): number[] => [...cborHead(2, b.length), ...b];
const cborArray = (items: number[][]): number[] => [...cborHead(4, items.length), ...items.flat()];
const cborUint = (n: number): number[] => cborHead(0, n);

/** The tip's hash tree (the empty tree before the first block), CBOR-encoded with the self-describing tag as the IC writes its trees. */
export function tipTreeCbor(tip: ChainTip): Uint8Array {
    const [last] = tip.last_hash;
    const leaf = (value: Uint8Array) => cborArray([cborUint(3), cborBytes(value)]);
    const labeled = (label: Uint8Array, subtree: number[]) => cborArray([cborUint(2), cborBytes(label), subtree]);
    const tree =
        last === undefined
            ? cborArray([cborUint(0)])
            : cborArray([
                  cborUint(1),
                  labeled(LAST_BLOCK_HASH, leaf(last)),
                  labeled(LAST_BLOCK_INDEX, leaf(leb128(tip.length - 1n)))
              ]);
    return Uint8Array.from([0xd9, 0xd9, 0xf7, ...tree]);
}
