/**
 * The counter's public interface: every type that crosses its boundary, and its methods. The canister
 * (`index.ts`), its `.did` (`npm run generate`), its clients and its tests all derive from this file.
 */
import * as z from 'zod/mini';

import { c, defineService, query, update } from '../../src/candid';

/** A memo is bounded so a caller cannot make the canister store (and pay for) large values. */
export const MAX_MEMO_BYTES = 32;

export const CounterInit = c.named(
    'CounterInit',
    c.record({
        /** The largest step one call may add. */
        max_step: c.nat64().check(z.gte(1n, { error: 'max_step must be at least 1' }))
    })
);

export const IncrementArg = c.named(
    'IncrementArg',
    c.record({
        by: c.nat64().check(z.gte(1n, { error: 'by must be at least 1' })),
        memo: c.opt(c.blob().check(z.maxLength(MAX_MEMO_BYTES, { error: `a memo is at most ${MAX_MEMO_BYTES} bytes` })))
    })
);

export const CounterError = c.named(
    'CounterError',
    c.variant({
        /** The argument failed its schema; `reason` says how. */
        InvalidArgument: c.record({ reason: c.text() }),
        /** `by` is larger than the `max_step` the canister was installed with. */
        StepTooLarge: c.record({ max_step: c.nat64() })
    })
);

export const IncrementResult = c.named('IncrementResult', c.variant({ Ok: c.nat(), Err: CounterError }));

export const LastIncrement = c.named(
    'LastIncrement',
    c.record({ caller: c.principal(), by: c.nat64(), memo: c.opt(c.blob()), at_ns: c.nat64() })
);

export type CounterInit = z.infer<typeof CounterInit>;
export type IncrementArg = z.infer<typeof IncrementArg>;
export type IncrementResult = z.infer<typeof IncrementResult>;
export type LastIncrement = z.infer<typeof LastIncrement>;

export const counterService = defineService({
    init: [CounterInit],
    methods: {
        /** The current count. */
        get: query([], c.nat()),
        /** Adds `by` to the count and returns the new count. */
        increment: update([IncrementArg], IncrementResult, {
            invalid: (reason) => ({ Err: { InvalidArgument: { reason } } })
        }),
        /** The latest increment, if any. */
        last_increment: query([], c.opt(LastIncrement))
    }
});
