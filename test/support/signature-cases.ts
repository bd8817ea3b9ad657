/**
 * Signature checks with known answers under the suite's signature policy (docs/registry.md, "Signature
 * policy"), for both paths: the JS checks in Node and the native ones inside a canister. Three sources:
 * RFC 8032's test vectors, Project Wycheproof's vectors (test/vectors/, from `scripts/wycheproof-vectors.ts`),
 * and hostile cases built here with @noble/curves: small-order and mixed-order Ed25519 points, a
 * non-canonical encoding, a malleated `s`, ECDSA's high `s`, out-of-range scalars, wrong lengths and
 * points off the curve.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';
import { sha256, sha512 } from '@noble/hashes/sha2';

import wycheproof from '../vectors/wycheproof-signatures.json';

export type Curve = 'Ed25519' | 'Secp256k1' | 'P256';
export type SignatureCase = {
    readonly name: string;
    readonly curve: Curve;
    readonly key: Uint8Array;
    readonly message: Uint8Array;
    readonly signature: Uint8Array;
    /** The answer the policy gives. */
    readonly valid: boolean;
};

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const utf8 = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

/** RFC 8032 §7.1, tests 1–3 (secret key, public key, message, signature). */
export const RFC8032_VECTORS = [
    [
        '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
        'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
        '',
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
    ],
    [
        '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
        '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
        '72',
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
    ],
    [
        'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
        'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
        'af82',
        '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'
    ]
] as const;

export function rfc8032Cases(): SignatureCase[] {
    return RFC8032_VECTORS.flatMap(([, key, message, signature], i) => {
        const tampered = hex(signature);
        tampered[0] = (tampered[0] as number) ^ 1;
        return [
            {
                name: `RFC 8032 test ${i + 1}`,
                curve: 'Ed25519',
                key: hex(key),
                message: hex(message),
                signature: hex(signature),
                valid: true
            },
            {
                name: `RFC 8032 test ${i + 1}, R altered`,
                curve: 'Ed25519',
                key: hex(key),
                message: hex(message),
                signature: tampered,
                valid: false
            }
        ] satisfies SignatureCase[];
    });
}

/** Every Wycheproof vector: `valid` must verify, `invalid` must not (the files have no `acceptable` ones). */
export function wycheproofCases(): SignatureCase[] {
    return wycheproof.vectors.map((v) => ({
        name: `Wycheproof ${v.id} (${v.comment || v.result})`,
        curve: v.curve as Curve,
        key: hex(v.key),
        message: hex(v.message),
        signature: hex(v.signature),
        valid: v.result === 'valid'
    }));
}

const Point = ed25519.ExtendedPoint;
const L = Point.CURVE().n;
const P = Point.CURVE().p;
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const fromLe = (b: Uint8Array) => b.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
/** k = SHA-512(R ‖ A ‖ M) mod L (RFC 8032 §5.1.7). */
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array) => mod(fromLe(sha512(concat(r, a, m))), L);
/** A point of order 8 (the torsion subgroup's generator) and its multiples: every small-order point. */
const ORDER_8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
export const SMALL_ORDER_POINTS = Array.from({ length: 8 }, (_, k) => {
    let point = Point.ZERO;
    for (let i = 0; i < k; i++) point = point.add(ORDER_8);
    return point;
});

