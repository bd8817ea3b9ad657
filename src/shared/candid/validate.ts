/**
 * The checks Candid cannot express (lengths, ranges, formats), run with Zod on decoded values. A failure is a
 * readable reason, e.g. `arg 0.subaccount: expected 32 bytes`, never a trap inside Zod.
 */
import type * as z from 'zod/mini';

import type { AnySchema } from './node';

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

/** Joins a Zod error's issues into one line: `where: what`. */
export function formatIssues(error: z.core.$ZodError, prefix = ''): string {
    const parts = error.issues.slice(0, MAX_REASON_ISSUES).map((issue) => {
        const where = formatPath(prefix, issue.path);
        return where === '' ? issue.message : `${where}: ${issue.message}`;
    });
    const more = error.issues.length - MAX_REASON_ISSUES;
    return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
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
