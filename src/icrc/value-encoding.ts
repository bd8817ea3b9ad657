/**
 * Candid's value encoding of an ICRC-3 value (no `DIDL` header, no type table): the bytes the ledger stores
 * for a block, splices into `icrc3_get_blocks` replies, and hashes natively (`nativeValueHash` in ./hash.ts).
 * The same bytes as `valueCodec(ICRC3Value).encode` (a property test checks it), written by hand because a
 * ledger encodes a block in every transaction and the generic codec interprets its plan at every node.
 *
 * Variant indices follow Candid's field hashes, increasing (Candid specification, "Variants"): `Int` 0,
 * `Map` 1, `Nat` 2, `Blob` 3, `Text` 4, `Array` 5.
 */
import { EncodedValue, Writer } from '../candid/wire';
import { sleb128 } from '../ic/leb128';
import type { ICRC3Value } from './interface';

const INDEX = { Int: 0, Map: 1, Nat: 2, Blob: 3, Text: 4, Array: 5 } as const;

const utf8 = new TextEncoder();
/**
 * The encodings (length, then UTF-8) of the few texts every block repeats (map keys, block types), bounded
 * like ./hash.ts's key hashes: in QuickJS each call and bigint operation costs thousands of instructions, so
 * a key is one copy.
 */
const texts = new Map<string, Uint8Array>();
const MAX_REMEMBERED_TEXTS = 256;
const MAX_REMEMBERED_TEXT_LENGTH = 32;

/** The layer's writer, with remembered texts and ICRC-3 values. */
class Icrc3Writer extends Writer {
    override text(s: string): void {
        const known = texts.get(s);
        if (known !== undefined) return this.raw(known);
        const bytes = utf8.encode(s);
        if (s.length > MAX_REMEMBERED_TEXT_LENGTH || texts.size >= MAX_REMEMBERED_TEXTS) return this.sized(bytes);
        const start = this.at;
        this.sized(bytes);
        texts.set(s, this.bytes.slice(start, this.at));
    }

    value(value: ICRC3Value): void {
        // A stand-in for a value encoded earlier (`preEncoded`): the ledger encodes a transaction once, to hash
        // it, and splices those bytes into its block.
        if (value instanceof EncodedValue) return this.raw(value.bytes);
        if ('Map' in value) {
            this.uleb(INDEX.Map);
            this.uleb(value.Map.length);
            for (const [key, v] of value.Map) {
                this.text(key);
                this.value(v);
            }
        } else if ('Nat' in value) {
            this.uleb(INDEX.Nat);
            this.ulebBig(value.Nat);
        } else if ('Blob' in value) {
            this.uleb(INDEX.Blob);
            this.sized(value.Blob);
        } else if ('Text' in value) {
            this.uleb(INDEX.Text);
            this.text(value.Text);
        } else if ('Array' in value) {
            this.uleb(INDEX.Array);
            this.uleb(value.Array.length);
            for (const v of value.Array) this.value(v);
        } else {
            this.uleb(INDEX.Int);
            this.raw(sleb128(value.Int));
        }
    }
}

/** The encoding of `value`; a `preEncoded` stand-in anywhere inside it is written as its bytes. */
export function encodeIcrc3Value(value: ICRC3Value): Uint8Array {
    const w = new Icrc3Writer();
    w.value(value);
    return w.done();
}

/**
 * Writes one ICRC-3 `Map` entry by entry straight into its encoding, for a value a canister writes in every
 * message (a ledger's transaction and block): no value tree is built and walked, which in QuickJS costs as much
 * again as the writing. The bytes are those {@link encodeIcrc3Value} writes for the same entries in the same
 * order (tested).
 */
export class Icrc3MapWriter {
    /** A map's entry count is written as one LEB128 byte, so at most 127 entries. */
    static readonly MAX_ENTRIES = 0x7f;
    private readonly w = new Icrc3Writer();
    private readonly countAt: number;
    private count = 0;

    constructor() {
        this.w.uleb(INDEX.Map);
        this.countAt = this.w.at;
        this.w.uleb(0);
    }

    private key(key: string): Icrc3Writer {
        if (this.count === Icrc3MapWriter.MAX_ENTRIES) throw new RangeError('an ICRC-3 map written here has at most 127 entries');
        this.count++;
        this.w.text(key);
        return this.w;
    }

    nat(key: string, n: bigint): this {
        const w = this.key(key);
        w.uleb(INDEX.Nat);
        w.ulebBig(n);
        return this;
    }

    blob(key: string, bytes: Uint8Array): this {
        const w = this.key(key);
        w.uleb(INDEX.Blob);
        w.sized(bytes);
        return this;
    }

    text(key: string, text: string): this {
        const w = this.key(key);
        w.uleb(INDEX.Text);
        w.text(text);
        return this;
    }

    /** An `Array` of `Blob`s (how ICRC-3 writes an account: owner, then the subaccount if any). */
    blobs(key: string, items: readonly Uint8Array[]): this {
        const w = this.key(key);
        w.uleb(INDEX.Array);
        w.uleb(items.length);
        for (const item of items) {
            w.uleb(INDEX.Blob);
            w.sized(item);
        }
        return this;
    }

    /** A value given as its encoding (from this writer or {@link encodeIcrc3Value}), copied in as it is. */
    encoded(key: string, bytes: Uint8Array): this {
        this.key(key).raw(bytes);
        return this;
    }

    /** The map's encoding; the writer is done. */
    finish(): Uint8Array {
        this.w.bytes[this.countAt] = this.count;
        return this.w.done();
    }
}
