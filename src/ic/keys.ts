/**
 * Keys and signatures as the IC uses them: the network verifies every ingress signature with these, and the
 * registry its devices' (the messages devices sign are the registry's, in src/canisters/registry/messages.ts).
 *
 * A device key is Ed25519, secp256k1 or P-256. Its DER encoding is the one the IC uses for ingress
 * (SubjectPublicKeyInfo; ECDSA points uncompressed), so the device's self-authenticating principal computed
 * here is the principal the IC gives the device when it signs its own calls (interface specification,
 * "Principals": SHA-224 of the DER key followed by 0x02). Ed25519 signs the message itself; ECDSA signs its
 * SHA-256 with a 64-byte `r ‖ s` (the IC's ingress format, what @dfinity/identity and WebCrypto produce).
 */
import { concat, uint8Equals } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import { ed25519 } from '@noble/curves/ed25519';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';

import {
    ed25519KeyIsValid,
    ed25519Verify,
    p256EcdsaVerify,
    p256UncompressedKey,
    secp256k1EcdsaVerify,
    secp256k1UncompressedKey,
    sha224,
    sha256
} from './crypto';

export type CurveName = 'Ed25519' | 'Secp256k1' | 'P256';

/** Why a key was refused, in words a caller can act on. */
export class InvalidDeviceKeyError extends Error {
    override readonly name = 'InvalidDeviceKeyError';
}

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));

/** SubjectPublicKeyInfo headers: algorithm (and curve) identifiers followed by the key's BIT STRING header. */
const DER_PREFIX: Record<CurveName, Uint8Array> = {
    // RFC 8410: id-Ed25519 (1.3.101.112)
    Ed25519: hex('302a300506032b6570032100'),
    // RFC 5480: id-ecPublicKey (1.2.840.10045.2.1) with secp256k1 (1.3.132.0.10)
    Secp256k1: hex('3056301006072a8648ce3d020106052b8104000a034200'),
    // RFC 5480: id-ecPublicKey with prime256v1 (1.2.840.10045.3.1.7)
    P256: hex('3059301306072a8648ce3d020106082a8648ce3d030107034200')
};

const ECDSA = { Secp256k1: secp256k1, P256: p256 } as const;

/**
 * The key in the one form the registry stores: Ed25519's 32 bytes, or an ECDSA point uncompressed (65 bytes,
 * from 33 compressed or 65 uncompressed). Refuses wrong lengths and points not on the curve, so one key cannot
 * be registered twice under two encodings.
 */
export function canonicalKey(curve: CurveName, key: Uint8Array): Uint8Array {
    if (curve === 'Ed25519') {
        if (key.length !== 32) throw new InvalidDeviceKeyError(`an Ed25519 key is 32 bytes, not ${key.length}`);
        // a small-order key verifies any message under ZIP-215's rules, and no signature under the suite's
        // policy (docs/registry.md, "Signature policy"): refused here, so no such device is registered
        if (!ed25519KeyIsValid(key)) {
            throw new InvalidDeviceKeyError(
                'the bytes are not an Ed25519 point of order L in its canonical encoding (small-order and mixed-order points are refused)'
            );
        }
        return key.slice();
    }
    if (key.length !== 33 && key.length !== 65) {
        throw new InvalidDeviceKeyError(`a ${curve} key is 33 bytes (compressed) or 65 (uncompressed), not ${key.length}`);
    }
    const uncompressed = curve === 'Secp256k1' ? secp256k1UncompressedKey(key) : p256UncompressedKey(key);
    if (uncompressed === undefined) throw new InvalidDeviceKeyError(`the bytes are not a ${curve} point`);
    return uncompressed;
}

/** The DER encoding of a canonical key (see {@link canonicalKey}). */
export function derOf(curve: CurveName, key: Uint8Array): Uint8Array {
    return concat(DER_PREFIX[curve], key);
}

/**
 * The curve and canonical key of a DER-encoded public key (an ingress envelope's `sender_pubkey`, a
 * delegation's `pubkey`); undefined for any other algorithm (the IC's canister signatures, for one).
 */
export function keyOfDer(der: Uint8Array): { curve: CurveName; key: Uint8Array } | undefined {
    for (const curve of Object.keys(DER_PREFIX) as CurveName[]) {
        const prefix = DER_PREFIX[curve];
        if (der.length <= prefix.length || !prefix.every((b, i) => der[i] === b)) continue;
        try {
            const key = canonicalKey(curve, der.subarray(prefix.length));
            // Only the canonical encoding (the one the prefix's BIT STRING length describes: an ECDSA point
            // uncompressed): a compressed point under the same prefix would give one key a second principal.
            return uint8Equals(derOf(curve, key), der) ? { curve, key } : undefined;
        } catch {
            return undefined;
        }
    }
    return undefined;
}

/** The self-authenticating principal the IC gives a device that signs with this (canonical) key. */
export function devicePrincipal(curve: CurveName, key: Uint8Array): Principal {
    // Principal.selfAuthenticating computes the same bytes with a SHA-224 in JS; ./crypto's is native in a canister
    return Principal.fromUint8Array(concat(sha224(derOf(curve, key)), SELF_AUTHENTICATING_SUFFIX));
}

/** The interface specification's "Principals": a self-authenticating id is SHA-224(DER key) ‖ 0x02. */
const SELF_AUTHENTICATING_SUFFIX = Uint8Array.of(0x02);

/**
 * Whether `signature` is the device's over `message`, under the suite's signature policy (./crypto: native
 * inside a canister on the suite's runtime, JS elsewhere). ECDSA signs SHA-256(message) and is accepted with a
 * high or a low `s` (WebCrypto does not normalise it): replay is stopped by the nonce, not by uniqueness.
 */
export function verifyDeviceSignature(curve: CurveName, key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (curve === 'Ed25519') return ed25519Verify(key, message, signature);
    if (curve === 'Secp256k1') return secp256k1EcdsaVerify(key, message, signature);
    return p256EcdsaVerify(key, message, signature);
}

/** Signs as a device would (for gateways, tests and the demo; a canister never holds a device's secret key). */
export function signAsDevice(curve: CurveName, secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    if (curve === 'Ed25519') return ed25519.sign(message, secretKey);
    return ECDSA[curve].sign(sha256(message), secretKey, { prehash: false }).toCompactRawBytes();
}

/** The public key of a device's secret key, canonical (see {@link canonicalKey}). */
export function publicKeyOf(curve: CurveName, secretKey: Uint8Array): Uint8Array {
    return curve === 'Ed25519' ? ed25519.getPublicKey(secretKey) : ECDSA[curve].getPublicKey(secretKey, false);
}

/**
 * Builds the curve's base-point table now. A canister's first JS signature check on each curve otherwise pays
 * for it, many times what a check after it costs: the registry builds the tables in a timer after install, so
 * no device's call pays for them.
 */
export function precomputeCurve(curve: CurveName): void {
    if (curve === 'Ed25519') ed25519.ExtendedPoint.BASE.precompute(8, false);
    else ECDSA[curve].ProjectivePoint.BASE.precompute(8, false);
}
