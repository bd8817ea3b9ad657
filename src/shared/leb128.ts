/**
 * LEB128, the variable-length integer encoding Candid, ICRC-3 hashing and the IC's state tree (`/time`) use:
 * 7 bits a byte, low bits first, the high bit set on every byte but the last.
 */

/** Unsigned LEB128. */
export function leb128(n: bigint): Uint8Array {
    if (n < 0n) throw new RangeError(`LEB128 encodes naturals; got ${n}`);
    const out: number[] = [];
    let v = n;
    do {
        const byte = Number(v & 0x7fn);
        v >>= 7n;
        out.push(v === 0n ? byte : byte | 0x80);
    } while (v !== 0n);
    return Uint8Array.from(out);
}

/** Signed LEB128. */
export function sleb128(n: bigint): Uint8Array {
    const out: number[] = [];
    let v = n;
    for (;;) {
        const byte = Number(v & 0x7fn);
        v >>= 7n; // arithmetic shift: keeps the sign
        const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
        out.push(done ? byte : byte | 0x80);
        if (done) return Uint8Array.from(out);
    }
}
