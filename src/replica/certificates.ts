/**
 * Certificates as the IC issues them (interface specification, "Certification"): a hash tree of the state,
 * signed with BLS12-381 by the subnet's key, CBOR-encoded. The local IC's root key is derived from its seed;
 * a client verifies a certificate with it, as it would with the IC's root key.
 */
import { encodeWithSelfDescribedTag } from '@dfinity/cbor';
import { bls12_381 } from '@noble/curves/bls12-381';
import { sha256 } from '@noble/hashes/sha2';

import { type HashTree, rootHash } from '../ic/hash-tree';
import { leb128 } from '../ic/leb128';

export type { HashTree } from '../ic/hash-tree';

/** The DER prefix of a BLS12-381 G2 public key, as the IC encodes its root key. */
const DER_PREFIX = Uint8Array.from(
    Buffer.from('308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100', 'hex')
);

const utf8 = (s: string) => new TextEncoder().encode(s);

function domainSeparator(name: string): Uint8Array {
    const bytes = utf8(name);
    return Uint8Array.from([bytes.length, ...bytes]);
}

const keysBySeed = new Map<string, SubnetKey>();

/** A subnet's signing key. */
export class SubnetKey {
    /** The key for a seed, derived once per process (deriving the public key takes about a tenth of a second). */
    static forSeed(seed: string): SubnetKey {
        let key = keysBySeed.get(seed);
        if (key === undefined) keysBySeed.set(seed, (key = new SubnetKey(seed)));
        return key;
    }

    private readonly secret: Uint8Array;
    /** The public key in G2, 96 bytes. */
    readonly publicKey: Uint8Array;

    constructor(seed: string) {
        const scalar =
            BigInt(`0x${Buffer.from(sha256(utf8(`local-ic root key/${seed}`))).toString('hex')}`) % bls12_381.fields.Fr.ORDER;
        this.secret = Uint8Array.from(Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex'));
        this.publicKey = bls12_381.getPublicKeyForShortSignatures(this.secret);
    }

    /** The root key as the IC's status endpoint and agents give it: DER-encoded. */
    get derPublicKey(): Uint8Array {
        return Uint8Array.from([...DER_PREFIX, ...this.publicKey]);
    }

    /** A certificate of `tree`: its root hash signed under the `ic-state-root` domain. */
    certify(tree: HashTree): Uint8Array {
        const message = Buffer.concat([domainSeparator('ic-state-root'), rootHash(tree)]);
        const signature = bls12_381.signShortSignature(message, this.secret) as Uint8Array; // 48 bytes: a point in G1
        return encodeWithSelfDescribedTag({ tree, signature });
    }
}

/** The state tree a canister's data certificate covers: its certified data, and the time. */
export function certifiedDataTree(canisterId: Uint8Array, certifiedData: Uint8Array, timeNs: bigint): HashTree {
    const canister: HashTree = [2, utf8('canister'), [2, canisterId, [2, utf8('certified_data'), [3, certifiedData]]]];
    const time: HashTree = [2, utf8('time'), [3, leb128(timeNs)]];
    return [1, canister, time];
}
