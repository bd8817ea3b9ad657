/**
 * `c`: builders for Zod schemas that are also Candid types.
 *
 * Each builder returns an ordinary `zod/mini` schema (refine it with `.check(...)`, infer its type with
 * `z.infer`) whose values have the shape `@dfinity/candid` decodes to, so a value that passes the schema goes
 * through `IDL.encode` and comes back from `IDL.decode` unchanged:
 *
 * | Candid                               | value                                                    |
 * |--------------------------------------|----------------------------------------------------------|
 * | nat, int, nat64, int64               | bigint                                                   |
 * | nat8/16/32, int8/16/32, float32/64   | number                                                   |
 * | blob = vec nat8                      | Uint8Array                                               |
 * | vec nat16/32/64, vec int8/16/32/64   | the typed array of that width (Uint16Array, ...)         |
 * | opt T                                | `[] \| [T]`                                              |
 * | variant                              | an object with exactly one key                           |
 * | func                                 | `[Principal, method name]`                               |
 * | service                              | Principal                                                |
 *
 * Zod's `bigint` cannot tell nat from nat64, so every number names its Candid width: `c.nat64()`, not
 * `z.bigint()`.
 */
import type { Principal } from '@dfinity/principal';
import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';

import {
    type AnySchema,
    annotate,
    inheritTypeOnly,
    candidMetaOf,
    candidNodeOf,
    type FuncMode,
    type FuncNode,
    type PrimitiveKind,
    register
} from './node';

// Zod/mini loads no locale, so its messages would all read "Invalid input". Only the English one is imported:
// `z.locales.en()` would bundle every locale (366 KB of JavaScript that each install and upgrade would parse).
z.config(en());

/**
 * A type-level mark of a schema's Candid width, so that `c.vec(c.nat16())` is typed `Uint16Array`. It exists
 * only for the type checker: no property of that name is ever set.
 */
declare const candidKind: unique symbol;
export type Kinded<S, K extends PrimitiveKind> = S & { readonly [candidKind]: K };

const CANDID_TEXT_LIMIT_NOTE = 'Candid text is UTF-8';
/** Lone UTF-16 surrogates cannot be written as UTF-8: `IDL.encode` would silently replace them with U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Integer ranges of the fixed-width Candid numbers, from the Candid specification. */
const SMALL_INT_RANGES = {
    nat8: [0, 2 ** 8 - 1],
    nat16: [0, 2 ** 16 - 1],
    nat32: [0, 2 ** 32 - 1],
    int8: [-(2 ** 7), 2 ** 7 - 1],
    int16: [-(2 ** 15), 2 ** 15 - 1],
    int32: [-(2 ** 31), 2 ** 31 - 1]
} as const;
type SmallIntKind = keyof typeof SMALL_INT_RANGES;

const BIG_INT_RANGES = {
    nat64: [0n, 2n ** 64n - 1n],
    int64: [-(2n ** 63n), 2n ** 63n - 1n]
} as const;

/** The JS typed array `@dfinity/candid` decodes a `vec` of each fixed-width integer to. */
/** The vectors whose values are typed arrays, as `@dfinity/candid` 3 decodes them. */
export const TYPED_ARRAYS = {
    nat8: Uint8Array,
    nat16: Uint16Array,
    nat32: Uint32Array,
    nat64: BigUint64Array,
    int8: Int8Array,
    int16: Int16Array,
    int32: Int32Array,
    int64: BigInt64Array
} as const;
export type TypedArrayKind = keyof typeof TYPED_ARRAYS;
/** The value types of those vectors (over any buffer: a decoded blob may be a view of a larger one). */
type TypedArrayOf = {
    nat8: Uint8Array;
    nat16: Uint16Array;
    nat32: Uint32Array;
    nat64: BigUint64Array;
    int8: Int8Array;
    int16: Int16Array;
    int32: Int32Array;
    int64: BigInt64Array;
};

/** The unrefined primitive schemas the builders return: an element refinement is checked only when present. */
const unrefined = new WeakSet<AnySchema>();

function primitive<S extends AnySchema, K extends PrimitiveKind>(schema: S, kind: K): Kinded<S, K> {
    unrefined.add(schema);
    return annotate(schema, { kind }) as Kinded<S, K>;
}

function smallInt<K extends SmallIntKind>(kind: K) {
    const [min, max] = SMALL_INT_RANGES[kind];
    const error = `expected ${kind}: an integer from ${min} to ${max}`;
    return primitive(z.int({ error }).check(z.gte(min, { error }), z.lte(max, { error })), kind);
}

