/**
 * The sponsorship module's types: the policy a wallet sets for a sponsored canister, the refusal a caller gets,
 * and the usage report the canister sends the wallet. The wallet and every sponsored canister import them, so
 * both ends of `report_usage` and `sponsorship_set_policy` speak the same Candid.
 */
import type * as z from 'zod/mini';

import { c, defineService, query, update } from '../candid';
import { WindowState } from './window';

/** How a sponsored method is metered. Methods a policy does not name are not metered. */
export const MethodRule = c.named(
    'MethodRule',
    c.record({
        /** Refuse the anonymous principal: anyone can call as it, so a quota per caller would not hold. */
        refuse_anonymous: c.bool(),
        /** Calls one caller may make per window. */
        calls_per_window: c.opt(c.nat64()),
        /** Instructions one caller's calls may execute per window (measured at the end of each call). */
        instructions_per_window: c.opt(c.nat64())
    })
);
export type MethodRule = z.infer<typeof MethodRule>;

export const SponsorPolicy = c.named(
    'SponsorPolicy',
    c.record({
        /** Set by the wallet; a canister keeps the highest version it has seen. */
        version: c.nat64(),
        window_seconds: c.nat64(),
        methods: c.vec(c.tuple(c.text(), MethodRule)),
        /** Callers refused on every metered method. */
        deny: c.vec(c.principal()),
        /** When set, only these callers may call the metered methods. */
        allow: c.opt(c.vec(c.principal())),
        /** Calls of all callers together per window, on the metered methods: bounds what any crowd can cost. */
        global_calls_per_window: c.opt(c.nat64())
    })
);
export type SponsorPolicy = z.infer<typeof SponsorPolicy>;

/** Why a metered call was refused; the reset times are IC time in nanoseconds. */
export const Refusal = c.named(
    'SponsorshipRefusal',
    c.variant({
        Denied: c.null(),
        NotAllowed: c.null(),
        Anonymous: c.null(),
        CallQuota: c.record({ limit: c.nat64(), resets_at: c.nat64() }),
        InstructionQuota: c.record({ limit: c.nat64(), used: c.nat64(), resets_at: c.nat64() }),
        GlobalCap: c.record({ limit: c.nat64(), resets_at: c.nat64() })
    })
);
export type Refusal = z.infer<typeof Refusal>;

export const UsageEntry = c.named(
    'UsageEntry',
    c.record({
        method: c.text(),
        /** None for the callers folded together beyond the report's per-method limit. */
        caller: c.opt(c.principal()),
        calls: c.nat64(),
        instructions: c.nat64(),
        refused: c.nat64()
    })
);
export type UsageEntry = z.infer<typeof UsageEntry>;

export const UsageReport = c.named(
    'UsageReport',
    c.record({
        policy_version: c.nat64(),
        /** The reporter's cycle balance, for a wallet that is not its controller. */
        balance: c.nat(),
        since: c.nat64(),
        until: c.nat64(),
        entries: c.vec(UsageEntry)
    })
);
export type UsageReport = z.infer<typeof UsageReport>;

/** The wallet's answer to a report: the policy, when the reporter's is older. */
export const ReportAck = c.named('ReportAck', c.record({ policy: c.opt(SponsorPolicy) }));
export type ReportAck = z.infer<typeof ReportAck>;

export const SponsorshipConfig = c.named(
    'SponsorshipConfig',
    c.record({ wallet: c.opt(c.principal()), report_interval_seconds: c.nat64() })
);
export type SponsorshipConfig = z.infer<typeof SponsorshipConfig>;

export const SponsorshipStatus = c.named(
    'SponsorshipStatus',
    c.record({
        config: SponsorshipConfig,
        policy: SponsorPolicy,
        global_window: WindowState,
        tracked_callers: c.nat64(),
        unreported_entries: c.nat64(),
        reports_sent: c.nat64(),
        reports_failed: c.nat64()
    })
);
export type SponsorshipStatus = z.infer<typeof SponsorshipStatus>;

/**
 * The methods a sponsored canister adds to its service, spread into its `defineService({ methods })`: one
 * definition for the token, the registry and any canister built from the template.
 */
export const sponsorshipMethods = {
    /** Controllers only: which wallet receives the reports and may set the policy. */
    sponsorship_configure: update([SponsorshipConfig]),
    /** The configured wallet or a controller: replaces the policy if its version is newer. */
    sponsorship_set_policy: update([SponsorPolicy]),
    sponsorship_status: query([], SponsorshipStatus)
} as const;

/** The sponsorship methods as a service: what the wallet calls on a sponsored canister, and what it serves. */
export const sponsorshipService = defineService({ methods: sponsorshipMethods });

/** The method a sponsoring wallet serves: a sponsored canister's usage report, answered with its newer policy. */
export const sponsorMethods = {
    report_usage: update([UsageReport], ReportAck)
} as const;

/** The sponsoring wallet's side as a service: what a sponsored canister calls to report its usage. */
export const sponsorService = defineService({ methods: sponsorMethods });

/**
 * The `error_code` of the `GenericError` an ICRC method answers a refused call with (HTTP's "Too Many
 * Requests"); its message says which limit and when it resets.
 */
export const SPONSORSHIP_REFUSED_ERROR_CODE = 429n;

/** A policy that meters nothing: a canister's policy until its wallet sets one. */
export const OPEN_POLICY: SponsorPolicy = {
    version: 0n,
    window_seconds: 60n,
    methods: [],
    deny: [],
    allow: [],
    global_calls_per_window: []
};
