/**
 * Candid's binary format (Candid specification, "Binary Format" and "Deserialisation"), compiled from the
 * layer's schemas: `encoder(schemas)` and `decoder(schemas)` turn a method's argument or result list into a
 * pair of functions over bytes.
 *
 * Why not `IDL.encode`/`IDL.decode` of `@dfinity/candid`: inside a canister they run in QuickJS, where their
 * generality costs millions of instructions per call (`npm run bench`, "Azle's building blocks": an ICRC-1
 * transfer's argument and result through Azle's automatic path and through this codec). This codec knows the
 * expected types in advance, writes the type table once per schema, and walks the wire types with a few small
 * functions. Tests hold it to `@dfinity/candid`: each decodes what the other encodes, to the same values.
 *
 * Decoding follows the specification's coercion rules: record fields are matched by id, extra wire fields are
 * skipped, a missing `opt`/`null`/`reserved` field decodes as none, `nat` decodes where `int` is expected, and a
 * value that does not fit an expected `opt` decodes as none. Malformed bytes or a type that does not fit raise
 * a {@link CandidDecodeError}; a hostile length or nesting is refused before it costs work.
 *
 * The work of decoding is bounded by the message's size: every value read or skipped, every vector element,
 * every record field filled in, every type-table entry and subtype comparison spends steps from one budget per
 * message, {@link DECODE_STEPS_PER_BYTE} per byte with a floor of {@link DECODE_STEPS_FLOOR}, shared across
 * nesting; skipping (extra arguments, extra fields, values that do not fit an `opt`) also spends from a
 * fixed {@link SKIP_STEPS_LIMIT}. A message that would take more is refused with a CandidDecodeError at the
 * step that crosses the line. This is what DFINITY's Rust `candid` crate does with its `DecoderConfig`
 * (`rust/candid/src/de.rs`, dfinity/candid: `decoding_quota`, whose cost model charges every value and
 * `2 + 3N` for a vector of N, so a vector of zero-sized values costs its length; and `skipping_quota`, which it
 * recommends setting to 10,000 for canister endpoints); the quota here scales with the message instead of
 * being one number, so a large valid argument (a wasm chunk, a batch) still fits.
 */
import { idlLabelToId } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { sleb128, leb128 } from '../ic/leb128';
import { TYPED_ARRAYS, type TypedArrayKind } from './builders';
import { type AnySchema, type CandidNode, candidNodeOf, type FuncNode, type PrimitiveKind } from './node';

/** Raised for bytes that are not a Candid message of the expected types. */
export class CandidDecodeError extends Error {
    override readonly name = 'CandidDecodeError';
}

/** Type opcodes (specification, "Types"): primitives are negative, composite types live in the type table. */
const OP = {
    null: -1,
    bool: -2,
    nat: -3,
    int: -4,
    nat8: -5,
    nat16: -6,
    nat32: -7,
    nat64: -8,
    int8: -9,
    int16: -10,
    int32: -11,
    int64: -12,
    float32: -13,
    float64: -14,
    text: -15,
    reserved: -16,
    empty: -17,
    opt: -18,
    vec: -19,
    record: -20,
    variant: -21,
    func: -22,
    service: -23,
    principal: -24
} as const;

/**
 * Nesting deeper than this is refused: each level is a JS stack frame, and no interface of the suite nests
 * values nearly this deep (an ICRC-3 block is four levels).
 */
export const MAX_DEPTH = 64;

/**
 * Decoding steps a message may take per byte of it. Valid messages take 1-4 a byte (a value is at least a byte,
 * except `null`, `reserved`, empty records and missing `opt` fields, which the floor covers); a vector of
 * zero-sized elements (`vec null`: no bytes per element) is what this bounds, at any nesting.
 */
export const DECODE_STEPS_PER_BYTE = 10;
/** Steps any message may take, however short: room for a record of missing optional fields. */
export const DECODE_STEPS_FLOOR = 10_000;
/** Steps a message may spend skipping values it does not need, whatever its size (the Rust crate's advice). */
export const SKIP_STEPS_LIMIT = 10_000;

/** What decoding one message spent, for tests and benchmarks: steps in all and, of those, skipping. */
export type DecodeStats = { steps: number; skipped: number };

/** The steps one message may spend, charged as it is decoded. */
class Budget {
    steps = 0;
    skipped = 0;
    readonly limit: number;

    constructor(
        private readonly r: Reader,
        bytes: number
    ) {
        this.limit = Math.max(DECODE_STEPS_FLOOR, DECODE_STEPS_PER_BYTE * bytes);
    }

    spend(steps: number): void {
        // Checked before counting: what was spent never passes the limit, and a huge length fails at once.
        if (this.steps + steps > this.limit)
            this.r.fail(
                `decoding takes more than the ${this.limit} steps a ${this.r.bytes.length}-byte message may take (${DECODE_STEPS_PER_BYTE} a byte, at least ${DECODE_STEPS_FLOOR})`
            );
        this.steps += steps;
    }

    skip(steps: number): void {
        if (this.skipped + steps > SKIP_STEPS_LIMIT)
            this.r.fail(`skipping unneeded values takes more than ${SKIP_STEPS_LIMIT} steps`);
        this.spend(steps);
        this.skipped += steps;
    }
}

