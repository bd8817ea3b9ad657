/**
 * SHA-256 (FIPS 180-4) written for QuickJS, the interpreter Azle compiles to wasm: every hash a canister
 * computes is paid in instructions, and QuickJS spends a few hundred wasm instructions per bytecode. This
 * version keeps the state in local variables and runs eight rounds per loop iteration with the variables
 * renamed instead of shifted, which needs far fewer bytecodes than a general-purpose implementation.
 * Measured in a canister on the local IC (`npm run bench`, docs/benchmarks.md): about 0.9M instructions per
 * 64-byte block, against 1.7M for @noble/hashes' `sha256`. The tests check it against @noble/hashes.
 */

const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
]);
const INITIAL_STATE = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** The message schedule, reused by every compression (a canister runs one message at a time). */
const W = new Int32Array(64);

function compress(state: Int32Array, block: Uint8Array, at: number): void {
    for (let i = 0; i < 16; i++) {
        const j = at + i * 4;
        W[i] =
            ((block[j] as number) << 24) |
            ((block[j + 1] as number) << 16) |
            ((block[j + 2] as number) << 8) |
            (block[j + 3] as number);
    }
    for (let i = 16; i < 64; i++) {
        const x = W[i - 15] as number;
        const y = W[i - 2] as number;
        W[i] =
            ((((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
                (W[i - 7] as number) +
                (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
                (W[i - 16] as number)) |
            0;
    }
    let a = state[0] as number;
    let b = state[1] as number;
    let c = state[2] as number;
    let d = state[3] as number;
    let e = state[4] as number;
    let f = state[5] as number;
    let g = state[6] as number;
    let h = state[7] as number;
    let t: number;
    for (let i = 0; i < 64; i += 8) {
        // eight rounds written out, with the roles of the variables rotated instead of values moved between them
        t =
            (h +
                (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
                ((e & f) ^ (~e & g)) +
                (K[i] as number) +
                (W[i] as number)) |
            0;
        d = (d + t) | 0;
        h =
            (t +
                (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
                ((a & b) ^ (a & c) ^ (b & c))) |
            0;
        t =
            (g +
                (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) +
                ((d & e) ^ (~d & f)) +
                (K[i + 1] as number) +
                (W[i + 1] as number)) |
            0;
        c = (c + t) | 0;
        g =
            (t +
                (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) +
                ((h & a) ^ (h & b) ^ (a & b))) |
            0;
        t =
            (f +
                (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) +
                ((c & d) ^ (~c & e)) +
                (K[i + 2] as number) +
                (W[i + 2] as number)) |
            0;
        b = (b + t) | 0;
        f =
            (t +
                (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) +
                ((g & h) ^ (g & a) ^ (h & a))) |
            0;
        t =
            (e +
                (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) +
                ((b & c) ^ (~b & d)) +
                (K[i + 3] as number) +
                (W[i + 3] as number)) |
            0;
        a = (a + t) | 0;
        e =
            (t +
                (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) +
                ((f & g) ^ (f & h) ^ (g & h))) |
            0;
        t =
            (d +
                (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) +
                ((a & b) ^ (~a & c)) +
                (K[i + 4] as number) +
                (W[i + 4] as number)) |
            0;
        h = (h + t) | 0;
        d =
            (t +
                (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) +
                ((e & f) ^ (e & g) ^ (f & g))) |
            0;
        t =
            (c +
                (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) +
                ((h & a) ^ (~h & b)) +
                (K[i + 5] as number) +
                (W[i + 5] as number)) |
            0;
        g = (g + t) | 0;
        c =
            (t +
                (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) +
                ((d & e) ^ (d & f) ^ (e & f))) |
            0;
        t =
            (b +
                (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) +
                ((g & h) ^ (~g & a)) +
                (K[i + 6] as number) +
                (W[i + 6] as number)) |
            0;
        f = (f + t) | 0;
        b =
            (t +
                (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) +
                ((c & d) ^ (c & e) ^ (d & e))) |
            0;
        t =
            (a +
                (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) +
                ((f & g) ^ (~f & h)) +
                (K[i + 7] as number) +
                (W[i + 7] as number)) |
            0;
        e = (e + t) | 0;
        a =
            (t +
                (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) +
                ((b & c) ^ (b & d) ^ (c & d))) |
            0;
    }
    state[0] = ((state[0] as number) + a) | 0;
    state[1] = ((state[1] as number) + b) | 0;
    state[2] = ((state[2] as number) + c) | 0;
    state[3] = ((state[3] as number) + d) | 0;
    state[4] = ((state[4] as number) + e) | 0;
    state[5] = ((state[5] as number) + f) | 0;
    state[6] = ((state[6] as number) + g) | 0;
    state[7] = ((state[7] as number) + h) | 0;
}

/** The SHA-256 digest of `data` (32 bytes). */
export function jsSha256(data: Uint8Array): Uint8Array {
    const state = new Int32Array(INITIAL_STATE);
    const whole = data.length - (data.length % 64);
    for (let at = 0; at < whole; at += 64) compress(state, data, at);
    // the last partial block, the 0x80 marker and the length in bits (big-endian, 64 bits)
    const rest = data.length - whole;
    const tail = new Uint8Array(rest < 56 ? 64 : 128);
    tail.set(data.subarray(whole));
    tail[rest] = 0x80;
    const bits = data.length * 8;
    const end = tail.length;
    tail[end - 8] = Math.floor(bits / 2 ** 56) & 0xff;
    tail[end - 7] = Math.floor(bits / 2 ** 48) & 0xff;
    tail[end - 6] = Math.floor(bits / 2 ** 40) & 0xff;
    tail[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
    tail[end - 4] = (bits >>> 24) & 0xff;
    tail[end - 3] = (bits >>> 16) & 0xff;
    tail[end - 2] = (bits >>> 8) & 0xff;
    tail[end - 1] = bits & 0xff;
    for (let at = 0; at < end; at += 64) compress(state, tail, at);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
        const v = state[i] as number;
        out[i * 4] = v >>> 24;
        out[i * 4 + 1] = (v >>> 16) & 0xff;
        out[i * 4 + 2] = (v >>> 8) & 0xff;
        out[i * 4 + 3] = v & 0xff;
    }
    return out;
}
