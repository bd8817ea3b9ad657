/**
 * The Candid type that a Zod schema stands for.
 *
 * Every schema built with `c.*` (see `builders.ts`) has a {@link CandidMeta}. A schema returned by `.check()`
 * (a refinement) records the schema it refines in `_zod.parent`, and inherits its meta through it: refinements
 * (lengths, ranges, formats) change which values are valid, never the wire type.
 */
import type * as z from 'zod/mini';

/** The Candid primitive types, by their name in the Candid grammar. */
export const PRIMITIVE_KINDS = [
    'bool',
    'text',
    'null',
    'reserved',
    'empty',
    'principal',
    'nat',
    'nat8',
    'nat16',
    'nat32',
    'nat64',
    'int',
    'int8',
    'int16',
    'int32',
    'int64',
    'float32',
    'float64'
] as const;
export type PrimitiveKind = (typeof PRIMITIVE_KINDS)[number];

/** A schema of the layer: any Zod schema; the layer reads its Candid type from {@link candidRegistry}. */
export type AnySchema = z.ZodMiniType;

/** Candid function annotations, as written after the result list in a `.did` file. */
export type FuncMode = 'query' | 'composite_query' | 'oneway';

export type FuncNode = {
    readonly kind: 'func';
    readonly args: readonly AnySchema[];
    readonly rets: readonly AnySchema[];
    readonly modes: readonly FuncMode[];
};

export type CandidNode =
    | { readonly kind: PrimitiveKind }
    | { readonly kind: 'opt'; readonly inner: AnySchema }
    | { readonly kind: 'vec'; readonly inner: AnySchema }
    | { readonly kind: 'record'; readonly fields: Readonly<Record<string, AnySchema>> }
    | { readonly kind: 'variant'; readonly tags: Readonly<Record<string, AnySchema>> }
    | { readonly kind: 'tuple'; readonly items: readonly AnySchema[] }
    /** A recursive reference: `target` is read lazily, so a type can contain itself. */
    | { readonly kind: 'rec'; readonly target: () => AnySchema }
    | FuncNode
    | { readonly kind: 'service'; readonly methods: Readonly<Record<string, FuncNode>> };

export type CandidMeta = {
    readonly node: CandidNode;
    /** The name under which the type is declared in a `.did` file (`type Account = ...`). */
    readonly name?: string;
};

/** Meta of the schemas this layer created; refinements find theirs through `_zod.parent`. */
const metas = new WeakMap<object, CandidMeta>();

/** Raised when a schema that did not come from the `c.*` builders is used where a Candid type is needed. */
export class CandidSchemaError extends Error {
    override readonly name = 'CandidSchemaError';
}

/** The Candid meta of a schema (its own, or that of the schema it refines), or undefined. */
function findMeta(schema: AnySchema): CandidMeta | undefined {
    for (let s: z.core.$ZodType | undefined = schema; s !== undefined; s = s._zod.parent) {
        const meta = metas.get(s);
        if (meta !== undefined) return meta;
    }
    return undefined;
}

/** The Candid meta of a schema, or a {@link CandidSchemaError} naming what is missing. */
export function candidMetaOf(schema: AnySchema): CandidMeta {
    const meta = findMeta(schema);
    if (meta === undefined) {
        throw new CandidSchemaError(
            `schema of Zod type "${schema._zod.def.type}" has no Candid type: build it with the c.* builders ` +
                `(a .transform or .pipe changes the value's shape and cannot cross a canister boundary)`
        );
    }
    return meta;
}

export function candidNodeOf(schema: AnySchema): CandidNode {
    return candidMetaOf(schema).node;
}

/** Records a schema's Candid meta. Only for schemas this layer has just created, never one a caller holds. */
export function register<S extends AnySchema>(schema: S, meta: CandidMeta): S {
    metas.set(schema, meta);
    return schema;
}

/**
 * Schemas whose checks are only those their Candid type implies (a nat is a bigint >= 0, a principal at most
 * 29 bytes, a record has its fields): every value the suite's decoder (`wire.ts`) produces for the type passes
 * them, so checking a decoded value against them again would only spend instructions. A refinement made with
 * `.check()` is not among them.
 */
const typeOnly = new WeakSet<AnySchema>();

/** Whether a schema checks nothing beyond its Candid type (see {@link typeOnly}). */
export function checksOnlyItsType(schema: AnySchema): boolean {
    return typeOnly.has(schema);
}

/**
 * Attaches a Candid node to a freshly built schema. `refined` says the schema checks more than its type
 * (say, a `vec nat16` whose elements must be below 1000), so decoded values are checked against it.
 */
export function annotate<S extends AnySchema>(schema: S, node: CandidNode, refined = false): S {
    if (!refined) typeOnly.add(schema);
    return register(schema, { node });
}

/** Declares that a schema made from a type-only one (a named alias) checks only its type too. */
export function inheritTypeOnly<S extends AnySchema>(schema: S, from: AnySchema): S {
    if (typeOnly.has(from)) typeOnly.add(schema);
    return schema;
}
