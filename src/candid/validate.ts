/**
 * The checks Candid cannot express (lengths, ranges, formats), run with Zod on decoded values. A failure is a
 * readable reason, e.g. `arg 0.subaccount: expected 32 bytes`, never a trap inside Zod.
 */
import type * as z from 'zod/mini';

import { type AnySchema, candidNodeOf, checksOnlyItsType } from './node';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** How many issues a reason lists: enough to fix the call, bounded so a hostile value cannot make it huge. */
export const MAX_REASON_ISSUES = 3;

/** An argument a method's schema refused, raised on the client before sending or in the canister (a trap). */
export class InvalidArgumentError extends Error {
    override readonly name = 'InvalidArgumentError';
    constructor(
        readonly method: string,
        readonly reason: string
    ) {
        super(`invalid argument to ${method}: ${reason}`);
    }
}

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
    return [prefix, ...path.map((p) => (typeof p === 'symbol' ? p.toString() : String(p)))].filter((s) => s !== '').join('.');
}

/** One thing wrong with a value: where (`arg 0.to.subaccount`, or '' for the value itself) and what. */
type Issue = { readonly where: string; readonly message: string };

function joinIssues(issues: readonly Issue[]): string {
    const parts = issues
        .slice(0, MAX_REASON_ISSUES)
        .map(({ where, message }) => (where === '' ? message : `${where}: ${message}`));
    const more = issues.length - MAX_REASON_ISSUES;
    return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
}

function issuesOf(error: z.core.$ZodError, prefix: string): Issue[] {
    return error.issues.map((issue) => ({ where: formatPath(prefix, issue.path), message: issue.message }));
}

/** Joins a Zod error's issues into one line: `where: what`. */
export function formatIssues(error: z.core.$ZodError, prefix = ''): string {
    return joinIssues(issuesOf(error, prefix));
}

/** Checks one value against a schema. */
export function check<S extends AnySchema>(schema: S, value: unknown, label = ''): Checked<z.output<S>> {
    const result = schema.safeParse(value);
    return result.success
        ? { ok: true, value: result.data as z.output<S> }
        : { ok: false, reason: formatIssues(result.error, label) };
}

/** Checks a method's argument list: its length, then each argument, labelled `arg 0`, `arg 1`, ... */
export function checkArgs(schemas: readonly AnySchema[], args: readonly unknown[]): Checked<unknown[]> {
    if (args.length !== schemas.length) {
        return { ok: false, reason: `expected ${schemas.length} argument(s), got ${args.length}` };
    }
    const values: unknown[] = [];
    for (let i = 0; i < schemas.length; i++) {
        const result = check(schemas[i] as AnySchema, args[i], `arg ${i}`);
        if (!result.ok) return result;
        values.push(result.value);
    }
    return { ok: true, value: values };
}

/** Adds what is wrong with `value` (labelled `where`) to `issues`. */
type PartCheck = (value: unknown, where: string, issues: Issue[]) => void;

/** Whether anything in a schema checks more than its type (a refinement), through records, vecs and aliases. */
function refinedWithin(schema: AnySchema, seen: Set<AnySchema>): boolean {
    if (!checksOnlyItsType(schema)) return true;
    if (seen.has(schema)) return false;
    seen.add(schema);
    const node = candidNodeOf(schema);
    switch (node.kind) {
        case 'opt':
        case 'vec':
            return refinedWithin(node.inner, seen);
        case 'record':
            return Object.values(node.fields).some((f) => refinedWithin(f, seen));
        case 'variant':
            return Object.values(node.tags).some((t) => refinedWithin(t, seen));
        case 'tuple':
            return node.items.some((i) => refinedWithin(i, seen));
        case 'rec':
            return refinedWithin(node.target(), seen);
        default:
            return false;
    }
}

/** Zod's check of a whole part, its issues placed under `where` (as `check` words them). */
function zodCheck(schema: AnySchema): PartCheck {
    return (value, where, issues) => {
        const result = schema.safeParse(value);
        if (!result.success) issues.push(...issuesOf(result.error, where));
    };
}

/**
 * The check of a decoded part: nothing where the part holds no refinement; through records, tuples and vecs
 * down to the refined parts; Zod on the rest of a part that holds one (an opt or variant, whose Zod issues are
 * worded for the whole union).
 */
function decodedPartCheck(schema: AnySchema): PartCheck | undefined {
    if (!refinedWithin(schema, new Set())) return undefined;
    if (!checksOnlyItsType(schema)) return zodCheck(schema);
    const node = candidNodeOf(schema);
    if (node.kind === 'record' || node.kind === 'tuple') {
        const entries =
            node.kind === 'record' ? Object.entries(node.fields) : node.items.map((item, i) => [String(i), item] as const);
        const parts = entries.flatMap(([key, field]) => {
            const part = decodedPartCheck(field);
            return part === undefined ? [] : [[key, part] as const];
        });
        return (value, where, issues) => {
            const fields = value as Record<string, unknown>;
            for (const [key, part] of parts) part(fields[key], where === '' ? key : `${where}.${key}`, issues);
        };
    }
    // A typed-array vec (a blob) gets here only unrefined; a refined one is Zod's above. This is an array.
    if (node.kind === 'vec') {
        const element = decodedPartCheck(node.inner);
        if (element === undefined) return undefined;
        return (value, where, issues) => {
            const items = value as readonly unknown[];
            for (let i = 0; i < items.length; i++) element(items[i], where === '' ? String(i) : `${where}.${i}`, issues);
        };
    }
    return zodCheck(schema);
}

/**
 * The argument check of a method whose arguments the suite's decoder (`wire.ts`) produced. The decoder has
 * already enforced every check a Candid type implies, so only the refinements (lengths, ranges, formats) run:
 * a method whose argument types hold none checks nothing, and a transfer checks its subaccounts, not every
 * field again in Zod. The reason reads as {@link checkArgs} words it.
 */
export function decodedArgsChecker(schemas: readonly AnySchema[]): (args: unknown[]) => Checked<unknown[]> {
    const parts = schemas.map((schema) => decodedPartCheck(schema));
    return (args) => {
        if (args.length !== schemas.length) {
            return { ok: false, reason: `expected ${schemas.length} argument(s), got ${args.length}` };
        }
        const issues: Issue[] = [];
        for (let i = 0; i < parts.length; i++) {
            parts[i]?.(args[i], `arg ${i}`, issues);
            // as checkArgs: the first argument that is wrong is the reason
            if (issues.length > 0) return { ok: false, reason: joinIssues(issues) };
        }
        return { ok: true, value: args };
    };
}
