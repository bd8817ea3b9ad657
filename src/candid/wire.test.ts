/**
 * The suite's Candid codec against `@dfinity/candid`, the reference: the same bytes out, the same values in,
 * for every type alone and random nested types; then the coercions of the specification, and hostile bytes.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import fc from 'fast-check';
import type * as z from 'zod/mini';

import {
    COMPOSITE_SHAPES,
    decodedForm,
    type Desc,
    descArb,
    inhabited,
    PRIMITIVES,
    schemaOf,
    valueArb
} from '../../test/support/arbitraries';
import { c } from './builders';
import { toIdl } from './idl';
import { CandidDecodeError, decoder, encoder, MAX_DEPTH, preEncoded, valueCodec } from './wire';

/**
 * The reference decodes what we encode, and we decode what it encodes, to the same values. (The bytes may
 * differ: a type table may list its entries in any order, and the reference shares equal types by name.)
 */
function agreesWithReference(d: Desc, value: unknown): void {
    const schema = schemaOf(d);
    const type = toIdl(schema, IDL);
    const expected = decodedForm(d, value);
    expect(IDL.decode([type], encoder([schema])([value]))).toEqual([expected]);
    expect(decoder([schema])(new Uint8Array(IDL.encode([type], [value])))).toEqual([expected]);
}

const property = (d: Desc) => fc.property(valueArb(d), (v) => agreesWithReference(d, v));
const typeAndValue = descArb.filter(inhabited).chain((d) => fc.tuple(fc.constant(d), valueArb(d)));

describe('agrees with @dfinity/candid in both directions', () => {
    it.each(PRIMITIVES.filter((k) => k !== 'empty'))('%s', (kind) => {
        fc.assert(property({ kind }), { numRuns: 200 });
    });

    it.each(PRIMITIVES.filter((k) => k !== 'empty' && k !== 'reserved'))('vec %s', (kind) => {
        fc.assert(property({ kind: 'vec', inner: { kind } }), { numRuns: 100 });
    });

    it.each(COMPOSITE_SHAPES)('%s', (_, d) => {
        fc.assert(property(d), { numRuns: 100 });
    });

    it('random nested types', () => {
        fc.assert(
            fc.property(typeAndValue, ([d, v]) => agreesWithReference(d, v)),
            { numRuns: 500 }
        );
    });

    it('several arguments, and none', () => {
        const schemas = [c.nat(), c.text(), c.opt(c.principal())];
        const values = [2n ** 70n, 'héllo', [Principal.fromText('aaaaa-aa')]];
        const reference = new Uint8Array(IDL.encode([IDL.Nat, IDL.Text, IDL.Opt(IDL.Principal)], values));
        expect(encoder(schemas)(values)).toEqual(reference);
        expect(decoder(schemas)(reference)).toEqual(values);
        expect(encoder([])([])).toEqual(new Uint8Array(IDL.encode([], [])));
    });
});

describe('splices stored values into a reply', () => {
    it('a record or variant given as its stored encoding encodes as the value itself would', () => {
        const composite = fc
            .constantFrom(...COMPOSITE_SHAPES.map(([, d]) => d))
            .filter((d) => d.kind === 'record' || d.kind === 'variant');
        fc.assert(
            fc.property(
                composite.chain((d) => fc.tuple(fc.constant(d), valueArb(d))),
                ([d, value]) => {
                    const schema = schemaOf(d);
                    const wrapper = c.record({ id: c.nat(), item: schema });
                    const stored = valueCodec<object>(schema).encode(value as object);
                    const spliced = encoder([wrapper])([{ id: 7n, item: preEncoded(stored) }]);
                    expect(spliced).toEqual(encoder([wrapper])([{ id: 7n, item: value }]));
                }
            ),
            { numRuns: 200 }
        );
    });
});

