//! ICRC-3's representation-independent hash of a value (ICRC-3 standard, "Value" and "Representation-independent
//! hashing"), read straight from the value's Candid encoding, so the ledger hashes a block from the bytes it
//! stores instead of walking a JS object in the interpreter.
//!
//! The input is Candid's value encoding (no `DIDL` header, no type table) of the standard's type
//!
//! ```candid
//! type Value = variant { Blob : blob; Text : text; Nat : nat; Int : int; Array : vec Value; Map : vec record { text; Value } };
//! ```
//!
//! whose variant indices are fixed by Candid's field hashes (Candid specification, "Variants": fields in
//! increasing order of their hash): `Int` 0, `Map` 1, `Nat` 2, `Blob` 3, `Text` 4, `Array` 5.
//!
//! Hashing (ICRC-3): Nat and Int hash their (signed) LEB128 encoding, Text its UTF-8 bytes, Blob its bytes,
//! Array the concatenation of its elements' hashes, Map the concatenation, sorted bytewise, of each entry's
//! hash(key) ‖ hash(value). A number is hashed in its shortest LEB128 form, so the reader refuses any other
//! form: one value has one encoding, and the hash cannot differ from the JS path's for the same value.

use alloc::vec::Vec;

use crate::sha256;

/// How deep values may nest: deeper input is refused rather than recursed into (a block nests 4 deep).
pub const MAX_DEPTH: usize = 32;

const INT: u64 = 0;
const MAP: u64 = 1;
const NAT: u64 = 2;
const BLOB: u64 = 3;
const TEXT: u64 = 4;
const ARRAY: u64 = 5;

/// The ICRC-3 hash of the value `encoded` holds, or `None` when the bytes are not exactly one value of the
/// type above in canonical form (a wrong variant index, a truncated or overlong length, a non-shortest
/// LEB128 number, text that is not UTF-8, nesting past [`MAX_DEPTH`], or bytes left over).
pub fn icrc3_value_hash(encoded: &[u8]) -> Option<[u8; 32]> {
    let mut reader = Reader {
        bytes: encoded,
        at: 0,
    };
    let hash = reader.value(0)?;
    (reader.at == encoded.len()).then_some(hash)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn value(&mut self, depth: usize) -> Option<[u8; 32]> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.uleb_u64()? {
            INT => Some(sha256(self.number(true)?)),
            NAT => Some(sha256(self.number(false)?)),
            BLOB => Some(sha256(self.sized()?)),
            TEXT => Some(sha256(self.text()?)),
            ARRAY => {
                let count = self.count()?;
                let mut hashes = Vec::with_capacity(count.min(self.remaining()) * 32);
                for _ in 0..count {
                    hashes.extend_from_slice(&self.value(depth + 1)?);
                }
                Some(sha256(&hashes))
            }
            MAP => {
                let count = self.count()?;
                let mut pairs: Vec<[u8; 64]> = Vec::with_capacity(count.min(self.remaining()));
                for _ in 0..count {
                    let mut pair = [0u8; 64];
                    pair[..32].copy_from_slice(&sha256(self.text()?));
                    pair[32..].copy_from_slice(&self.value(depth + 1)?);
                    pairs.push(pair);
                }
                pairs.sort_unstable();
                let mut joined = Vec::with_capacity(pairs.len() * 64);
                for pair in &pairs {
                    joined.extend_from_slice(pair);
                }
                Some(sha256(&joined))
            }
            _ => None,
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    /// A LEB128 number's bytes, refused unless in its shortest form (the form ICRC-3 hashes).
    fn number(&mut self, signed: bool) -> Option<&'a [u8]> {
        let start = self.at;
        loop {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let bytes = &self.bytes[start..self.at];
        if let [.., previous, last] = bytes {
            let redundant = if signed {
                (*last == 0x00 && previous & 0x40 == 0) || (*last == 0x7f && previous & 0x40 != 0)
            } else {
                *last == 0x00
            };
            if redundant {
                return None;
            }
        }
        Some(bytes)
    }

    /// An unsigned LEB128 that fits in 64 bits, in shortest form (a variant index, a length or a count).
    fn uleb_u64(&mut self) -> Option<u64> {
        let bytes = self.number(false)?;
        if bytes.len() > 10 {
            return None;
        }
        let mut value: u64 = 0;
        for (i, byte) in bytes.iter().enumerate() {
            let chunk = u64::from(byte & 0x7f);
            if i == 9 && chunk > 1 {
                return None;
            }
            value |= chunk << (7 * i);
        }
        Some(value)
    }

    /// A length or count, refused when it cannot fit in what is left (each element takes at least a byte).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.uleb_u64()?).ok()?;
        (n <= self.remaining()).then_some(n)
    }

    fn sized(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        self.take(n)
    }

    fn text(&mut self) -> Option<&'a [u8]> {
        let bytes = self.sized()?;
        core::str::from_utf8(bytes).is_ok().then_some(bytes)
    }
}
