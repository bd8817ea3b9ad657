/**
 * Tools for tests that compare Candid types: parsing a `.did` with DFINITY's own parser (the Rust `candid`
 * crate compiled to wasm inside @icp-sdk/bindgen), and deciding whether two IDL types are the same type.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { IDL } from '@dfinity/candid';

export type ParsedDid = { service: IDL.ServiceClass; init: IDL.Type[] };

type Answer = { id: number; js?: string; error?: string };

let parser: { child: ChildProcessWithoutNullStreams; pending: Map<number, (a: Answer) => void>; nextId: number } | undefined;

function startParser(): NonNullable<typeof parser> {
    const child = spawn(process.execPath, [join(__dirname, 'did-parser.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const pending = new Map<number, (a: Answer) => void>();
    createInterface({ input: child.stdout }).on('line', (line) => {
        const answer = JSON.parse(line) as Answer;
        pending.get(answer.id)?.(answer);
        pending.delete(answer.id);
    });
    child.unref();
    (child.stdout as unknown as { unref(): void }).unref();
    (child.stderr as unknown as { unref(): void }).unref();
    (child.stdin as unknown as { unref(): void }).unref();
    return { child, pending, nextId: 0 };
}

/** Stops the parser process (call in `afterAll`). */
export function stopDidParser(): void {
    parser?.child.kill();
    parser = undefined;
}

/** Parses `.did` text into IDL types with DFINITY's Candid parser (see `did-parser.mjs`). */
export async function parseDid(didText: string): Promise<ParsedDid> {
    parser ??= startParser();
    const p = parser;
    const id = p.nextId++;
    const answer = await new Promise<Answer>((resolve) => {
        p.pending.set(id, resolve);
        p.child.stdin.write(`${JSON.stringify({ id, did: didText })}\n`);
    });
    if (answer.js === undefined) throw new Error(`the Candid parser refused the .did: ${answer.error}\n${didText}`);
    const js = answer.js.replace(/^import .*$/gm, '').replace(/^export const /gm, 'const ');
    const factories = new Function(`${js}\nreturn { idlFactory, init: typeof init === 'undefined' ? undefined : init };`)() as {
        idlFactory: (i: { IDL: typeof IDL }) => IDL.ServiceClass;
        init?: (i: { IDL: typeof IDL }) => IDL.Type[];
    };
    return { service: factories.idlFactory({ IDL }), init: factories.init?.({ IDL }) ?? [] };
}

type Fields = [string, IDL.Type][];

function unroll(t: IDL.Type): IDL.Type {
    let current = t;
    while (current instanceof IDL.RecClass) {
        const inner = current.getType();
        if (inner === undefined) throw new Error('a recursive type was never filled');
        current = inner;
    }
    return current;
}

function normalLabel(label: string): string {
    // A tuple's components are the record fields 0, 1, ...; @dfinity/candid names them `_0_`, `_1_`, ...
    const m = /^_(\d+)_$/.exec(label);
    return m ? (m[1] as string) : label;
}

function fieldsOf(t: IDL.Type): Fields | undefined {
    return (t as unknown as { _fields?: Fields })._fields;
}

/** The element type of a `vec` or `opt`. */
function innerType(t: IDL.Type): IDL.Type {
    return (t as unknown as { _type: IDL.Type })._type;
}

function sameAnnotations(x: IDL.FuncClass, y: IDL.FuncClass): boolean {
    return [...x.annotations].sort().join() === [...y.annotations].sort().join();
}

/**
 * Whether the pair (a, b) is already being compared under `relation`: recursive types are compared
 * coinductively, so a pair met again is assumed to hold. Marks the pair as met.
 */
function alreadyAssumed(relation: string, a: IDL.Type, b: IDL.Type, assumed: Set<string>, ids: Map<IDL.Type, number>): boolean {
    const id = (t: IDL.Type): number => {
        let n = ids.get(t);
        if (n === undefined) ids.set(t, (n = ids.size));
        return n;
    };
    const key = `${id(a)}${relation}${id(b)}`;
    if (assumed.has(key)) return true;
    assumed.add(key);
    return false;
}

/**
 * True when `a` and `b` denote the same Candid type. Recursive types are compared coinductively (two types
 * are equal unless a finite unfolding tells them apart), so `μx.opt x` and a once-unrolled copy are equal.
 */
