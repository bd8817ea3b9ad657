/**
 * Decoding costs at most a constant times the message's size (issue 21, finding 2). Hostile Candid is built
 * byte by byte: nested vectors of zero-sized values (`null`, `reserved`, empty records, records of those) with
 * lengths no byte pays for, wide records and variants, opts, sent as extra arguments, as extra record fields and
 * where an `opt` expects something else, so that the decoder skips them. Whatever the bytes, the decoder either
 * returns or raises a CandidDecodeError, within its budget of steps, and in time proportional to the size.
 */
import fc from 'fast-check';

import { leb128, sleb128 } from '../ic/leb128';
import { c } from './index';
import {
    CandidDecodeError,
    DECODE_STEPS_FLOOR,
    DECODE_STEPS_PER_BYTE,
    type DecodeStats,
    decoder,
    SKIP_STEPS_LIMIT
} from './wire';

/** A hostile wire type, as a tree; each composite becomes one entry of the message's type table. */
type Hostile =
    | { kind: 'null' }
    | { kind: 'reserved' }
    | { kind: 'nat8' }
    | { kind: 'record'; width: number; inner: Hostile }
    | { kind: 'variant'; width: number; inner: Hostile }
    | { kind: 'vec'; inner: Hostile; length: number }
    | { kind: 'opt'; inner: Hostile };

const OPS = { null: -1, reserved: -16, nat8: -5, opt: -18, vec: -19, record: -20, variant: -21 } as const;

const hostileArb: fc.Arbitrary<Hostile> = fc.letrec<{ t: Hostile }>((tie) => ({
    t: fc.oneof(
        { maxDepth: 5, depthIdentifier: 'hostile' },
        fc.constantFrom<Hostile>({ kind: 'null' }, { kind: 'reserved' }, { kind: 'nat8' }),
        fc.record({ kind: fc.constant('record' as const), width: fc.integer({ min: 0, max: 400 }), inner: tie('t') }),
        fc.record({ kind: fc.constant('variant' as const), width: fc.integer({ min: 1, max: 400 }), inner: tie('t') }),
        fc.record({
            kind: fc.constant('vec' as const),
            inner: tie('t'),
            length: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1_000, max: 5_000_000 }))
        }),
        fc.record({ kind: fc.constant('opt' as const), inner: tie('t') })
    )
})).t;

function zeroSized(t: Hostile): boolean {
    if (t.kind === 'null' || t.kind === 'reserved') return true;
    if (t.kind === 'record') return t.width === 0 || zeroSized(t.inner);
    return false;
}

/** The bytes a value of `t` takes, as `valueBytes` writes it (so that oversized ones are never built). */
function sizeOf(t: Hostile): number {
    switch (t.kind) {
        case 'null':
        case 'reserved':
            return 0;
        case 'nat8':
            return 1;
        case 'record':
            return t.width * sizeOf(t.inner);
        case 'variant':
        case 'opt':
            return 2 + sizeOf(t.inner);
        case 'vec':
            return zeroSized(t.inner) ? 4 : 1 + Math.min(t.length, 3) * sizeOf(t.inner);
    }
}

/** The type table entries (each a list of bytes) and the reference of `t`. */
function typeRef(t: Hostile, table: number[][]): number {
    if (t.kind === 'null' || t.kind === 'reserved' || t.kind === 'nat8') return OPS[t.kind];
    const inner = typeRef(t.inner, table);
    const entry: number[] = [...sleb128(BigInt(OPS[t.kind]))];
    if (t.kind === 'vec' || t.kind === 'opt') entry.push(...sleb128(BigInt(inner)));
    else {
        entry.push(...leb128(BigInt(t.width)));
        for (let id = 0; id < t.width; id++) entry.push(...leb128(BigInt(id)), ...sleb128(BigInt(inner)));
    }
    table.push(entry);
    return table.length - 1;
}

/** A value of `t`: a vector of zero-sized values claims its length and writes nothing per element. */
function valueBytes(t: Hostile, out: number[]): void {
    switch (t.kind) {
        case 'null':
        case 'reserved':
            return;
        case 'nat8':
            out.push(7);
            return;
        case 'record':
            for (let i = 0; i < t.width; i++) valueBytes(t.inner, out);
            return;
        case 'variant':
            out.push(...leb128(BigInt(t.width - 1)));
            return valueBytes(t.inner, out);
        case 'opt':
            out.push(1);
            return valueBytes(t.inner, out);
        case 'vec': {
            if (zeroSized(t.inner)) {
                out.push(...leb128(BigInt(t.length))); // and no byte per element
                return;
            }
            const length = Math.min(t.length, 3);
            out.push(...leb128(BigInt(length)));
            for (let i = 0; i < length; i++) valueBytes(t.inner, out);
        }
    }
}

/** A message whose argument list is `args` (type references into `table`), values after. */
function message(table: number[][], args: number[], values: number[]): Uint8Array {
    const bytes = [0x44, 0x49, 0x44, 0x4c, ...leb128(BigInt(table.length)), ...table.flat()];
    bytes.push(...leb128(BigInt(args.length)));
    for (const a of args) bytes.push(...sleb128(BigInt(a)));
    return Uint8Array.from([...bytes, ...values]);
}