function ed25519Hostile(): SignatureCase[] {
    const secret = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const { scalar: a, pointBytes: key } = ed25519.utils.getExtendedPublicKey(secret);
    const message = utf8('a heartbeat');
    const honest = ed25519.sign(message, secret);
    const cases: SignatureCase[] = [
        { name: 'Ed25519: an honest signature', curve: 'Ed25519', key, message, signature: honest, valid: true }
    ];
    // ZIP-215 accepts (R, s = 0) under any small-order key for every message: the forgery of finding 10
    SMALL_ORDER_POINTS.forEach((point, k) => {
        const bytes = point.toRawBytes();
        cases.push({
            name: `Ed25519: small-order key ${k}·T8 with R = it and s = 0 (ZIP-215 accepts it for any message)`,
            curve: 'Ed25519',
            key: bytes,
            message,
            signature: concat(bytes, new Uint8Array(32)),
            valid: false
        });
    });
    // a mixed-order key A + T8 with a signature that passes the cofactored equation but not the cofactorless
    const mixed = Point.fromHex(key).add(ORDER_8).toRawBytes();
    const r = 12345678901234567890n;
    const rBytes = Point.BASE.multiply(r).toRawBytes();
    const sMixed = mod(r + challenge(rBytes, mixed, message) * a, L);
    cases.push({
        name: 'Ed25519: mixed-order key A + T8 (cofactored verification accepts its signature)',
        curve: 'Ed25519',
        key: mixed,
        message,
        signature: concat(rBytes, le(sMixed)),
        valid: false
    });
    // R = the identity (small order) with s = k·a: cofactorless verification accepts it
    const identity = Point.ZERO.toRawBytes();
    cases.push({
        name: 'Ed25519: R is the identity, s = k·a',
        curve: 'Ed25519',
        key,
        message,
        signature: concat(identity, le(mod(challenge(identity, key, message) * a, L))),
        valid: false
    });
    // R of mixed order: the honest R plus T8, with s for that R (only the cofactored equation holds)
    const rMixed = Point.BASE.multiply(r).add(ORDER_8).toRawBytes();
    cases.push({
        name: 'Ed25519: R of mixed order (R + T8)',
        curve: 'Ed25519',
        key,
        message,
        signature: concat(rMixed, le(mod(r + challenge(rMixed, key, message) * a, L))),
        valid: false
    });
    const malleated = honest.slice();
    malleated.set(le(fromLe(honest.subarray(32)) + L), 32);
    cases.push({
        name: 'Ed25519: s + L (a malleated, non-canonical s)',
        curve: 'Ed25519',
        key,
        message,
        signature: malleated,
        valid: false
    });
    cases.push({
        name: 'Ed25519: a key encoded with y ≥ p (the identity as p + 1)',
        curve: 'Ed25519',
        key: le(P + 1n),
        message,
        signature: honest,
        valid: false
    });
    const offCurve = key.slice();
    for (let tweak = 1; tweak < 255; tweak++) {
        offCurve[0] = ((key[0] as number) + tweak) & 0xff;
        try {
            Point.fromHex(offCurve);
        } catch {
            break; // found bytes that are no point
        }
    }
    cases.push({
        name: 'Ed25519: a key that is no point',
        curve: 'Ed25519',
        key: offCurve,
        message,
        signature: honest,
        valid: false
    });
    cases.push({
        name: 'Ed25519: a 31-byte key',
        curve: 'Ed25519',
        key: key.subarray(1),
        message,
        signature: honest,
        valid: false
    });
    cases.push({
        name: 'Ed25519: a 33-byte key',
        curve: 'Ed25519',
        key: concat(key, Uint8Array.of(0)),
        message,
        signature: honest,
        valid: false
    });
    cases.push({
        name: 'Ed25519: a 63-byte signature',
        curve: 'Ed25519',
        key,
        message,
        signature: honest.subarray(1),
        valid: false
    });
    cases.push({
        name: 'Ed25519: an empty signature',
        curve: 'Ed25519',
        key,
        message,
        signature: new Uint8Array(),
        valid: false
    });
    return cases;
}

