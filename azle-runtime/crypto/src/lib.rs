//! The hashes (SHA-256/224, ICRC-3 values) and signature checks the suite's canisters call natively (through `_azleIc`, see
//! `glue/native_crypto.rs`), with the input policy written once for both paths: the JS fallback in
//! `src/ic/crypto/` applies the same rules, and the tests on each side check the same vectors.
//!
//! No function here panics on any input: a wrong length, an encoding that is not a point, a point outside
//! the policy or a signature that does not verify all return `false`.
#![no_std]

extern crate alloc;

mod icrc3;
pub use icrc3::{icrc3_value_hash, MAX_DEPTH as ICRC3_MAX_DEPTH};

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha224, Sha256};

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-224 (FIPS 180-4): the IC's principals are SHA-224 of a public key or a canister id.
pub fn sha224(data: &[u8]) -> [u8; 28] {
    Sha224::digest(data).into()
}

/// A point in the only form this policy takes: canonically encoded (y < p and no "negative zero" x, as
/// RFC 8032 §5.1.3 decodes strictly), in the prime-order subgroup (no torsion component) and not the
/// identity: a point of order L.
fn strict_edwards_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    let point = CompressedEdwardsY(*bytes).decompress()?;
    // decompress reduces y modulo p and ignores a sign bit on x = 0: only the canonical bytes round-trip
    if point.compress().as_bytes() != bytes || point.is_small_order() || !point.is_torsion_free() {
        return None;
    }
    Some(point)
}

/// Whether `public_key` is an Ed25519 key the policy takes: 32 bytes, a canonically encoded point of order L.
/// The registry refuses any other key at registration, so no device can hold a key that verifies nothing (or,
/// under ZIP-215's rules, anything).
pub fn ed25519_public_key_is_valid(public_key: &[u8]) -> bool {
    <&[u8; 32]>::try_from(public_key).is_ok_and(|bytes| strict_edwards_point(bytes).is_some())
}

/// Ed25519 (RFC 8032 §5.1.7) under the suite's policy (docs/registry.md, "Signature policy"): the key and
/// the signature's R are canonically encoded points of order L (see `strict_edwards_point`) and `s < L`. With both points
/// torsion-free the cofactored and cofactorless equations agree, so a verifier applying the same checks (the
/// JS path, with @noble/curves) gives the same answer on every input; small-order keys, which verify any
/// message under ZIP-215's rules, are refused.
pub fn ed25519_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let (Ok(key_bytes), Ok(signature_bytes)) =
        (<&[u8; 32]>::try_from(public_key), <&[u8; 64]>::try_from(signature))
    else {
        return false;
    };
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&signature_bytes[..32]);
    s.copy_from_slice(&signature_bytes[32..]);
    if strict_edwards_point(key_bytes).is_none() || strict_edwards_point(&r).is_none() {
        return false;
    }
    if Option::<Scalar>::from(Scalar::from_canonical_bytes(s)).is_none() {
        return false;
    }
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(key_bytes) else {
        return false;
    };
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature_bytes))
        .is_ok()
}

/// ECDSA over secp256k1 of SHA-256(message): `public_key` in SEC1 (33 bytes compressed or 65 uncompressed),
/// `signature` 64 bytes `r ‖ s` with `0 < r, s < n`. A high `s` is accepted (normalised first): WebCrypto and
/// many device stacks do not normalise it, and the registry's nonces, not signature uniqueness, stop replay.
pub fn secp256k1_ecdsa_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use k256::ecdsa::signature::hazmat::PrehashVerifier;
    let Ok(key) = k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key) else {
        return false;
    };
    let Ok(signature) = k256::ecdsa::Signature::from_slice(signature) else {
        return false;
    };
    // k256 verifies only low-s signatures (BIP 62); (r, s) verifies exactly when (r, n − s) does
    let signature = signature.normalize_s().unwrap_or(signature);
    key.verify_prehash(&sha256(message), &signature).is_ok()
}

/// ECDSA over P-256 (secp256r1) of SHA-256(message), with the encodings and policy of
/// [`secp256k1_ecdsa_verify`].
pub fn p256_ecdsa_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key) else {
        return false;
    };
    let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else {
        return false;
    };
    key.verify_prehash(&sha256(message), &signature).is_ok()
}

/// The uncompressed SEC1 encoding (65 bytes) of a secp256k1 public key given in SEC1, compressed (33 bytes)
/// or uncompressed (65); `None` for any other length, a point not on the curve, or the identity. One key has
/// one form, so the registry cannot register it twice under two encodings.
pub fn secp256k1_uncompressed_key(public_key: &[u8]) -> Option<[u8; 65]> {
    if public_key.len() != 33 && public_key.len() != 65 {
        return None;
    }
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).ok()?;
    key.to_encoded_point(false).as_bytes().try_into().ok()
}

/// The uncompressed SEC1 encoding of a P-256 public key, as [`secp256k1_uncompressed_key`].
pub fn p256_uncompressed_key(public_key: &[u8]) -> Option<[u8; 65]> {
    if public_key.len() != 33 && public_key.len() != 65 {
        return None;
    }
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).ok()?;
    key.to_sec1_point(false).as_bytes().try_into().ok()
}
