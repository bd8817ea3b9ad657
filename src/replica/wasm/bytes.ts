/**
 * Reading and writing the WebAssembly binary format: LEB128 integers and byte vectors
 * (WebAssembly Core Specification, 5.2 "Values").
 */

export class WasmFormatError extends Error {
    override readonly name = 'WasmFormatError';
}

export class ByteReader {
    pos: number;

    constructor(
        readonly bytes: Uint8Array,
        start = 0,
        readonly end = bytes.length
    ) {
        this.pos = start;
    }

    get done(): boolean {
        return this.pos >= this.end;
    }

    byte(): number {
        if (this.pos >= this.end) throw new WasmFormatError(`unexpected end of module at byte ${this.pos}`);
        return this.bytes[this.pos++] as number;
    }

    peek(): number {
        if (this.pos >= this.end) throw new WasmFormatError(`unexpected end of module at byte ${this.pos}`);
        return this.bytes[this.pos] as number;
    }

    u32(): number {
        let result = 0;
        let shift = 0;
        for (;;) {
            const b = this.byte();
            result += (b & 0x7f) * 2 ** shift;
            if ((b & 0x80) === 0) return result;
            shift += 7;
            if (shift > 35) throw new WasmFormatError(`u32 LEB128 too long at byte ${this.pos}`);
        }
    }

    /** A signed LEB128 of up to `bits` bits (32, 33 or 64), as a bigint. */
    sleb(bits: number): bigint {
        let result = 0n;
        let shift = 0n;
        let b: number;
        do {
            b = this.byte();
            result |= BigInt(b & 0x7f) << shift;
            shift += 7n;
            if (shift > BigInt(bits + 7)) throw new WasmFormatError(`s${bits} LEB128 too long at byte ${this.pos}`);
        } while ((b & 0x80) !== 0);
        if ((b & 0x40) !== 0) result -= 1n << shift;
        return result;
    }

    /** Skips a LEB128 integer of any signedness without decoding it. */
    skipLeb(): void {
        while ((this.byte() & 0x80) !== 0) {
            /* continuation bytes */
        }
    }

    take(n: number): Uint8Array {
        if (this.pos + n > this.end) throw new WasmFormatError(`unexpected end of module at byte ${this.pos}`);
        const out = this.bytes.subarray(this.pos, this.pos + n);
        this.pos += n;
        return out;
    }

    name(): string {
        return new TextDecoder().decode(this.take(this.u32()));
    }
}

/** A growable byte buffer. */
export class ByteWriter {
    private buf: Uint8Array<ArrayBuffer>;
    length = 0;

    constructor(capacity = 1024) {
        this.buf = new Uint8Array(capacity);
    }

    private reserve(n: number): void {
        if (this.length + n <= this.buf.length) return;
        let size = this.buf.length * 2;
        while (size < this.length + n) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(0, this.length));
        this.buf = next;
    }

    byte(b: number): this {
        this.reserve(1);
        this.buf[this.length++] = b;
        return this;
    }

    bytes(bytes: Uint8Array): this {
        this.reserve(bytes.length);
        this.buf.set(bytes, this.length);
        this.length += bytes.length;
        return this;
    }

    u32(value: number): this {
        let v = value;
        do {
            let b = v % 128;
            v = Math.floor(v / 128);
            if (v !== 0) b |= 0x80;
            this.byte(b);
        } while (v !== 0);
        return this;
    }

    sleb(value: bigint): this {
        let v = value;
        for (;;) {
            const b = Number(v & 0x7fn);
            v >>= 7n;
            const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
            this.byte(done ? b : b | 0x80);
            if (done) return this;
        }
    }

    name(text: string): this {
        const encoded = new TextEncoder().encode(text);
        return this.u32(encoded.length).bytes(encoded);
    }

    /** Appends `content` prefixed by its length, as sections and function bodies are. */
    sized(content: Uint8Array): this {
        return this.u32(content.length).bytes(content);
    }

    toBytes(): Uint8Array<ArrayBuffer> {
        return this.buf.slice(0, this.length);
    }
}