const MAGIC = [0x44, 0x49, 0x44, 0x4c]; // "DIDL"

// ---------------------------------------------------------------------------------------------------------
// Plans: the expected types, compiled once per schema.

type Field = { readonly id: number; readonly name: string; readonly plan: Plan };

type Plan =
    | { readonly op: Exclude<PrimitiveKindOp, typeof OP.principal>; readonly kind: PrimitiveKind }
    | { readonly op: typeof OP.principal; readonly kind: 'principal' }
    | { readonly op: typeof OP.opt; inner: Plan }
    | { readonly op: typeof OP.vec; inner: Plan; typed: TypedArrayCtor | undefined }
    | { readonly op: typeof OP.record; fields: Field[]; tuple: boolean }
    | { readonly op: typeof OP.variant; fields: Field[] }
    | { readonly op: typeof OP.func; args: Plan[]; rets: Plan[]; modes: number[] }
    | { readonly op: typeof OP.service; methods: { name: string; plan: Plan }[] };

type PrimitiveKindOp = (typeof OP)[PrimitiveKind];
type TypedArrayCtor = (typeof TYPED_ARRAYS)[TypedArrayKind];

const FUNC_MODES = { query: 1, oneway: 2, composite_query: 3 } as const;

function fieldsOf(entries: [string, AnySchema][], compile: (s: AnySchema) => Plan): Field[] {
    return entries.map(([name, schema]) => ({ id: idlLabelToId(name), name, plan: compile(schema) })).sort((a, b) => a.id - b.id);
}

class Compiler {
    private readonly plans = new Map<CandidNode, Plan>();

    plan(schema: AnySchema): Plan {
        return this.node(candidNodeOf(schema));
    }

    private node(node: CandidNode): Plan {
        const known = this.plans.get(node);
        if (known !== undefined) return known;
        if (node.kind === 'rec') {
            const target = candidNodeOf(node.target());
            // A placeholder first, so a type that reaches itself finds its own plan and the graph closes.
            const placeholder = { op: OP.null } as Plan;
            this.plans.set(node, placeholder);
            Object.assign(placeholder, this.node(target));
            return placeholder;
        }
        const plan = this.compile(node);
        this.plans.set(node, plan);
        return plan;
    }

    private compile(node: CandidNode): Plan {
        const child = (s: AnySchema): Plan => this.plan(s);
        switch (node.kind) {
            case 'opt':
                return { op: OP.opt, inner: child(node.inner) };
            case 'vec': {
                const inner = child(node.inner);
                const typed =
                    'kind' in inner && inner.kind in TYPED_ARRAYS ? TYPED_ARRAYS[inner.kind as TypedArrayKind] : undefined;
                return { op: OP.vec, inner, typed };
            }
            case 'record':
                return { op: OP.record, fields: fieldsOf(Object.entries(node.fields), child), tuple: false };
            case 'tuple':
                return {
                    op: OP.record,
                    fields: node.items.map((s, i) => ({ id: i, name: String(i), plan: child(s) })),
                    tuple: true
                };
            case 'variant':
                return { op: OP.variant, fields: fieldsOf(Object.entries(node.tags), child) };
            case 'func':
                return this.func(node);
            case 'service':
                return {
                    op: OP.service,
                    methods: Object.entries(node.methods)
                        .map(([name, f]) => ({ name, plan: this.func(f) }))
                        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
                };
            case 'rec':
                throw new Error('unreachable: rec is resolved by node()');
            default:
                return { op: OP[node.kind], kind: node.kind } as Plan;
        }
    }

    private func(node: FuncNode): Plan {
        return {
            op: OP.func,
            args: node.args.map((s) => this.plan(s)),
            rets: node.rets.map((s) => this.plan(s)),
            modes: node.modes.map((m) => FUNC_MODES[m])
        };
    }
}

// ---------------------------------------------------------------------------------------------------------
// Bytes.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function utf8Encode(s: string): Uint8Array {
    // ASCII, the common case (field names, method names, most memos), without the encoder's call overhead.
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) return textEncoder.encode(s);
        out[i] = c;
    }
    return out;
}

function utf8Decode(bytes: Uint8Array, start: number, end: number): string {
    let ascii = '';
    for (let i = start; i < end; i++) {
        const b = bytes[i] as number;
        if (b > 0x7f) {
            try {
                return textDecoder.decode(bytes.subarray(start, end));
            } catch {
                throw new CandidDecodeError('text is not valid UTF-8');
            }
        }
        ascii += String.fromCharCode(b);
    }
    return ascii;
}

/** 2^53: below it a nat's LEB128 is written with float arithmetic; above it, with bigints. */
const SAFE_NAT = 2n ** 53n;
/** A nat below this takes one 28-bit bigint step (four LEB128 bytes) before the float arithmetic. */
const ONE_STEP_NAT = SAFE_NAT << 28n;
const LOW_28_BITS = 2n ** 28n - 1n;

/**
 * A growing byte buffer with Candid's number and text encodings: what every encoder of the layer writes with
 * (`src/icrc/value-encoding.ts` extends it). In QuickJS each call and bigint operation costs thousands of
 * instructions, so the hot writes check the room once and store bytes directly.
 */
export class Writer {
    bytes = new Uint8Array(256);
    at = 0;

