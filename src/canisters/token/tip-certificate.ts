/**
 * The certified tip (ICRC-3, "Certification"): a hash tree with two leaves, `last_block_hash` and
 * `last_block_index` (LEB128), whose root hash the ledger sets as its certified data after every block, before
 * any await. `icrc3_get_tip_certificate` returns the IC's certificate of that data with the tree, CBOR-encoded,
 * so a client checks the tip against the IC's root key, then walks the blocks back from it.
 */
import { encodeTree, type HashTree, rootHash } from '../../ic/hash-tree';
import { leb128 } from '../../ic/leb128';

const LAST_BLOCK_HASH = new TextEncoder().encode('last_block_hash');
const LAST_BLOCK_INDEX = new TextEncoder().encode('last_block_index');

/** The end of the chain as certification sees it: how many blocks, and the last one's hash (none before the first). */
export type ChainTip = { readonly length: bigint; readonly last_hash: [] | [Uint8Array] };

/** The tip's tree: the two labels in order (`hash` before `index`); the empty tree before the first block. */
function tipTree(tip: ChainTip): HashTree {
    const [last] = tip.last_hash;
    if (last === undefined) return [0];
    return [1, [2, LAST_BLOCK_HASH, [3, last]], [2, LAST_BLOCK_INDEX, [3, leb128(tip.length - 1n)]]];
}

/** The certified data for a tip: the root hash of its tree. */
export function tipRootHash(tip: ChainTip): Uint8Array {
    return rootHash(tipTree(tip));
}

/** The tip's hash tree, CBOR-encoded as the IC writes its trees. */
export function tipTreeCbor(tip: ChainTip): Uint8Array {
    return encodeTree(tipTree(tip));
}
