/**
 * fast-check arbitraries for Candid: random type descriptions (every kind, nested, recursive, named), the
 * schema each describes, and random valid values of it.
 */
import { Principal } from '@dfinity/principal';
import fc from 'fast-check';

import { type AnySchema, c } from '../../src/candid';
import { PRIMITIVE_KINDS, type PrimitiveKind } from '../../src/candid/node';

export type Desc = (
    | { kind: PrimitiveKind }
    | { kind: 'opt' | 'vec'; inner: Desc }
    | { kind: 'record' | 'variant'; fields: [string, Desc][] }
    | { kind: 'tuple'; items: Desc[] }
    /** `μself. opt record { head : item; tail : self }` */
    | { kind: 'list'; item: Desc }
    /** `μself. variant { leaf : leaf; node : vec self }` */
    | { kind: 'tree'; leaf: Desc }
    | { kind: 'func' }
    | { kind: 'service' }
) & { named?: boolean };

export const PRIMITIVES: readonly PrimitiveKind[] = PRIMITIVE_KINDS;

/** Field and tag names: identifiers, Candid keywords (which the `.did` must quote) and non-identifiers. */
const label = fc
    .oneof(
        fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/),
        fc.constantFrom('type', 'record', 'nat', 'service', 'query'),
        fc.constantFrom('with space', 'dash-ed', 'ünï')
    )
    .filter((s) => s !== '__proto__' && s !== 'constructor');

const fields = (desc: fc.Arbitrary<Desc>, minLength: number) =>
    fc.uniqueArray(fc.tuple(label, desc), { minLength, maxLength: 4, selector: ([name]) => name });

export const descArb: fc.Arbitrary<Desc> = fc.letrec<{ desc: Desc }>((tie) => ({
    desc: fc
        .oneof(
            { depthSize: 'small', maxDepth: 4 },
            fc.constantFrom(...PRIMITIVES).map((kind): Desc => ({ kind })),
            tie('desc').map((inner): Desc => ({ kind: 'opt', inner })),
            tie('desc').map((inner): Desc => ({ kind: 'vec', inner })),
            fields(tie('desc'), 0).map((f): Desc => ({ kind: 'record', fields: f })),
            fields(tie('desc'), 1).map((f): Desc => ({ kind: 'variant', fields: f })),
            fc.array(tie('desc'), { maxLength: 3 }).map((items): Desc => ({ kind: 'tuple', items })),
            tie('desc').map((item): Desc => ({ kind: 'list', item })),
            tie('desc').map((leaf): Desc => ({ kind: 'tree', leaf })),
            fc.constantFrom<Desc>({ kind: 'func' }, { kind: 'service' })
        )
        .chain((d) => fc.boolean().map((named) => ({ ...d, named })))
})).desc;

let nameCounter = 0;

/** The schema a description stands for. Named descriptions get fresh names (`T0`, `T1`, ...). */
export function schemaOf(d: Desc): AnySchema {
    const schema = unnamedSchemaOf(d);
    return d.named === true ? c.named(`T${nameCounter++}`, schema) : schema;
}

function unnamedSchemaOf(d: Desc): AnySchema {
    switch (d.kind) {
        case 'opt':
            return c.opt(schemaOf(d.inner));
        case 'vec':
            return c.vec(schemaOf(d.inner));
        case 'record':
            return c.record(Object.fromEntries(d.fields.map(([k, f]) => [k, schemaOf(f)])));
        case 'variant':
            return c.variant(Object.fromEntries(d.fields.map(([k, f]) => [k, schemaOf(f)])));
        case 'tuple':
            return c.tuple(...d.items.map(schemaOf));
        case 'list': {
            const item = schemaOf(d.item);
            const list: AnySchema = c.rec(() => c.opt(c.record({ head: item, tail: list })));
            return list;
        }
        case 'tree': {
            const leaf = schemaOf(d.leaf);
            const tree: AnySchema = c.rec(() => c.variant({ leaf, node: c.vec(tree) }));
            return tree;
        }
        case 'func':
            return c.func([c.nat()], [c.text()], ['query']);
        case 'service':
            return c.service({ get: c.func([], [c.nat()], ['query']) });
        default:
            return c[d.kind]();
    }
}

/** Whether the type has values at all (`empty` has none, nor a record that contains it). */
export function inhabited(d: Desc): boolean {
    switch (d.kind) {
        case 'empty':
            return false;
        case 'record':
            return d.fields.every(([, f]) => inhabited(f));
        case 'tuple':
            return d.items.every(inhabited);
        case 'variant':
            return d.fields.some(([, f]) => inhabited(f));
        default:
            // opt and vec have `[]`, a list its end, a tree `{ node: [] }`, whatever their items are
            return true;
    }
}

export const principalArb = fc.uint8Array({ maxLength: 29 }).map((bytes) => Principal.fromUint8Array(bytes));

const TYPED: Partial<Record<PrimitiveKind, (xs: never[]) => ArrayLike<unknown>>> = {
    nat8: (xs) => Uint8Array.from(xs),
    nat16: (xs) => Uint16Array.from(xs),
    nat32: (xs) => Uint32Array.from(xs),
    nat64: (xs) => BigUint64Array.from(xs),
    int8: (xs) => Int8Array.from(xs),
    int16: (xs) => Int16Array.from(xs),
    int32: (xs) => Int32Array.from(xs),
    int64: (xs) => BigInt64Array.from(xs)
};

