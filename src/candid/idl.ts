/**
 * Schema → IDL type. The IDL namespace is a parameter, never an import: the canister passes Azle's
 * (`@dfinity/candid` 3), a client passes `@dfinity/agent`'s, and pic-js passes `@icp-sdk/core`'s through an
 * `idlFactory`. Types built by one copy of the library fail `instanceof` checks in another, so each side builds
 * its own.
 */
import type { IDL as CandidIDL } from '@dfinity/candid';

import { type AnySchema, type CandidNode, candidNodeOf, type FuncNode, type PrimitiveKind } from './node';

/** The `IDL` namespace of `@dfinity/candid` or of a library with the same shape. */
export type IdlNamespace = typeof CandidIDL;
export type IdlType = CandidIDL.Type;

function primitiveIdl(IDL: IdlNamespace, kind: PrimitiveKind): IdlType {
    switch (kind) {
        case 'bool':
            return IDL.Bool;
        case 'text':
            return IDL.Text;
        case 'null':
            return IDL.Null;
        case 'reserved':
            return IDL.Reserved;
        case 'empty':
            return IDL.Empty;
        case 'principal':
            return IDL.Principal;
        case 'nat':
            return IDL.Nat;
        case 'nat8':
            return IDL.Nat8;
        case 'nat16':
            return IDL.Nat16;
        case 'nat32':
            return IDL.Nat32;
        case 'nat64':
            return IDL.Nat64;
        case 'int':
            return IDL.Int;
        case 'int8':
            return IDL.Int8;
        case 'int16':
            return IDL.Int16;
        case 'int32':
            return IDL.Int32;
        case 'int64':
            return IDL.Int64;
        case 'float32':
            return IDL.Float32;
        case 'float64':
            return IDL.Float64;
    }
}

/**
 * Converts schemas to IDL types with one IDL namespace. Keep one converter for all the types of a service:
 * it remembers each recursive type it has built, so a type that refers to itself becomes one `IDL.Rec`.
 */
export class IdlConverter {
    private readonly recs = new Map<CandidNode, CandidIDL.RecClass>();

    constructor(private readonly IDL: IdlNamespace) {}

    type(schema: AnySchema): IdlType {
        return this.node(candidNodeOf(schema));
    }

    types(schemas: readonly AnySchema[]): IdlType[] {
        return schemas.map((s) => this.type(s));
    }

    func(node: FuncNode): CandidIDL.FuncClass {
        // IDL.Func's parameter types are tuples for inference in hand-written IDL; a list is what it takes at run time.
        type FuncArgs = Parameters<IdlNamespace['Func']>[0];
        return this.IDL.Func(this.types(node.args) as FuncArgs, this.types(node.rets) as FuncArgs, [...node.modes]);
    }

    private node(node: CandidNode): IdlType {
        const { IDL } = this;
        switch (node.kind) {
            case 'opt':
                return IDL.Opt(this.type(node.inner));
            case 'vec':
                return IDL.Vec(this.type(node.inner));
            case 'record':
                return IDL.Record(mapValues(node.fields, (s) => this.type(s)));
            case 'variant':
                return IDL.Variant(mapValues(node.tags, (s) => this.type(s)));
            case 'tuple':
                return IDL.Tuple(...this.types(node.items));
            case 'rec': {
                const known = this.recs.get(node);
                if (known !== undefined) return known;
                const rec = IDL.Rec();
                this.recs.set(node, rec);
                rec.fill(this.type(node.target()));
                return rec;
            }
            case 'func':
                return this.func(node);
            case 'service':
                return IDL.Service(mapValues(node.methods, (m) => this.func(m)));
            default:
                return primitiveIdl(IDL, node.kind);
        }
    }
}

/** The IDL type of one schema. */
export function toIdl(schema: AnySchema, IDL: IdlNamespace): IdlType {
    return new IdlConverter(IDL).type(schema);
}

function mapValues<A, B>(obj: Readonly<Record<string, A>>, f: (a: A) => B): Record<string, B> {
    const out: Record<string, B> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = f(v);
    return out;
}
