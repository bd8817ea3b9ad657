//! ICRC-3 value hashing from Candid bytes, on the host: the standard's test vectors, and every
//! non-canonical or malformed encoding refused (the same vectors run inside a canister, against the JS
//! path, in test/replica/icrc-hash-in-canister.test.ts).

use suite_crypto::{ICRC3_MAX_DEPTH, icrc3_value_hash};

/// Candid's value encoding of an ICRC-3 value, written by hand for the tests (variant index first).
enum V<'a> {
    Nat(u64),
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
    Array(Vec<V<'a>>),
    Map(Vec<(&'a str, V<'a>)>),
}

fn uleb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(mut n: i64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        let done = (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0);
        out.push(if done { byte } else { byte | 0x80 });
        if done {
            return;
        }
    }
}

fn encode(value: &V, out: &mut Vec<u8>) {
    match value {
        V::Int(n) => {
            out.push(0);
            sleb(*n, out);
        }
        V::Map(entries) => {
            out.push(1);
            uleb(entries.len() as u64, out);
            for (key, v) in entries {
                uleb(key.len() as u64, out);
                out.extend_from_slice(key.as_bytes());
                encode(v, out);
            }
        }
        V::Nat(n) => {
            out.push(2);
            uleb(*n, out);
        }
        V::Blob(b) => {
            out.push(3);
            uleb(b.len() as u64, out);
            out.extend_from_slice(b);
        }
        V::Text(t) => {
            out.push(4);
            uleb(t.len() as u64, out);
            out.extend_from_slice(t.as_bytes());
        }
        V::Array(items) => {
            out.push(5);
            uleb(items.len() as u64, out);
            for v in items {
                encode(v, out);
            }
        }
    }
}

fn bytes(value: &V) -> Vec<u8> {
    let mut out = Vec::new();
    encode(value, &mut out);
    out
}

fn hash_hex(encoded: &[u8]) -> String {
    hex::encode(icrc3_value_hash(encoded).expect("a well-formed value"))
}

#[test]
fn hashes_the_icrc3_standards_test_vectors() {
    let from = hex::decode("00abcdef0012340056789a00bcdef000012345678900abcdef01").unwrap();
    let to = hex::decode("00ab0def0012340056789a00bcdef000012345678900abcdef01").unwrap();
    let cases: Vec<(V, &str)> = vec![
        (
            V::Nat(42),
            "684888c0ebb17f374298b65ee2807526c066094c701bcc7ebbe1c1095f494fc1",
        ),
        (
            V::Int(-42),
            "de5a6f78116eca62d7fc5ce159d23ae6b889b365a1739ad2cf36f925a140d0cc",
        ),
        (
            V::Text("Hello, World!"),
            "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f",
        ),
        (
            V::Blob(&[1, 2, 3, 4]),
            "9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a",
        ),
        (
            V::Array(vec![V::Nat(3), V::Text("foo"), V::Blob(&[5, 6])]),
            "514a04011caa503990d446b7dec5d79e19c221ae607fb08b2848c67734d468d6",
        ),
        (
            V::Map(vec![
                ("from", V::Blob(&from)),
                ("to", V::Blob(&to)),
                ("amount", V::Nat(42)),
                ("created_at", V::Nat(1699218263)),
                ("memo", V::Nat(0)),
            ]),
            "c56ece650e1de4269c5bdeff7875949e3e2033f85b2d193c2ff4f7f78bdcfc75",
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(hash_hex(&bytes(&value)), expected);
    }
}

#[test]
fn a_maps_hash_does_not_depend_on_its_entry_order() {
    let forward = V::Map(vec![
        ("a", V::Nat(1)),
        ("b", V::Int(-2)),
        ("c", V::Text("x")),
    ]);
    let backward = V::Map(vec![
        ("c", V::Text("x")),
        ("b", V::Int(-2)),
        ("a", V::Nat(1)),
    ]);
    assert_eq!(hash_hex(&bytes(&forward)), hash_hex(&bytes(&backward)));
}

#[test]
fn refuses_numbers_not_in_their_shortest_form() {
    // Nat 0 as 0x80 0x00, Nat 1 as 0x81 0x00; Int -1 as 0xff 0x7f, Int 1 as 0x81 0x00
    for encoded in [
        &[2, 0x80, 0x00][..],
        &[2, 0x81, 0x00],
        &[0, 0xff, 0x7f],
        &[0, 0x81, 0x00],
    ] {
        assert_eq!(icrc3_value_hash(encoded), None, "{encoded:02x?}");
    }
    // the shortest forms of Int 64 (0xc0 0x00) and Int -65 (0xbf 0x7f) need their last byte
    assert!(icrc3_value_hash(&[0, 0xc0, 0x00]).is_some());
    assert!(icrc3_value_hash(&[0, 0xbf, 0x7f]).is_some());
}

#[test]
fn refuses_malformed_encodings() {
    let cases: [&[u8]; 9] = [
        &[],                    // nothing
        &[6, 0],                // no such variant
        &[2, 0x80],             // a number cut short
        &[3, 5, 1, 2],          // a blob shorter than its length
        &[4, 2, 0xc3, 0x28],    // text that is not UTF-8
        &[5, 0xff, 0xff, 0x7f], // more elements than bytes left
        &[2, 1, 0],             // bytes after the value
        &[1, 1, 1, b'k'],       // a map entry without its value
        &[
            3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
        ], // a length past 64 bits
    ];
    for encoded in cases {
        assert_eq!(icrc3_value_hash(encoded), None, "{encoded:02x?}");
    }
}

#[test]
fn refuses_nesting_deeper_than_its_bound() {
    let nested = |depth: usize| {
        let mut encoded = vec![5, 1].repeat(depth);
        encoded.extend_from_slice(&[2, 0]);
        encoded
    };
    assert!(icrc3_value_hash(&nested(ICRC3_MAX_DEPTH)).is_some());
    assert_eq!(icrc3_value_hash(&nested(ICRC3_MAX_DEPTH + 1)), None);
}