function primitiveArb(kind: PrimitiveKind): fc.Arbitrary<unknown> {
    switch (kind) {
        case 'bool':
            return fc.boolean();
        case 'text':
            return fc.string({ unit: 'grapheme', maxLength: 12 });
        case 'null':
            return fc.constant(null);
        case 'reserved':
            return fc.anything();
        case 'empty':
            throw new Error('empty has no values');
        case 'principal':
            return principalArb;
        case 'nat':
            return fc.bigInt({ min: 0n, max: 2n ** 130n });
        case 'int':
            return fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n });
        case 'nat8':
            return fc.integer({ min: 0, max: 255 });
        case 'nat16':
            return fc.integer({ min: 0, max: 65535 });
        case 'nat32':
            return fc.nat({ max: 2 ** 32 - 1 });
        case 'nat64':
            return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
        case 'int8':
            return fc.integer({ min: -128, max: 127 });
        case 'int16':
            return fc.integer({ min: -32768, max: 32767 });
        case 'int32':
            return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
        case 'int64':
            return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
        case 'float32':
            return fc.float();
        case 'float64':
            return fc.double();
    }
}

/** Random valid values of an inhabited type. */
export function valueArb(d: Desc): fc.Arbitrary<unknown> {
    switch (d.kind) {
        case 'opt':
            return inhabited(d.inner)
                ? fc.oneof(
                      fc.constant([]),
                      valueArb(d.inner).map((v) => [v])
                  )
                : fc.constant([]);
        case 'vec': {
            if (!inhabited(d.inner)) return fc.constant([]);
            const items = fc.array(valueArb(d.inner), { maxLength: 4 });
            const typed = TYPED[d.inner.kind as PrimitiveKind];
            return typed === undefined ? items : items.map((xs) => typed(xs as never[]));
        }
        case 'record':
            return fc.record(Object.fromEntries(d.fields.map(([k, f]) => [k, valueArb(f)])), { noNullPrototype: true });
        case 'variant':
            return fc.oneof(...d.fields.filter(([, f]) => inhabited(f)).map(([k, f]) => valueArb(f).map((v) => ({ [k]: v }))));
        case 'tuple':
            return fc.tuple(...d.items.map(valueArb));
        case 'list':
            return fc
                .array(inhabited(d.item) ? valueArb(d.item) : fc.constant(null), { maxLength: inhabited(d.item) ? 3 : 0 })
                .map((xs) => xs.reduceRight<unknown>((tail, head) => [{ head, tail }], []));
        case 'tree': {
            // the first option is the base case fast-check falls back to at the depth limit
            const base = inhabited(d.leaf) ? valueArb(d.leaf).map((v) => ({ leaf: v })) : fc.constant({ node: [] });
            return fc.letrec<{ tree: unknown }>((tie) => ({
                tree: fc.oneof(
                    { depthSize: 'small', maxDepth: 3 },
                    base,
                    fc.array(tie('tree'), { maxLength: 3 }).map((children) => ({ node: children }))
                )
            })).tree;
        }
        case 'func':
            return fc.tuple(principalArb, fc.string({ unit: 'grapheme', maxLength: 8 }));
        case 'service':
            return principalArb;
        default:
            return primitiveArb(d.kind);
    }
}

/** A value as it comes back from decoding: `reserved` decodes to `null` whatever was sent. */
export function decodedForm(d: Desc, v: unknown): unknown {
    switch (d.kind) {
        case 'reserved':
            return null;
        case 'opt':
            return (v as unknown[]).map((x) => decodedForm(d.inner, x));
        case 'vec':
            return Array.isArray(v) ? v.map((x) => decodedForm(d.inner, x)) : v;
        case 'record':
            return Object.fromEntries(d.fields.map(([k, f]) => [k, decodedForm(f, (v as Record<string, unknown>)[k])]));
        case 'variant': {
            const [k, x] = Object.entries(v as Record<string, unknown>)[0] as [string, unknown];
            const f = d.fields.find(([name]) => name === k)?.[1] as Desc;
            return { [k]: decodedForm(f, x) };
        }
        case 'tuple':
            return d.items.map((f, i) => decodedForm(f, (v as unknown[])[i]));
        case 'list':
            return (v as unknown[]).length === 0
                ? []
                : [
                      {
                          head: decodedForm(d.item, (v as [{ head: unknown; tail: unknown }])[0].head),
                          tail: decodedForm(d, (v as [{ head: unknown; tail: unknown }])[0].tail)
                      }
                  ];
        case 'tree': {
            const t = v as { leaf?: unknown; node?: unknown[] };
            return 'leaf' in t
                ? { leaf: decodedForm(d.leaf, t.leaf) }
                : { node: (t.node as unknown[]).map((x) => decodedForm(d, x)) };
        }
        default:
            return v;
    }
}

/** One of each composite shape, named, for tests that run a property on every kind of type. */
export const COMPOSITE_SHAPES: [string, Desc][] = [
    ['opt', { kind: 'opt', inner: { kind: 'nat' } }],
    ['opt of empty', { kind: 'opt', inner: { kind: 'empty' } }],
    [
        'record',
        {
            kind: 'record',
            fields: [
                ['a', { kind: 'nat8' }],
                ['type', { kind: 'text' }],
                ['with space', { kind: 'bool' }]
            ]
        }
    ],
    [
        'variant',
        {
            kind: 'variant',
            fields: [
                ['Ok', { kind: 'nat' }],
                ['Err', { kind: 'text' }],
                ['None', { kind: 'null' }]
            ]
        }
    ],
    ['tuple', { kind: 'tuple', items: [{ kind: 'principal' }, { kind: 'int64' }] }],
    ['recursive list', { kind: 'list', item: { kind: 'int' } }],
    ['recursive tree', { kind: 'tree', leaf: { kind: 'text' } }],
    ['func reference', { kind: 'func' }],
    ['service reference', { kind: 'service' }]
];