function bigInt<K extends keyof typeof BIG_INT_RANGES>(kind: K) {
    const [min, max] = BIG_INT_RANGES[kind];
    const error = `expected ${kind}: a bigint from ${min} to ${max}`;
    return primitive(z.bigint({ error }).check(z.gte(min, { error }), z.lte(max, { error })), kind);
}

function float<K extends 'float32' | 'float64'>(kind: K) {
    // Candid floats are IEEE 754 values: NaN and the infinities travel too, which `z.number()` refuses.
    const schema =
        kind === 'float32'
            ? z.custom<number>((v) => typeof v === 'number' && (Number.isNaN(v) || Math.fround(v) === v), {
                  error: 'expected float32: a number that a 32-bit float represents exactly'
              })
            : z.custom<number>((v) => typeof v === 'number', { error: 'expected float64: a number' });
    return primitive(schema, kind);
}

/** True for a Principal of `@dfinity/principal` or `@icp-sdk/core` (both set `_isPrincipal`). */
export function isPrincipal(value: unknown): value is Principal {
    return (
        typeof value === 'object' &&
        value !== null &&
        (value as { _isPrincipal?: unknown })._isPrincipal === true &&
        typeof (value as { toUint8Array?: unknown }).toUint8Array === 'function'
    );
}

/** The IC limits a principal to 29 bytes (interface specification, "Principals"). */
export const MAX_PRINCIPAL_BYTES = 29;

const principalSchema = () =>
    z.custom<Principal>((v) => isPrincipal(v) && v.toUint8Array().length <= MAX_PRINCIPAL_BYTES, {
        error: `expected a principal of at most ${MAX_PRINCIPAL_BYTES} bytes`
    });

type Out<S extends AnySchema> = z.output<S>;
type In<S extends AnySchema> = z.input<S>;
type Schema<O, I = O> = z.ZodMiniType<O, I>;

type VecValue<S extends AnySchema> =
    S extends Kinded<AnySchema, infer K> ? (K extends TypedArrayKind ? TypedArrayOf[K] : Out<S>[]) : Out<S>[];

type VariantOut<T extends Record<string, AnySchema>> = { [K in keyof T]: { [P in K]: Out<T[K]> } }[keyof T];
type VariantIn<T extends Record<string, AnySchema>> = { [K in keyof T]: { [P in K]: In<T[K]> } }[keyof T];
type TupleOut<T extends readonly AnySchema[]> = { -readonly [K in keyof T]: Out<T[K]> };
type TupleIn<T extends readonly AnySchema[]> = { -readonly [K in keyof T]: In<T[K]> };

/** A Candid `func` reference: the canister that serves it and the method's name. */
export type FuncRef = [Principal, string];

function vec<S extends AnySchema>(inner: S): Schema<VecValue<S>> {
    const innerKind = candidNodeOf(inner).kind;
    let schema: AnySchema;
    let refined = false;
    if (innerKind in TYPED_ARRAYS) {
        const ArrayType = TYPED_ARRAYS[innerKind as TypedArrayKind];
        schema = z.instanceof(ArrayType, { error: `expected vec ${innerKind}: a ${ArrayType.name}` });
        if (!unrefined.has(inner)) {
            refined = true;
            // A refined element type (say, nat16 below 1000) must hold for every element of the typed array.
            schema = schema.check(
                z.refine((arr) => Array.prototype.every.call(arr, (x: unknown) => inner.safeParse(x).success), {
                    error: `an element of this vec ${innerKind} is out of its allowed range`
                })
            );
        }
    } else {
        schema = z.array(inner);
    }
    return annotate(schema, { kind: 'vec', inner }, refined) as Schema<VecValue<S>>;
}

function opt<S extends AnySchema>(inner: S): Schema<[] | [Out<S>], [] | [In<S>]> {
    const schema = z.union([z.tuple([]), z.tuple([inner])], {
        error: 'expected an opt: [] for none or [value] for some'
    });
    return annotate(schema, { kind: 'opt', inner }) as unknown as Schema<[] | [Out<S>], [] | [In<S>]>;
}

function record<const T extends Record<string, AnySchema>>(fields: T) {
    return annotate(z.object(fields), { kind: 'record', fields });
}

