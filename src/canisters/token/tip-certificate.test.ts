/**
 * The tip's tree and its root hash agree with @dfinity/agent's reading of the IC's hash trees: what the ledger
 * certifies is the root of the tree it hands out, with and without blocks.
 */
import { lookup_path, lookupResultToBuffer, reconstruct } from '@dfinity/agent';
import { decode as cborDecode } from '@dfinity/cbor';

import { leb128 } from '../../ic/leb128';
import { tipRootHash, tipTreeCbor } from './tip-certificate';

type Tree = Parameters<typeof reconstruct>[0];

it('certifies the root of the tree it returns, labelled as ICRC-3 says', async () => {
    const tip = { length: 301n, last_hash: [new Uint8Array(32).fill(7)] as [Uint8Array] };
    const tree = cborDecode(tipTreeCbor(tip)) as Tree;
    expect(await reconstruct(tree)).toEqual(tipRootHash(tip));
    expect(lookupResultToBuffer(lookup_path(['last_block_hash'], tree))).toEqual(tip.last_hash[0]);
    expect(lookupResultToBuffer(lookup_path(['last_block_index'], tree))).toEqual(leb128(300n));
});

it('before the first block, certifies the empty tree', async () => {
    const tip = { length: 0n, last_hash: [] as [] };
    expect(await reconstruct(cborDecode(tipTreeCbor(tip)) as Tree)).toEqual(tipRootHash(tip));
});