describe('decodes by the coercion rules of the specification', () => {
    const decodeAs = (schema: Parameters<typeof decoder>[0][number], types: IDL.Type[], values: unknown[]) =>
        decoder([schema])(new Uint8Array(IDL.encode(types, values)))[0];

    it('a record with extra fields, in any order of declaration, keeps the expected ones', () => {
        const wire = IDL.Record({ z: IDL.Text, a: IDL.Nat, extra: IDL.Vec(IDL.Nat16) });
        expect(decodeAs(c.record({ a: c.nat(), z: c.text() }), [wire], [{ z: 'x', a: 5n, extra: [1, 2] }])).toEqual({
            a: 5n,
            z: 'x'
        });
    });

    it('a missing opt field is none; a missing required field is an error', () => {
        const wire = IDL.Record({ a: IDL.Nat });
        expect(decodeAs(c.record({ a: c.nat(), memo: c.opt(c.blob()) }), [wire], [{ a: 1n }])).toEqual({ a: 1n, memo: [] });
        expect(() => decodeAs(c.record({ a: c.nat(), b: c.nat() }), [wire], [{ a: 1n }])).toThrow(/field "b" is missing/);
    });

    it('nat decodes where int is expected, not the other way round', () => {
        expect(decodeAs(c.int(), [IDL.Nat], [7n])).toBe(7n);
        expect(() => decodeAs(c.nat(), [IDL.Int], [7n])).toThrow(CandidDecodeError);
    });

    it('an opt whose value does not fit decodes as none; a bare value that fits becomes some', () => {
        expect(decodeAs(c.opt(c.nat()), [IDL.Opt(IDL.Text)], [['x']])).toEqual([]);
        expect(decodeAs(c.opt(c.nat()), [IDL.Nat], [3n])).toEqual([3n]);
        expect(decodeAs(c.opt(c.nat()), [IDL.Text], ['x'])).toEqual([]);
        expect(decodeAs(c.opt(c.nat()), [IDL.Null], [null])).toEqual([]);
    });

    it('a variant tag the interface does not know is an error', () => {
        const wire = IDL.Variant({ Ok: IDL.Nat, Other: IDL.Null });
        expect(() => decodeAs(c.variant({ Ok: c.nat() }), [wire], [{ Other: null }])).toThrow(/variant tag/);
        expect(decodeAs(c.variant({ Ok: c.nat() }), [wire], [{ Ok: 1n }])).toEqual({ Ok: 1n });
    });

    it('extra arguments are ignored; a missing opt argument is none', () => {
        const bytes = new Uint8Array(IDL.encode([IDL.Nat, IDL.Text], [1n, 'x']));
        expect(decoder([c.nat()])(bytes)).toEqual([1n]);
        expect(decoder([c.nat(), c.text(), c.opt(c.nat())])(bytes)).toEqual([1n, 'x', []]);
        expect(() => decoder([c.nat(), c.text(), c.nat()])(bytes)).toThrow(/argument 2 is missing/);
    });

    it('decodes what the Rust Candid library writes: type table entries in its own order', () => {
        // Hand-written, as ic-agent orders it: the Account record first, then TransferArg referring back to it.
        const Account = IDL.Record({ owner: IDL.Principal, subaccount: IDL.Opt(IDL.Vec(IDL.Nat8)) });
        const schema = c.record({ to: c.record({ owner: c.principal(), subaccount: c.opt(c.blob()) }), amount: c.nat() });
        const value = { to: { owner: Principal.fromText('aaaaa-aa'), subaccount: [new Uint8Array(32).fill(1)] }, amount: 10n };
        const bytes = new Uint8Array(IDL.encode([IDL.Record({ to: Account, amount: IDL.Nat })], [value]));
        expect(decoder([schema])(bytes)).toEqual([value]);
    });
});

describe('refuses hostile bytes before they cost work', () => {
    const nat = decoder([c.nat()]);

    it('refuses bytes that are not a Candid message, and trailing bytes', () => {
        expect(() => nat(new Uint8Array([1, 2, 3]))).toThrow(/DIDL/);
        const ok = new Uint8Array(IDL.encode([IDL.Nat], [1n]));
        expect(() => nat(Uint8Array.from([...ok, 0]))).toThrow(/left after the last value/);
        expect(() => nat(ok.subarray(0, ok.length - 1))).toThrow(/ends early/);
    });

    it('refuses a vector longer than the message, and a huge vec null', () => {
        const vec = decoder([c.vec(c.nat8())]);
        // DIDL, 1 type: vec nat8; 1 arg of type 0; length 1,000,000 with no bytes behind it.
        expect(() => vec(Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 1, 0x6d, 0x7b, 1, 0, 0xc0, 0x84, 0x3d]))).toThrow(
            CandidDecodeError
        );
        const vecNull = decoder([c.vec(c.null())]);
        const huge = Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 1, 0x6d, 0x7f, 1, 0, 0xc0, 0x84, 0x3d]);
        expect(() => vecNull(huge)).toThrow(/decoding takes more than the 10000 steps a 12-byte message may take/);
        expect(vecNull(new Uint8Array(IDL.encode([IDL.Vec(IDL.Null)], [new Array(4_000).fill(null)])))[0]).toHaveLength(4_000);
    });

    it('refuses nesting deeper than its limit', () => {
        type List = [] | [List];
        let deep: List = [];
        for (let i = 0; i < MAX_DEPTH + 5; i++) deep = [deep];
        const ListType = IDL.Rec();
        ListType.fill(IDL.Opt(ListType));
        const bytes = new Uint8Array(IDL.encode([ListType], [deep]));
        const List: z.ZodMiniType<List> = c.rec(() => c.opt(List) as z.ZodMiniType<List>);
        expect(() => decoder([List])(bytes)).toThrow(/nest deeper/);
    });

    it('refuses bad type references, unknown opcodes and malformed values', () => {
        expect(() => nat(Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 0, 1, 5]))).toThrow(/bad type reference/);
        expect(() => nat(Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 1, 0x10, 1, 0]))).toThrow(/unknown type opcode/);
        expect(() => decoder([c.bool()])(Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 0, 1, 0x7e, 2]))).toThrow(/bool/);
        expect(() => decoder([c.text()])(Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 0, 1, 0x71, 1, 0xff]))).toThrow(/UTF-8/);
    });

    it('random bytes never escape as anything but a CandidDecodeError', () => {
        const transferLike = decoder([c.record({ to: c.principal(), amount: c.nat(), memo: c.opt(c.blob()) })]);
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 80 }), (tail) => {
                const bytes = Uint8Array.from([0x44, 0x49, 0x44, 0x4c, ...tail]);
                try {
                    transferLike(bytes);
                } catch (e) {
                    expect(e).toBeInstanceOf(CandidDecodeError);
                }
            }),
            { numRuns: 2000 }
        );
    });
});