    protected room(n: number): void {
        if (this.at + n <= this.bytes.length) return;
        let size = this.bytes.length * 2;
        while (size < this.at + n) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.bytes.subarray(0, this.at));
        this.bytes = grown;
    }

    byte(b: number): void {
        this.room(1);
        this.bytes[this.at++] = b;
    }

    raw(b: Uint8Array): void {
        this.room(b.length);
        this.bytes.set(b, this.at);
        this.at += b.length;
    }

    /** Unsigned LEB128 of a non-negative integer below 2^53 (at most 8 bytes). */
    uleb(n: number): void {
        this.room(8);
        let v = n;
        while (v >= 0x80) {
            this.bytes[this.at++] = (v % 0x80) | 0x80;
            v = Math.floor(v / 0x80);
        }
        this.bytes[this.at++] = v;
    }

    /** A length, then the bytes. */
    sized(b: Uint8Array): void {
        this.uleb(b.length);
        this.raw(b);
    }

    sleb(n: number): void {
        let v = n;
        for (;;) {
            const b = v & 0x7f;
            v = Math.floor(v / 0x80);
            const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
            this.byte(done ? b : b | 0x80);
            if (done) return;
        }
    }

    /**
     * Unsigned LEB128 of a nat: below 2^53 in floats; up to 2^81, 28 bits (four full LEB128 bytes) in one
     * bigint step first, so a nanosecond time (about 2^61) costs two bigint operations, not nine.
     */
    ulebBig(n: bigint): void {
        if (n < SAFE_NAT) return this.uleb(Number(n));
        if (n >= ONE_STEP_NAT) return this.raw(leb128(n));
        this.room(4);
        let low = Number(n & LOW_28_BITS);
        for (let i = 0; i < 4; i++) {
            this.bytes[this.at++] = (low % 0x80) | 0x80;
            low = Math.floor(low / 0x80);
        }
        this.uleb(Number(n >> 28n));
    }

    slebBig(n: bigint): void {
        this.raw(sleb128(n));
    }

    /** `n` in `size` bytes, little-endian, as two's complement for a negative `n`. */
    fixed(n: bigint, size: number): void {
        let v = BigInt.asUintN(size * 8, n);
        for (let i = 0; i < size; i++) {
            this.byte(Number(v & 0xffn));
            v >>= 8n;
        }
    }

    fixedNumber(n: number, size: number): void {
        let v = n < 0 ? n + 2 ** (size * 8) : n;
        for (let i = 0; i < size; i++) {
            this.byte(v & 0xff);
            v = Math.floor(v / 256);
        }
    }

    float(n: number, size: 4 | 8): void {
        const view = new DataView(new ArrayBuffer(size));
        if (size === 4) view.setFloat32(0, n, true);
        else view.setFloat64(0, n, true);
        this.raw(new Uint8Array(view.buffer));
    }

    text(s: string): void {
        this.sized(utf8Encode(s));
    }

    done(): Uint8Array {
        return this.bytes.slice(0, this.at);
    }
}

class Reader {
    at = 0;
    constructor(readonly bytes: Uint8Array) {}

    fail(what: string): never {
        throw new CandidDecodeError(`${what} at byte ${this.at}`);
    }

    need(n: number): void {
        if (n > this.bytes.length - this.at) this.fail(`message ends early: ${n} more byte(s) expected`);
    }

    byte(): number {
        if (this.at >= this.bytes.length) this.fail('message ends early');
        return this.bytes[this.at++] as number;
    }

    /** An unsigned LEB128 that must fit a JS number exactly (lengths, counts, type indices, field ids). */
    uleb(): number {
        let n = 0;
        let scale = 1;
        for (;;) {
            const b = this.byte();
            n += (b & 0x7f) * scale;
            if (b < 0x80) break;
            scale *= 0x80;
            if (scale > 2 ** 42) this.fail('a length or index is too large'); // 7 bytes: 49 bits, exact in a double
        }
        return n;
    }

    sleb(): number {
        let n = 0;
        let scale = 1;
        for (;;) {
            const b = this.byte();
            n += (b & 0x7f) * scale;
            scale *= 0x80;
            if (b < 0x80) return (b & 0x40) !== 0 ? n - scale : n;
            if (scale > 2 ** 42) this.fail('a type reference is too large');
        }
    }

    ulebBig(): bigint {
        const start = this.at;
        let n = 0;
        let scale = 1;
        for (;;) {
            const b = this.byte();
            n += (b & 0x7f) * scale;
            if (b < 0x80) return BigInt(n);
            scale *= 0x80;
            if (scale > 2 ** 42) break; // past 49 bits a double loses digits: start again with bigints
        }
        this.at = start;
        let big = 0n;
        let shift = 0n;
        for (;;) {
            const b = this.byte();
            big |= BigInt(b & 0x7f) << shift;
            shift += 7n;
            if (b < 0x80) return big;
        }
    }

    slebBig(): bigint {
        let big = 0n;
        let shift = 0n;
        for (;;) {
            const b = this.byte();
            big |= BigInt(b & 0x7f) << shift;
            shift += 7n;
            if (b < 0x80) return (b & 0x40) !== 0 ? big - (1n << shift) : big;
        }
    }

