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
