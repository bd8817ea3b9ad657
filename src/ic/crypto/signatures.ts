/**
 * The JS implementations of the suite's signature checks, with the policy the native ones apply
 * (`azle-runtime/crypto/src/lib.rs`; docs/registry.md, "Signature policy"). They run in Node (the network's
 * request authentication, tests, tools) and in a canister whose runtime lacks the native functions; the tests
 * check both paths on the same vectors, so the two give the same answer on every input.
 *
 * Every check answers `false` to input it refuses (a wrong length, bytes that are not a point, a point outside
 * the policy, a signature that does not verify) and never throws.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';

import { jsSha256 } from './js-sha256';

export const ED25519_PUBLIC_KEY_BYTES = 32;
/** `R ‖ s` (RFC 8032 §5.1.6) for Ed25519, `r ‖ s` for ECDSA (the IC's ingress format). */
export const SIGNATURE_BYTES = 64;

/**
 * A point of order L in its canonical encoding, or undefined. Strict decoding (`fromHex` without ZIP-215)
 * refuses y ≥ p and a "negative zero" x; the order check refuses small-order and mixed-order points.
 */
function strictEdwardsPoint(bytes: Uint8Array): InstanceType<typeof ed25519.ExtendedPoint> | undefined {
    try {
        const point = ed25519.ExtendedPoint.fromHex(bytes, false);
        return point.isSmallOrder() || !point.isTorsionFree() ? undefined : point;
    } catch {
        return undefined;
    }
}

/** Whether `publicKey` is an Ed25519 key the policy takes: 32 bytes, a canonically encoded point of order L. */
export function jsEd25519KeyIsValid(publicKey: Uint8Array): boolean {
    return publicKey.length === ED25519_PUBLIC_KEY_BYTES && strictEdwardsPoint(publicKey) !== undefined;
}

/**
 * The uncompressed SEC1 form (65 bytes) of an ECDSA key given compressed (33) or uncompressed (65), or
 * undefined for another length or a point that is not on the curve.
 */
function uncompressedKey(curve: typeof secp256k1 | typeof p256, publicKey: Uint8Array): Uint8Array | undefined {
    if (publicKey.length !== 33 && publicKey.length !== 65) return undefined;
    try {
        return curve.ProjectivePoint.fromHex(publicKey).toRawBytes(false);
    } catch {
        return undefined;
    }
}

export const jsSecp256k1UncompressedKey = (publicKey: Uint8Array) => uncompressedKey(secp256k1, publicKey);
export const jsP256UncompressedKey = (publicKey: Uint8Array) => uncompressedKey(p256, publicKey);

/**
 * Ed25519 (RFC 8032 §5.1.7): the key and the signature's R are canonically encoded points of order L and
 * `s < L`. With both points torsion-free, the cofactored equation @noble/curves checks and the cofactorless
 * one ed25519-dalek checks agree; a small-order key, which verifies any message under ZIP-215, is refused.
 */
export function jsEd25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== SIGNATURE_BYTES || !jsEd25519KeyIsValid(publicKey)) return false;
    if (strictEdwardsPoint(signature.subarray(0, 32)) === undefined) return false;
    try {
        // zip215: false decodes strictly and refuses s ≥ L
        return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
        return false;
    }
}

/**
 * ECDSA of SHA-256(message): the key in SEC1 (33 bytes compressed or 65 uncompressed), the signature
 * `r ‖ s` with 0 < r, s < n. A high `s` is accepted: WebCrypto and many device stacks do not normalise it, and
 * the registry's nonces, not signature uniqueness, stop replay.
 */
function ecdsaVerify(
    curve: typeof secp256k1 | typeof p256,
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array
): boolean {
    if (signature.length !== SIGNATURE_BYTES || (publicKey.length !== 33 && publicKey.length !== 65)) return false;
    try {
        return curve.verify(signature, jsSha256(message), publicKey, { prehash: false, lowS: false });
    } catch {
        return false;
    }
}

/** ECDSA on secp256k1 of SHA-256(message) (see {@link ecdsaVerify}). */
export function jsSecp256k1EcdsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return ecdsaVerify(secp256k1, publicKey, message, signature);
}

/** ECDSA on P-256 of SHA-256(message) (see {@link ecdsaVerify}). */
export function jsP256EcdsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return ecdsaVerify(p256, publicKey, message, signature);
}