    fixedNumber(size: number, signed: boolean): number {
        this.need(size);
        let n = 0;
        for (let i = size - 1; i >= 0; i--) n = n * 256 + (this.bytes[this.at + i] as number);
        this.at += size;
        return signed && n >= 2 ** (size * 8 - 1) ? n - 2 ** (size * 8) : n;
    }

    fixed64(signed: boolean): bigint {
        this.need(8);
        const b = this.bytes;
        const at = this.at;
        const lo =
            ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>>
            0;
        const hi =
            ((b[at + 4] as number) |
                ((b[at + 5] as number) << 8) |
                ((b[at + 6] as number) << 16) |
                ((b[at + 7] as number) << 24)) >>>
            0;
        this.at += 8;
        const n = hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
        return signed ? BigInt.asIntN(64, n) : n;
    }

    float(size: 4 | 8): number {
        this.need(size);
        const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, size);
        this.at += size;
        return size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
    }

    slice(n: number): Uint8Array {
        this.need(n);
        const out = this.bytes.slice(this.at, this.at + n);
        this.at += n;
        return out;
    }

    /** Passes over `n` bytes without copying them: a skipped blob (a module, say) costs no allocation. */
    advance(n: number): void {
        this.need(n);
        this.at += n;
    }

    text(): string {
        const n = this.uleb();
        this.need(n);
        const s = utf8Decode(this.bytes, this.at, this.at + n);
        this.at += n;
        return s;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Encoding.

/** The type table for `plans`, then the type reference (opcode or table index) of each: a message's header. */
function typeTable(plans: readonly Plan[]): Uint8Array {
    const index = new Map<Plan, number>();
    const entries: Writer[] = [];
    const ref = (plan: Plan): number => {
        if (isPrimitiveOp(plan.op)) return plan.op;
        const known = index.get(plan);
        if (known !== undefined) return known;
        const at = entries.length;
        index.set(plan, at);
        const w = new Writer();
        entries.push(w);
        // Children get their indices (and entries) first; this entry is written after, at its own slot.
        switch (plan.op) {
            case OP.opt:
            case OP.vec: {
                const inner = ref(plan.inner);
                w.sleb(plan.op);
                w.sleb(inner);
                break;
            }
            case OP.record:
            case OP.variant: {
                const refs = plan.fields.map((f) => ref(f.plan));
                w.sleb(plan.op);
                w.uleb(plan.fields.length);
                plan.fields.forEach((f, i) => {
                    w.uleb(f.id);
                    w.sleb(refs[i] as number);
                });
                break;
            }
            case OP.func: {
                const args = plan.args.map(ref);
                const rets = plan.rets.map(ref);
                w.sleb(OP.func);
                w.uleb(args.length);
                args.forEach((r) => w.sleb(r));
                w.uleb(rets.length);
                rets.forEach((r) => w.sleb(r));
                w.uleb(plan.modes.length);
                plan.modes.forEach((m) => w.byte(m));
                break;
            }
            case OP.service: {
                const refs = plan.methods.map((m) => ref(m.plan));
                w.sleb(OP.service);
                w.uleb(plan.methods.length);
                plan.methods.forEach((m, i) => {
                    w.text(m.name);
                    w.sleb(refs[i] as number);
                });
                break;
            }
        }
        return at;
    };
    const refs = plans.map(ref);
    const out = new Writer();
    out.raw(Uint8Array.from(MAGIC));
    out.uleb(entries.length);
    for (const e of entries) out.raw(e.done());
    out.uleb(refs.length);
    for (const r of refs) out.sleb(r);
    return out.done();
}

function writePrincipal(w: Writer, value: unknown): void {
    const bytes = (value as Principal).toUint8Array();
    w.byte(1);
    w.uleb(bytes.length);
    w.raw(bytes);
}

/**
 * A value already in Candid's value encoding for its type, as {@link valueCodec} stores it: the encoder copies
 * the bytes instead of walking a decoded value, so a canister can answer with stored records (the token's
 * blocks) without decoding them. Only composite values (records and variants) can be given this way.
 */
export class EncodedValue {
    constructor(readonly bytes: Uint8Array) {}
}

/**
 * Stands in for a value of type `T` whose encoding is `bytes`: the suite's encoder writes the bytes as they
 * are. They must come from `valueCodec(schema).encode` for the schema `T` is encoded with.
 */
export function preEncoded<T extends object>(bytes: Uint8Array): T {
    return new EncodedValue(bytes) as unknown as T;
}

function writeValue(w: Writer, plan: Plan, value: unknown): void {
    switch (plan.op) {
        case OP.null:
        case OP.reserved:
            return;
        case OP.bool:
            return w.byte(value === true ? 1 : 0);
        case OP.nat:
            return w.ulebBig(value as bigint);
        case OP.int:
            return w.slebBig(value as bigint);
        case OP.nat8:
        case OP.int8:
            return w.fixedNumber(value as number, 1);
        case OP.nat16:
        case OP.int16:
            return w.fixedNumber(value as number, 2);
        case OP.nat32:
        case OP.int32:
            return w.fixedNumber(value as number, 4);
        case OP.nat64:
        case OP.int64:
            return w.fixed(value as bigint, 8);
        case OP.float32:
            return w.float(value as number, 4);
        case OP.float64:
            return w.float(value as number, 8);
        case OP.text:
            return w.text(value as string);
        case OP.empty:
            throw new TypeError('no value has type empty');
        case OP.principal:
            return writePrincipal(w, value);
        case OP.opt: {
            const some = value as [] | [unknown];
            if (some.length === 0) return w.byte(0);
            w.byte(1);
            return writeValue(w, plan.inner, some[0]);
        }
        case OP.vec: {
            if (plan.typed === Uint8Array) {
                const bytes = value as Uint8Array;
                w.uleb(bytes.length);
                return w.raw(bytes);
            }
            const items = value as ArrayLike<unknown>;
            w.uleb(items.length);
            for (let i = 0; i < items.length; i++) writeValue(w, plan.inner, items[i]);
            return;
        }
        case OP.record: {
            if (value instanceof EncodedValue) return w.raw(value.bytes);
            const fields = plan.fields;
            const record = value as Record<string, unknown>;
            for (let i = 0; i < fields.length; i++) {
                const f = fields[i] as Field;
                writeValue(w, f.plan, record[f.name]);
            }
            return;
        }
        case OP.variant: {
            if (value instanceof EncodedValue) return w.raw(value.bytes);
            const tag = Object.keys(value as object)[0] as string;
            const fields = plan.fields;
            for (let i = 0; i < fields.length; i++) {
                const f = fields[i] as Field;
                if (f.name === tag) {
                    w.uleb(i);
                    return writeValue(w, f.plan, (value as Record<string, unknown>)[tag]);
                }
            }
            throw new TypeError(`variant has no tag "${tag}"`);
        }
        case OP.func: {
            const [principal, method] = value as [Principal, string];
            w.byte(1);
            writePrincipal(w, principal);
            return w.text(method);
        }
        case OP.service:
            return writePrincipal(w, value);
    }
}

/** Encodes an argument (or result) list; `header` is its type table, the same for every call. */
export type Encoder = ((values: readonly unknown[]) => Uint8Array) & { readonly header: Uint8Array };

/** An encoder for an argument (or result) list of these types; the type table is written once, here. */
export function encoder(schemas: readonly AnySchema[]): Encoder {
    const compiler = new Compiler();
    const plans = schemas.map((s) => compiler.plan(s));
    const table = typeTable(plans);
    const encode = (values: readonly unknown[]): Uint8Array => {
        if (values.length !== plans.length) throw new TypeError(`expected ${plans.length} value(s), got ${values.length}`);
        const w = new Writer();
        w.raw(table);
        for (let i = 0; i < plans.length; i++) writeValue(w, plans[i] as Plan, values[i]);
        return w.done();
    };
    return Object.assign(encode, { header: table });
}

// ---------------------------------------------------------------------------------------------------------
// Decoding.

/** A type of the message's own table: an opcode, and for composite types what the table says of them. */
type WireType =
    | { readonly op: typeof OP.opt | typeof OP.vec; readonly inner: number }
    | { readonly op: typeof OP.record | typeof OP.variant; readonly ids: number[]; readonly types: number[] }
    | { readonly op: typeof OP.func; readonly args: number[]; readonly rets: number[] }
    | { readonly op: typeof OP.service };

/** Primitive opcodes that take no bytes. */
function zeroSized(table: readonly WireType[], ref: number, seen: Set<number> = new Set()): boolean {
    if (ref < 0) return ref === OP.null || ref === OP.reserved;
    const t = table[ref] as WireType;
    if (t.op !== OP.record || seen.has(ref)) return false;
    seen.add(ref);
    return t.types.every((r) => zeroSized(table, r, seen));
}

/** True for the opcodes of primitive types (the others name composite types, which live in the table). */
function isPrimitiveOp(op: number): boolean {
    return (op < 0 && op >= OP.empty) || op === OP.principal;
}

/** A type reference of the message: a primitive opcode or an index into its table of `count` types. */
function checkedRef(r: Reader, count: number): number {
    const ref = r.sleb();
    if (ref >= 0 ? ref >= count : !isPrimitiveOp(ref)) r.fail(`bad type reference ${ref}`);
    return ref;
}

function readTable(r: Reader, budget: Budget): WireType[] {
    for (const b of MAGIC) if (r.byte() !== b) r.fail('not a Candid message (no "DIDL" header)');
    const count = r.uleb();
    if (count > r.bytes.length) r.fail('type table is longer than the message');
    budget.spend(count);
    const table: WireType[] = [];
    const typeRef = (): number => checkedRef(r, count);
    for (let i = 0; i < count; i++) {
        const op = r.sleb();
        switch (op) {
            case OP.opt:
            case OP.vec:
                table.push({ op, inner: typeRef() });
                break;
            case OP.record:
            case OP.variant: {
                const n = r.uleb();
                if (n > r.bytes.length) r.fail('a record lists more fields than the message has bytes');
                budget.spend(n);
                const ids: number[] = [];
                const types: number[] = [];
                for (let k = 0; k < n; k++) {
                    const id = r.uleb();
                    if (id > 0xffffffff || (k > 0 && id <= (ids[k - 1] as number)))
                        r.fail('field ids must be increasing 32-bit numbers');
                    ids.push(id);
                    types.push(typeRef());
                }
                table.push({ op, ids, types });
                break;
            }
            case OP.func: {
                const list = (): number[] => {
                    const n = r.uleb();
                    if (n > r.bytes.length) r.fail('a func type lists more types than the message has bytes');
                    budget.spend(n);
                    return Array.from({ length: n }, typeRef);
                };
                const args = list();
                const rets = list();
                const modes = r.uleb();
                r.slice(modes);
                table.push({ op, args, rets });
                break;
            }
            case OP.service: {
                const n = r.uleb();
                if (n > r.bytes.length) r.fail('a service lists more methods than the message has bytes');
                budget.spend(n);
                for (let k = 0; k < n; k++) {
                    r.text();
                    typeRef();
                }
                table.push({ op });
                break;
            }
            default:
                r.fail(`unknown type opcode ${op} in the type table`);
        }
    }
    return table;
}

/** One message being decoded: its bytes, its type table and the memo of subtype checks. */
class Decoding {
    private readonly subtypes = new Map<Plan, Map<number, boolean>>();
    depth = 0;

    constructor(
        readonly r: Reader,
        readonly table: WireType[],
        private readonly budget: Budget
    ) {}

    private wire(ref: number): WireType {
        return this.table[ref] as WireType;
    }

    private readonly zeroSizedTypes = new Map<number, boolean>();

    /** Whether values of this type take no bytes, decided once per type of the message. */
    private zeroSized(ref: number): boolean {
        let known = this.zeroSizedTypes.get(ref);
        if (known === undefined) this.zeroSizedTypes.set(ref, (known = zeroSized(this.table, ref)));
        return known;
    }

    private opOf(ref: number): number {
        return ref < 0 ? ref : this.wire(ref).op;
    }

    /** Candid subtyping (specification, "Subtyping"), decided on types before any byte is read. */
    isSubtype(ref: number, plan: Plan): boolean {
        if (plan.op === OP.reserved || plan.op === OP.opt) return true;
        const op = this.opOf(ref);
        if (op === OP.empty) return true;
        if (ref < 0) return op === plan.op || (op === OP.nat && plan.op === OP.int);
        let memo = this.subtypes.get(plan);
        if (memo === undefined) this.subtypes.set(plan, (memo = new Map()));
        const known = memo.get(ref);
        if (known !== undefined) return known;
        memo.set(ref, true); // coinductive: a cycle that reaches this pair again holds
        const t = this.wire(ref);
        // Each (type, plan) pair is compared once; a comparison of records or variants looks each field up.
        if (t.op === OP.record || t.op === OP.variant) {
            const planFields = plan.op === OP.record || plan.op === OP.variant ? plan.fields.length : 0;
            this.budget.spend(1 + t.ids.length * Math.max(1, planFields));
        } else this.budget.spend(1);
        let result: boolean;
        if (t.op === OP.vec && plan.op === OP.vec) result = this.isSubtype(t.inner, plan.inner);
        else if (t.op === OP.record && plan.op === OP.record) {
            result = plan.fields.every((f) => {
                const at = t.ids.indexOf(f.id);
                return at >= 0 ? this.isSubtype(t.types[at] as number, f.plan) : defaultable(f.plan);
            });
        } else if (t.op === OP.variant && plan.op === OP.variant) {
            result = t.ids.every((id, k) => {
                const f = plan.fields.find((x) => x.id === id);
                return f !== undefined && this.isSubtype(t.types[k] as number, f.plan);
            });
        } else result = t.op === plan.op && (t.op === OP.func || t.op === OP.service);
        memo.set(ref, result);
        return result;
    }

    read(ref: number, plan: Plan): unknown {
        this.budget.spend(1);
        if (++this.depth > MAX_DEPTH) this.r.fail(`values nest deeper than ${MAX_DEPTH} levels`);
        const value = this.readAt(ref, plan);
        this.depth--;
        return value;
    }

    private mismatch(ref: number, plan: Plan): never {
        return this.r.fail(`a value of wire type ${describe(this.opOf(ref))} where ${describe(plan.op)} is expected`);
    }

    private readAt(ref: number, plan: Plan): unknown {
        const r = this.r;
        if (plan.op === OP.opt) return this.readOpt(ref, plan.inner);
        if (plan.op === OP.reserved) {
            this.skip(ref);
            return null;
        }
        if (ref < 0) {
            if (ref !== plan.op && !(ref === OP.nat && plan.op === OP.int)) {
                if (ref === OP.empty) r.fail('no value has type empty');
                this.mismatch(ref, plan);
            }
            switch (ref) {
                case OP.null:
                    return null;
                case OP.bool: {
                    const b = r.byte();
                    if (b > 1) r.fail('a bool is 0 or 1');
                    return b === 1;
                }
                case OP.nat:
                    return r.ulebBig();
                case OP.int:
                    return r.slebBig();
                case OP.nat8:
                    return r.fixedNumber(1, false);
                case OP.nat16:
                    return r.fixedNumber(2, false);
                case OP.nat32:
                    return r.fixedNumber(4, false);
                case OP.nat64:
                    return r.fixed64(false);
                case OP.int8:
                    return r.fixedNumber(1, true);
                case OP.int16:
                    return r.fixedNumber(2, true);
                case OP.int32:
                    return r.fixedNumber(4, true);
                case OP.int64:
                    return r.fixed64(true);
                case OP.float32:
                    return r.float(4);
                case OP.float64:
                    return r.float(8);
                case OP.text:
                    return r.text();
                case OP.principal:
                    return this.principal();
            }
            return this.mismatch(ref, plan);
        }
        const t = this.wire(ref);
        if (t.op !== plan.op) this.mismatch(ref, plan);
        switch (plan.op) {
            case OP.vec:
                return this.readVec((t as { inner: number }).inner, plan);
            case OP.record:
                return this.readRecord(t as { ids: number[]; types: number[] }, plan);
            case OP.variant:
                return this.readVariant(t as { ids: number[]; types: number[] }, plan);
            case OP.func: {
                if (r.byte() !== 1) r.fail('an opaque func reference cannot be decoded');
                return [this.principal(), r.text()];
            }
            case OP.service:
                return this.principal();
        }
        return this.mismatch(ref, plan);
    }

    private principal(): Principal {
        const r = this.r;
        if (r.byte() !== 1) r.fail('an opaque principal reference cannot be decoded');
        const n = r.uleb();
        if (n > 29) r.fail('a principal has at most 29 bytes');
        return Principal.fromUint8Array(r.slice(n));
    }

    private readOpt(ref: number, inner: Plan): [] | [unknown] {
        const op = this.opOf(ref);
        if (op === OP.null || op === OP.reserved) {
            this.skip(ref);
            return [];
        }
        if (op === OP.opt) {
            const flag = this.r.byte();
            if (flag === 0) return [];
            if (flag !== 1) this.r.fail('an opt flag is 0 or 1');
            const wireInner = (this.wire(ref) as { inner: number }).inner;
            if (this.isSubtype(wireInner, inner)) return [this.read(wireInner, inner)];
            this.skip(wireInner);
            return [];
        }
        // A bare value where an opt is expected: some value if it fits and null is no value of the inner type.
        if (!defaultable(inner) && this.isSubtype(ref, inner)) return [this.read(ref, inner)];
        this.skip(ref);
        return [];
    }

    private readVec(wireInner: number, plan: Plan & { op: typeof OP.vec }): unknown {
        const r = this.r;
        const n = r.uleb();
        if (plan.typed === Uint8Array && wireInner === OP.nat8) return r.slice(n);
        this.vectorOf(n, wireInner);
        if (plan.typed !== undefined) {
            const out = new plan.typed(n);
            for (let i = 0; i < n; i++) (out as unknown as unknown[])[i] = this.read(wireInner, plan.inner);
            return out;
        }
        const out: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.read(wireInner, plan.inner);
        return out;
    }

    private readRecord(t: { ids: number[]; types: number[] }, plan: Plan & { op: typeof OP.record }): unknown {
        const out: Record<string, unknown> = {};
        const values: unknown[] | undefined = plan.tuple ? [] : undefined;
        const fields = plan.fields;
        let k = 0; // the next expected field; both lists are sorted by id
        for (let i = 0; i < t.ids.length; i++) {
            const id = t.ids[i] as number;
            while (k < fields.length && (fields[k] as Field).id < id) this.missing(fields[k++] as Field, out);
            const f = fields[k];
            if (f !== undefined && f.id === id) {
                out[f.name] = this.read(t.types[i] as number, f.plan);
                k++;
            } else this.skip(t.types[i] as number);
        }
        while (k < fields.length) this.missing(fields[k++] as Field, out);
        if (values !== undefined) {
            for (const f of fields) values.push(out[f.name]);
            return values;
        }
        return out;
    }

    /**
     * Charges a vector's length before its elements are read or skipped, so that a length the budget cannot pay
     * is refused at once. Elements that take bytes cannot outnumber the bytes left; zero-sized ones are bounded by
     * the budget alone.
     */
    private vectorOf(n: number, wireInner: number): void {
        const r = this.r;
        if (!this.zeroSized(wireInner) && n > r.bytes.length - r.at)
            r.fail(`a vector of ${n} elements is longer than the message allows`);
        this.budget.spend(n);
    }

    private missing(f: Field, out: Record<string, unknown>): void {
        this.budget.spend(1);
        if (!defaultable(f.plan)) this.r.fail(`record field "${f.name}" is missing`);
        out[f.name] = f.plan.op === OP.opt ? [] : null;
    }

    private readVariant(t: { ids: number[]; types: number[] }, plan: Plan & { op: typeof OP.variant }): unknown {
        const r = this.r;
        const index = r.uleb();
        if (index >= t.ids.length) r.fail(`variant index ${index} is out of range`);
        const id = t.ids[index] as number;
        const f = plan.fields.find((x) => x.id === id);
        if (f === undefined) return r.fail(`variant tag ${id} is not one this interface knows`);
        return { [f.name]: this.read(t.types[index] as number, f.plan) };
    }

    /** Moves past one value of a wire type without building it. */
    skip(ref: number): void {
        this.budget.skip(1);
        if (++this.depth > MAX_DEPTH) this.r.fail(`values nest deeper than ${MAX_DEPTH} levels`);
        this.skipAt(ref);
        this.depth--;
    }

    private skipAt(ref: number): void {
        const r = this.r;
        if (ref < 0) {
            switch (ref) {
                case OP.null:
                case OP.reserved:
                    return;
                case OP.empty:
                    return r.fail('no value has type empty');
                case OP.bool:
                case OP.nat8:
                case OP.int8:
                    r.advance(1);
                    return;
                case OP.nat:
                case OP.int:
                    while (r.byte() >= 0x80);
                    return;
                case OP.nat16:
                case OP.int16:
                    r.advance(2);
                    return;
                case OP.nat32:
                case OP.int32:
                case OP.float32:
                    r.advance(4);
                    return;
                case OP.nat64:
                case OP.int64:
                case OP.float64:
                    r.advance(8);
                    return;
                case OP.text:
                    r.advance(r.uleb());
                    return;
                case OP.principal:
                    this.principal();
                    return;
            }
            return r.fail(`unknown opcode ${ref}`);
        }
        const t = this.wire(ref);
        switch (t.op) {
            case OP.opt:
                if (r.byte() === 1) this.skip(t.inner);
                return;
            case OP.vec: {
                const n = r.uleb();
                const width = FIXED_WIDTH.get(t.inner);
                // A blob or a vector of numbers is skipped as its bytes: one step, not one per element.
                if (width !== undefined) {
                    r.advance(n * width);
                    return;
                }
                if (!this.zeroSized(t.inner) && n > r.bytes.length - r.at)
                    r.fail(`a vector of ${n} elements is longer than the message allows`);
                this.budget.skip(n);
                for (let i = 0; i < n; i++) this.skip(t.inner);
                return;
            }
            case OP.record:
                for (const type of t.types) this.skip(type);
                return;
            case OP.variant: {
                const index = r.uleb();
                if (index >= t.types.length) r.fail(`variant index ${index} is out of range`);
                return this.skip(t.types[index] as number);
            }
            case OP.func:
                if (r.byte() === 1) {
                    this.principal();
                    r.text();
                }
                return;
            case OP.service:
                this.principal();
                return;
        }
    }
}

/** The bytes of each primitive of fixed size, by opcode. */
const FIXED_WIDTH = new Map<number, number>([
    [OP.bool, 1],
    [OP.nat8, 1],
    [OP.int8, 1],
    [OP.nat16, 2],
    [OP.int16, 2],
    [OP.nat32, 4],
    [OP.int32, 4],
    [OP.float32, 4],
    [OP.nat64, 8],
    [OP.int64, 8],
    [OP.float64, 8]
]);

/** True for the types a missing field or argument may take a value of: none (`opt`), `null` and `reserved`. */
function defaultable(plan: Plan): boolean {
    return plan.op === OP.opt || plan.op === OP.null || plan.op === OP.reserved;
}

const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([name, op]) => [op, name]));