export function sameType(a: IDL.Type, b: IDL.Type, assumed = new Set<string>(), ids = new Map<IDL.Type, number>()): boolean {
    if (alreadyAssumed(':', a, b, assumed, ids)) return true;
    const x = unroll(a);
    const y = unroll(b);
    const same = (p: IDL.Type, q: IDL.Type) => sameType(p, q, assumed, ids);
    const sameList = (p: readonly IDL.Type[], q: readonly IDL.Type[]) =>
        p.length === q.length && p.every((t, i) => same(t, q[i] as IDL.Type));

    if (x instanceof IDL.FuncClass || y instanceof IDL.FuncClass) {
        return (
            x instanceof IDL.FuncClass &&
            y instanceof IDL.FuncClass &&
            sameList(x.argTypes, y.argTypes) &&
            sameList(x.retTypes, y.retTypes) &&
            sameAnnotations(x, y)
        );
    }
    if (x instanceof IDL.VecClass || x instanceof IDL.OptClass) {
        return x.typeName === y.typeName && same(innerType(x), innerType(y));
    }
    const fx = fieldsOf(x);
    const fy = fieldsOf(y);
    if (fx !== undefined || fy !== undefined) {
        const kind = (t: IDL.Type) =>
            t instanceof IDL.VariantClass ? 'variant' : t instanceof IDL.ServiceClass ? 'service' : 'record';
        if (fx === undefined || fy === undefined || kind(x) !== kind(y) || fx.length !== fy.length) return false;
        const byLabel = new Map(fy.map(([l, t]) => [normalLabel(l), t]));
        return fx.every(([label, t]) => {
            const other = byLabel.get(normalLabel(label));
            return other !== undefined && same(t, other);
        });
    }
    return x.name === y.name && fieldsOf(y) === undefined;
}

/** Describes the first difference between two services, or returns undefined when they are the same. */
export function serviceDifference(ours: IDL.ServiceClass, theirs: IDL.ServiceClass): string | undefined {
    const mine = new Map(ours._fields);
    const other = new Map(theirs._fields);
    for (const name of new Set([...mine.keys(), ...other.keys()])) {
        const a = mine.get(name);
        const b = other.get(name);
        if (a === undefined) return `method ${name} is missing from the first service`;
        if (b === undefined) return `method ${name} is missing from the second service`;
        if (!sameType(a, b)) return `method ${name}: ${a.display()} differs from ${b.display()}`;
    }
    return undefined;
}

/**
 * True when `sub` is a Candid subtype of `sup` (Candid specification, "Subtyping"), for the types the IC's
 * interfaces use: a record may add fields, or lack those of `sup` that are `opt`, `null` or `reserved`; a
 * variant may drop cases; `func` is contravariant in its arguments. A server whose method type is a subtype of
 * the official one serves every client of the official interface.
 */
export function isSubtype(sub: IDL.Type, sup: IDL.Type, assumed = new Set<string>(), ids = new Map<IDL.Type, number>()): boolean {
    if (alreadyAssumed('<:', sub, sup, assumed, ids)) return true;
    const x = unroll(sub);
    const y = unroll(sup);
    const sub_ = (p: IDL.Type, q: IDL.Type) => isSubtype(p, q, assumed, ids);
    if (y instanceof IDL.ReservedClass) return true;
    if (x instanceof IDL.FuncClass || y instanceof IDL.FuncClass) {
        if (!(x instanceof IDL.FuncClass && y instanceof IDL.FuncClass)) return false;
        const args = y.argTypes.every((t, i) =>
            x.argTypes[i] === undefined ? isOptional(t) : sub_(t, x.argTypes[i] as IDL.Type)
        );
        const rets = y.retTypes.every((t, i) =>
            x.retTypes[i] === undefined ? isOptional(t) : sub_(x.retTypes[i] as IDL.Type, t)
        );
        return args && rets && sameAnnotations(x, y);
    }
    if (x instanceof IDL.VecClass || x instanceof IDL.OptClass) {
        return x.typeName === y.typeName && sub_(innerType(x), innerType(y));
    }
    const fx = fieldsOf(x);
    const fy = fieldsOf(y);
    if (fx !== undefined || fy !== undefined) {
        if (fx === undefined || fy === undefined || x.constructor !== y.constructor) return false;
        const byLabel = (fields: Fields) => new Map(fields.map(([l, t]) => [normalLabel(l), t]));
        if (x instanceof IDL.VariantClass) {
            const cases = byLabel(fy);
            return fx.every(([label, t]) => cases.has(normalLabel(label)) && sub_(t, cases.get(normalLabel(label)) as IDL.Type));
        }
        const mine = byLabel(fx);
        return fy.every(([label, t]) => {
            const field = mine.get(normalLabel(label));
            return field === undefined ? isOptional(t) : sub_(field, t);
        });
    }
    return x.name === y.name && fieldsOf(y) === undefined;
}

function isOptional(t: IDL.Type): boolean {
    const u = unroll(t);
    return u instanceof IDL.OptClass || u instanceof IDL.NullClass || u instanceof IDL.ReservedClass;
}
