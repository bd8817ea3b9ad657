/**
 * Byte-string order, as stable maps, ICRC-3 map hashing and ICRC-103 listings sort: bytewise, a prefix first.
 * (`compare` of @dfinity/candid orders by length first, which is not this order; its `concat` and
 * `uint8Equals` serve as they are.)
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
        const d = (a[i] as number) - (b[i] as number);
        if (d !== 0) return d;
    }
    return a.length - b.length;
}

/** An unsigned 64-bit integer in 8 big-endian bytes: stable-map keys that sort as the numbers do. */
export function u64be(n: bigint): Uint8Array {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, n);
    return out;
}

export function readU64be(bytes: Uint8Array, at = 0): bigint {
    return new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0);
}