function describe(op: number): string {
    return OP_NAMES.get(op) ?? `opcode ${op}`;
}

/**
 * A decoder for an argument (or result) list of these types. Extra arguments on the wire are ignored; missing
 * trailing ones decode as none when their type allows it (specification, "Deserialisation").
 */
export function decoder(schemas: readonly AnySchema[]): (bytes: Uint8Array, stats?: DecodeStats) => unknown[] {
    const compiler = new Compiler();
    const plans = schemas.map((s) => compiler.plan(s));
    return (bytes, stats) => {
        const r = new Reader(bytes);
        const budget = new Budget(r, bytes.length);
        try {
            return decodeMessage(r, budget, plans);
        } finally {
            if (stats !== undefined) {
                stats.steps = budget.steps;
                stats.skipped = budget.skipped;
            }
        }
    };
}

function decodeMessage(r: Reader, budget: Budget, plans: readonly Plan[]): unknown[] {
    const bytes = r.bytes;
    const table = readTable(r, budget);
    const count = r.uleb();
    if (count > bytes.length) r.fail('more arguments than the message has bytes');
    budget.spend(count);
    const refs: number[] = [];
    for (let i = 0; i < count; i++) refs.push(checkedRef(r, table.length));
    const d = new Decoding(r, table, budget);
    const values: unknown[] = [];
    for (let i = 0; i < plans.length; i++) {
        const plan = plans[i] as Plan;
        const ref = refs[i];
        if (ref === undefined) {
            if (!defaultable(plan)) r.fail(`argument ${i} is missing`);
            values.push(plan.op === OP.opt ? [] : null);
        } else values.push(d.read(ref, plan));
    }
    for (let i = plans.length; i < refs.length; i++) d.skip(refs[i] as number);
    if (r.at !== bytes.length) r.fail(`${bytes.length - r.at} byte(s) left after the last value`);
    return values;
}

/**
 * A compact store format for values of one type: the Candid encoding without its type table, which is the
 * same for every value and is written back before decoding. Stable structures use it for records and blocks.
 */
export function valueCodec<T>(schema: AnySchema): { encode(value: T): Uint8Array; decode(bytes: Uint8Array): T } {
    const encode = encoder([schema]);
    const decode = decoder([schema]);
    const header = encode.header;
    return {
        encode: (value) => encode([value]).subarray(header.length),
        decode: (bytes) => {
            const message = new Uint8Array(header.length + bytes.length);
            message.set(header);
            message.set(bytes, header.length);
            return decode(message)[0] as T;
        }
    };
}
