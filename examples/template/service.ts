/**
 * The template's public interface. `npm run new -- <name>` copies `examples/template/` into `src/canisters/<name>/` to start
 * a canister of your own on the suite (docs/template.md):
 * this file says what crosses the canister's boundary, built from the suite's shared schemas (`Account` from
 * the ICRC ledger schemas, the sponsorship methods every sponsored canister serves), and `index.ts` wires it to
 * Azle with the quota module so the suite's wallet can pay for its callers within a policy.
 *
 * The example: devices post sensor readings (a metric name and a value) and name the account their data
 * earnings go to; anyone reads a device's latest reading.
 */
import * as z from 'zod/mini';

import { c, defineService, query, update } from '../../src/candid';
import { Account } from '../../src/icrc/interface';
import { sponsorshipMethods } from '../../src/sponsorship/policy';

/** A metric name is a key in stable memory: bounded, so a caller cannot make the canister store large keys. */
export const MAX_METRIC_BYTES = 32;

export const Metric = c
    .text()
    .check(
        z.minLength(1, { error: 'a metric name is not empty' }),
        z.maxLength(MAX_METRIC_BYTES, { error: `a metric name is at most ${MAX_METRIC_BYTES} characters` })
    );

export const ReadingArg = c.named('ReadingArg', c.record({ metric: Metric, value: c.int64() }));
export type ReadingArg = z.infer<typeof ReadingArg>;

export const Reading = c.named('Reading', c.record({ value: c.int64(), at_ns: c.nat64() }));
export type Reading = z.infer<typeof Reading>;

export const ReadingsError = c.named(
    'ReadingsError',
    c.variant({
        /** The argument failed its schema; `reason` says how. */
        InvalidArgument: c.record({ reason: c.text() }),
        /** The sponsorship policy refused the call; `reason` names the limit and when it resets. */
        Throttled: c.record({ reason: c.text() }),
        /** The anonymous principal is not a device. */
        AnonymousCaller: c.null()
    })
);
export type ReadingsError = z.infer<typeof ReadingsError>;

/** `Ok`: how many readings the caller has posted. */
export const SubmitResult = c.named('SubmitResult', c.variant({ Ok: c.nat64(), Err: ReadingsError }));
export type SubmitResult = z.infer<typeof SubmitResult>;

export const PayoutResult = c.named('PayoutResult', c.variant({ Ok: c.null(), Err: ReadingsError }));
export type PayoutResult = z.infer<typeof PayoutResult>;

const invalid = (reason: string) => ({ Err: { InvalidArgument: { reason } } });

/** What a caller the sponsorship policy refuses gets (`metered` below: `implement` meters the method). */
const throttled = (reason: string) => ({ Err: { Throttled: { reason } } });

export const readingsService = defineService({
    init: [],
    methods: {
        /** Posts the caller's latest value of a metric (metered by the sponsorship policy). */
        submit: update([ReadingArg], SubmitResult, { invalid, metered: throttled }),
        /** Names the ICRC account the caller's data earnings go to (metered). */
        set_payout: update([Account], PayoutResult, { invalid, metered: throttled }),
        /** A device's latest value of a metric. */
        latest: query([c.record({ device: c.principal(), metric: Metric })], c.opt(Reading)),
        /** Where a device's earnings go. */
        payout_of: query([c.principal()], c.opt(Account)),
        ...sponsorshipMethods
    }
});