function ecdsaHostile(curveName: 'Secp256k1' | 'P256'): SignatureCase[] {
    const curve = curveName === 'Secp256k1' ? secp256k1 : p256;
    const n = curve.CURVE.n;
    const secret = sha256(utf8(`a ${curveName} device`));
    const key = curve.getPublicKey(secret, false);
    const message = utf8('a heartbeat');
    const signature = curve.sign(sha256(message), secret, { prehash: false });
    const compact = signature.toCompactRawBytes();
    const be = (x: bigint) => hex(x.toString(16).padStart(64, '0'));
    const rs = (r: bigint, s: bigint) => concat(be(r), be(s));
    const offCurve = key.slice();
    offCurve[64] = (offCurve[64] as number) ^ 1;
    const c = (name: string, k: Uint8Array, sig: Uint8Array, valid: boolean, m = message): SignatureCase => ({
        name: `${curveName}: ${name}`,
        curve: curveName,
        key: k,
        message: m,
        signature: sig,
        valid
    });
    return [
        c('an honest signature (low s)', key, rs(signature.r, signature.s), true),
        c('the same with a high s (n − s): accepted by the policy', key, rs(signature.r, n - signature.s), true),
        c('an honest signature under the compressed key', curve.getPublicKey(secret, true), compact, true),
        c('another message', key, compact, false, utf8('another heartbeat')),
        c('r = 0', key, rs(0n, signature.s), false),
        c('s = 0', key, rs(signature.r, 0n), false),
        c('r = n', key, rs(n, signature.s), false),
        c('s = n', key, rs(signature.r, n), false),
        c('r + n (out of range)', key, rs(signature.r + n < 2n ** 256n ? signature.r + n : 2n ** 256n - 1n, signature.s), false),
        c('a key off the curve', offCurve, compact, false),
        c('a 64-byte raw key (no SEC1 tag)', key.subarray(1), compact, false),
        c('the identity as a key (SEC1 0x00)', Uint8Array.of(0), compact, false),
        c('a DER signature instead of r ‖ s', key, signature.toDERRawBytes(), false),
        c('a 63-byte signature', key, compact.subarray(1), false)
    ];
}

/** The hostile cases of every curve. */
export function hostileCases(): SignatureCase[] {
    return [...ed25519Hostile(), ...ecdsaHostile('Secp256k1'), ...ecdsaHostile('P256')];
}

export function allSignatureCases(): SignatureCase[] {
    return [...rfc8032Cases(), ...wycheproofCases(), ...hostileCases()];
}

export type KeyCase = {
    readonly name: string;
    readonly curve: Curve;
    readonly key: Uint8Array;
    readonly canonical: Uint8Array | undefined;
};

/** Keys with the canonical form the registry stores, or undefined for a key it must refuse. */
export function keyCases(): KeyCase[] {
    const edKey = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const cases: KeyCase[] = [{ name: 'Ed25519: an honest key', curve: 'Ed25519', key: edKey, canonical: edKey }];
    SMALL_ORDER_POINTS.forEach((point, k) =>
        cases.push({
            name: `Ed25519: the small-order point ${k}·T8`,
            curve: 'Ed25519',
            key: point.toRawBytes(),
            canonical: undefined
        })
    );
    cases.push({
        name: 'Ed25519: a mixed-order point',
        curve: 'Ed25519',
        key: Point.fromHex(edKey).add(ORDER_8).toRawBytes(),
        canonical: undefined
    });
    cases.push({ name: 'Ed25519: y ≥ p', curve: 'Ed25519', key: le(P + 1n), canonical: undefined });
    for (const [curveName, curve] of [
        ['Secp256k1', secp256k1],
        ['P256', p256]
    ] as const) {
        const secret = sha256(utf8(`a ${curveName} key`));
        const uncompressed = curve.getPublicKey(secret, false);
        const offCurve = uncompressed.slice();
        offCurve[64] = (offCurve[64] as number) ^ 1;
        cases.push(
            { name: `${curveName}: uncompressed`, curve: curveName, key: uncompressed, canonical: uncompressed },
            {
                name: `${curveName}: compressed`,
                curve: curveName,
                key: curve.getPublicKey(secret, true),
                canonical: uncompressed
            },
            { name: `${curveName}: off the curve`, curve: curveName, key: offCurve, canonical: undefined },
            { name: `${curveName}: 64 raw bytes`, curve: curveName, key: uncompressed.subarray(1), canonical: undefined }
        );
    }
    return cases;
}
