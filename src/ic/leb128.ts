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

/** Reads an unsigned LEB128 that fills `bytes` exactly (a stored balance or allowance). */
export function readLeb128(bytes: Uint8Array): bigint {
    let n = 0n;
    let shift = 0n;
    for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i] as number;
        n |= BigInt(b & 0x7f) << shift;
        shift += 7n;
        if (b < 0x80) {
            if (i !== bytes.length - 1) throw new RangeError('bytes after the end of a LEB128 number');
            return n;
        }
    }
    throw new RangeError('a LEB128 number ends early');
}