/** Messages too large to build are left out: the property is about small messages that ask for a lot of work. */
const MAX_MESSAGE = 200_000;

type Placement = 'extra argument' | 'extra field' | 'opt mismatch' | 'expected vec';

function hostileMessage(t: Hostile, placement: Placement): Uint8Array | undefined {
    if (sizeOf(t) > MAX_MESSAGE) return undefined;
    const table: number[][] = [];
    const ref = typeRef(t, table);
    const values: number[] = [];
    if (placement === 'extra field' || placement === 'opt mismatch') {
        // record { 0: nat8; 1: <hostile> } where the decoder expects record { 0: nat8 } or { 0: nat8; 1: opt text }
        table.push([...sleb128(BigInt(OPS.record)), 2, 0, ...sleb128(BigInt(OPS.nat8)), 1, ...sleb128(BigInt(ref))]);
        values.push(1);
    }
    valueBytes(t, values);
    if (values.length > MAX_MESSAGE) return undefined;
    const arg = placement === 'extra field' || placement === 'opt mismatch' ? table.length - 1 : ref;
    return message(
        table,
        placement === 'extra argument' ? [OPS.nat8, arg] : [arg],
        placement === 'extra argument' ? [9, ...values] : values
    );
}

const decoders: Record<Placement, (bytes: Uint8Array, stats: DecodeStats) => unknown[]> = {
    'extra argument': decoder([c.nat8()]),
    'extra field': decoder([c.tuple(c.nat8())]),
    'opt mismatch': decoder([c.tuple(c.nat8(), c.opt(c.text()))]),
    'expected vec': decoder([c.vec(c.opt(c.null()))])
};

function budgetOf(bytes: Uint8Array): number {
    return Math.max(DECODE_STEPS_FLOOR, DECODE_STEPS_PER_BYTE * bytes.length);
}

it('decodes hostile Candid in steps and time bounded by its size, or refuses it as Candid', () => {
    fc.assert(
        fc.property(
            hostileArb,
            fc.constantFrom<Placement>('extra argument', 'extra field', 'opt mismatch', 'expected vec'),
            (t, placement) => {
                const bytes = hostileMessage(t, placement);
                if (bytes === undefined) return;
                const stats: DecodeStats = { steps: 0, skipped: 0 };
                const started = performance.now();
                try {
                    decoders[placement](bytes, stats);
                } catch (e) {
                    expect(e).toBeInstanceOf(CandidDecodeError);
                }
                const elapsed = performance.now() - started;
                expect(stats.steps).toBeLessThanOrEqual(budgetOf(bytes));
                expect(stats.skipped).toBeLessThanOrEqual(SKIP_STEPS_LIMIT);
                // An independent check that every loop is charged: a step is well under a microsecond here; the
                // old codec spent seconds on some of these (3M steps from 2 bytes).
                expect(elapsed).toBeLessThan(50 + budgetOf(bytes) / 1_000);
            }
        ),
        { numRuns: 400 }
    );
});

it('refuses the review’s `vec vec record { 300 × null }` at once, with a clear message', () => {
    const t: Hostile = {
        kind: 'vec',
        length: 1_000,
        inner: { kind: 'vec', length: 10_000, inner: { kind: 'record', width: 300, inner: { kind: 'null' } } }
    };
    const bytes = hostileMessage(t, 'extra argument') as Uint8Array;
    const stats: DecodeStats = { steps: 0, skipped: 0 };
    expect(() => decoders['extra argument'](bytes, stats)).toThrow(/skipping unneeded values takes more than 10000 steps/);
    expect(stats.skipped).toBeLessThanOrEqual(SKIP_STEPS_LIMIT);
    // Where a vector is expected, the inner vectors do not fit its `opt null` elements and are skipped.
    const asArgument = hostileMessage(t, 'expected vec') as Uint8Array;
    expect(() => decoders['expected vec'](asArgument, stats)).toThrow(/takes more than 10000 steps/);
    // And read where they fit, the zero-sized elements exhaust the whole message's budget.
    const vecVecNull = decoder([c.vec(c.vec(c.tuple(...Array.from({ length: 300 }, () => c.null()))))]);
    expect(() => vecVecNull(asArgument, stats)).toThrow(/decoding takes more than the 10000 steps a \d+-byte message/);
    expect(stats.steps).toBeLessThanOrEqual(budgetOf(asArgument));
});

it('still decodes a valid message that needs many steps for its size: a vector of missing optional fields', () => {
    // vec record {} where record { a: opt nat; b: opt text; c: opt bool } is expected: three steps per element.
    const table = [
        [...sleb128(BigInt(OPS.record)), 0],
        [...sleb128(BigInt(OPS.vec)), 0]
    ];
    const bytes = message(table, [1], [...leb128(1_000n)]);
    const decode = decoder([c.vec(c.record({ a: c.opt(c.nat()), b: c.opt(c.text()), c: c.opt(c.bool()) }))]);
    const [decoded] = decode(bytes, { steps: 0, skipped: 0 }) as [unknown[]];
    expect(decoded).toHaveLength(1_000);
    expect(decoded[0]).toEqual({ a: [], b: [], c: [] });
});