function variant<const T extends Record<string, AnySchema>>(tags: T): Schema<VariantOut<T>, VariantIn<T>> {
    const names = Object.keys(tags);
    if (names.length === 0) {
        throw new TypeError('a variant needs at least one tag (use c.empty() for the type with no values)');
    }
    const isVariantShape = (v: unknown): v is Record<string, unknown> => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
        const keys = Object.keys(v);
        return keys.length === 1 && Object.hasOwn(tags, keys[0] as string);
    };
    // First the shape (one known tag), then the payload against that tag's schema, so each failure says which.
    const schema = z
        .custom<VariantOut<T>>(isVariantShape, {
            error: `expected a variant: an object with exactly one of the keys ${names.join(', ')}`
        })
        .check(
            z.superRefine((value, ctx) => {
                const tag = Object.keys(value)[0] as string;
                const payload = (tags[tag] as AnySchema).safeParse((value as Record<string, unknown>)[tag]);
                for (const issue of payload.error?.issues ?? []) {
                    ctx.addIssue({ code: 'custom', message: issue.message, path: [tag, ...issue.path], input: value });
                }
            })
        );
    return annotate(schema, { kind: 'variant', tags }) as unknown as Schema<VariantOut<T>, VariantIn<T>>;
}

function tuple<const T extends readonly AnySchema[]>(...items: T): Schema<TupleOut<T>, TupleIn<T>> {
    const schema = z.tuple(items as unknown as [AnySchema, ...AnySchema[]]);
    return annotate(schema, { kind: 'tuple', items }) as unknown as Schema<TupleOut<T>, TupleIn<T>>;
}

/**
 * A recursive type. TypeScript cannot infer a type that contains itself, so state it:
 * `const Tree: z.ZodMiniType<Tree> = c.rec(() => c.variant({ leaf: c.nat(), node: c.vec(Tree) }))`.
 */
function rec<T>(target: () => z.ZodMiniType<T>): z.ZodMiniType<T> {
    return annotate(
        z.lazy(() => target()),
        { kind: 'rec', target }
    );
}

function func(args: readonly AnySchema[], rets: readonly AnySchema[], modes: readonly FuncMode[] = []): Schema<FuncRef> {
    const schema = z.tuple([principalSchema(), z.string()], {
        error: 'expected a func reference: [principal, method name]'
    });
    return annotate(schema, { kind: 'func', args, rets, modes });
}

function service(methods: Record<string, AnySchema>): Schema<Principal> {
    const funcs: Record<string, FuncNode> = {};
    for (const [name, method] of Object.entries(methods)) {
        const node = candidNodeOf(method);
        if (node.kind !== 'func') {
            throw new TypeError(`service method "${name}" must be a c.func(...), not ${node.kind}`);
        }
        funcs[name] = node;
    }
    return annotate(principalSchema(), { kind: 'service', methods: funcs });
}

/**
 * Declares a schema under a name, so that the `.did` file says `type Account = record {...}` and uses
 * `Account` wherever the type appears. Returns a new schema: the argument is left as it was.
 */
function named<S extends AnySchema>(name: string, schema: S): S {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new TypeError(`"${name}" is not a Candid identifier`);
    }
    return inheritTypeOnly(register(schema.check() as S, { node: candidMetaOf(schema).node, name }), schema);
}

export const c = {
    bool: () => primitive(z.boolean({ error: 'expected bool: true or false' }), 'bool'),
    text: () =>
        primitive(
            z.string({ error: 'expected text: a string' }).check(
                z.refine((s) => !LONE_SURROGATE.test(s), {
                    error: `text has a lone UTF-16 surrogate (${CANDID_TEXT_LIMIT_NOTE})`
                })
            ),
            'text'
        ),
    null: () => primitive(z.null({ error: 'expected null' }), 'null'),
    /** Any value is accepted; it is sent as nothing and always decodes to `null`. */
    reserved: () => primitive(z.unknown(), 'reserved'),
    /** The type with no values: a method that returns `empty` never returns. */
    empty: () => primitive(z.never({ error: 'the Candid type empty has no values' }), 'empty'),
    principal: () => primitive(principalSchema(), 'principal'),
    nat: () =>
        primitive(
            z.bigint({ error: 'expected nat: a bigint >= 0' }).check(z.gte(0n, { error: 'expected nat: a bigint >= 0' })),
            'nat'
        ),
    int: () => primitive(z.bigint({ error: 'expected int: a bigint' }), 'int'),
    nat8: () => smallInt('nat8'),
    nat16: () => smallInt('nat16'),
    nat32: () => smallInt('nat32'),
    nat64: () => bigInt('nat64'),
    int8: () => smallInt('int8'),
    int16: () => smallInt('int16'),
    int32: () => smallInt('int32'),
    int64: () => bigInt('int64'),
    float32: () => float('float32'),
    float64: () => float('float64'),
    /** `blob`, the same Candid type as `vec nat8`. */
    blob: () => vec(c.nat8()),
    opt,
    vec,
    record,
    variant,
    tuple,
    rec,
    func,
    service,
    named
} as const;
