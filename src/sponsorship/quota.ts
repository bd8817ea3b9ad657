/**
 * Sponsorship: the rules a sponsored canister applies to its callers so the cycles it spends on them stay
 * bounded, with the usage it reports to its wallet.
 *
 * A sponsored canister calls {@link Sponsorship.check} in `inspect_message` (ingress that would be refused never
 * reaches execution, so it costs nothing) and {@link Sponsorship.admit} at the start of each metered method
 * (inspection does not run for inter-canister calls and a replica may skip it, so the method repeats it), then
 * {@link Sponsorship.settle} with the instructions the call executed. The policy comes from the wallet and is
 * kept in stable memory, and so are the per-caller counters ({@link CallerBook}): a caller costs one stable-map
 * look-up whatever the number of callers, and the heap does not grow with them.
 *
 * What bounds the cost of a crowd: anyone can make new principals for free, so per-caller quotas alone do not;
 * the global cap does. It is kept per method, so that garbage sent to one method never uses up another's, and
 * as two counts, of the calls that succeeded and of those that failed (answered `Err`): failures cannot use up
 * what honest callers need. Once a method's failures reach the cap, only callers with a call that succeeded
 * in the last {@link TRUST_SECONDS} are admitted to it until the window ends; a crowd of fresh principals
 * sending garbage then costs each one refusal. What tracking callers costs a call does not depend on how many
 * are tracked (a stable-map look-up and write, and at most a few prune steps, each at the head of an expiry
 * index); the callers tracked at once are bounded by {@link MAX_TRACKED_CALLERS}, the callers remembered as
 * trusted by {@link MAX_TRUSTED_CALLERS}, and so is the stable memory they take (docs/wallet.md).
 */
import type { Principal } from '@dfinity/principal';

import { readU64be, u64be } from '../ic/bytes';
import type { ByteMap } from '../ic/stable-maps';
import { valueCodec } from '../candid/wire';
import { NANOS_PER_SECOND } from '../ic/constants';
import { CallerBook, type CallerEntry, type CallerLimits, methodPrefix, PRUNE_PER_REPORT } from './callers';
import {
    type MethodRule,
    OPEN_POLICY,
    type Refusal,
    SponsorPolicy,
    SponsorshipConfig,
    type SponsorshipStatus,
    type UsageEntry,
    type UsageReport
} from './policy';

/**
 * Callers tracked at once (a caller on each metered method it calls), whatever the policy: beyond it, new
 * callers wait until a tracked one's windows have ended. It bounds the book's stable memory, not its cost.
 */
export const MAX_TRACKED_CALLERS = 2_000_000;
/** How long a call that succeeded vouches for its caller when a method's failures have reached the cap. */
export const TRUST_SECONDS = 86_400n;
/** How often a caller's successes are written down, at most: trust lasts 23 to 24 hours after the last one. */
export const TRUST_REFRESH_SECONDS = 3_600n;
/** Callers remembered as having succeeded, at most; beyond it, new successes wait for one to expire. */
export const MAX_TRUSTED_CALLERS = 2_000_000;
/** The book's limits in a canister. */
export const DEFAULT_CALLER_LIMITS: CallerLimits = { maxCallers: MAX_TRACKED_CALLERS, maxTrusted: MAX_TRUSTED_CALLERS };
/** Callers named one by one per method in a report; the rest are folded into one entry without a caller. */
export const MAX_REPORTED_CALLERS_PER_METHOD = 100;
/** How often a canister reports when its configuration does not say. */
export const DEFAULT_REPORT_INTERVAL_SECONDS = 300n;

/** The key of the folded callers' usage: no principal's key holds a char code above 255. */
const FOLDED = '\u0100';

/**
 * A principal as a map key: its bytes as a string of char codes 0-255. One native call, about 14k instructions
 * in a canister where `Principal.toHex` takes about 114k: the key is computed in every metered call and every
 * inspection, so it is the largest single part of the quota check.
 */
function principalKey(principal: Principal): string {
    return principalText(principal.toUint8Array());
}

function principalText(bytes: Uint8Array): string {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** The entry of a caller the book does not hold yet. */
function newEntry(): CallerEntry {
    return { callsStart: 0n, calls: 0n, instructionsStart: 0n, instructions: 0n, trustedAt: 0n };
}

const ANONYMOUS_KEY = String.fromCharCode(4);
const TRUST_REFRESH_NANOS = TRUST_REFRESH_SECONDS * NANOS_PER_SECOND;

const utf8 = new TextEncoder();
const POLICY_KEY = utf8.encode('policy');
const CONFIG_KEY = utf8.encode('config');
const TOTALS_KEY = utf8.encode('totals');
const policyCodec = valueCodec<SponsorPolicy>(SponsorPolicy);
const configCodec = valueCodec<SponsorshipConfig>(SponsorshipConfig);

/**
 * A method's global counts in the current window, calls that succeeded and calls that failed, each a fixed
 * window (start, used) changed in place.
 */
type MethodWindows = { succeededStart: bigint; succeeded: bigint; failedStart: bigint; failed: bigint };
/** How an admitted call ended: its result was an `Err` (or a batch of them), or not. */
export type CallOutcome = 'succeeded' | 'failed';
/** A principal as the module keys it: its bytes, and as a string for heap maps ({@link principalKey}). */
type CallerKey = { bytes: Uint8Array; text: string };
/**
 * A call the policy admits, or the call admitted last: its caller's entry (with the call counted), its key in
 * the book and in the usage, the book's removal count when it was read, and whether it is still to be written
 * (`dirty`). An admission is written by the call's settle, one stable write a call, or by whatever the module
 * does next ({@link Sponsorship.flush}).
 */
type Admission = {
    caller: Principal;
    method: string;
    key: Uint8Array;
    usageKey: string;
    entry: CallerEntry;
    isNew: boolean;
    removals: number;
    dirty: boolean;
    /** When it was last changed: the time a re-added entry prunes at. */
    at: bigint;
};
/** What the metered methods did since the canister was installed: admitted calls, their instructions, refusals. */
export type MeteredTotals = { calls: bigint; instructions: bigint; refused: bigint };

type Usage = { method: string; caller: Principal | undefined; calls: bigint; instructions: bigint; refused: bigint };

const DEFAULT_CONFIG: SponsorshipConfig = { wallet: [], report_interval_seconds: DEFAULT_REPORT_INTERVAL_SECONDS };

export class Sponsorship {
    private policy: SponsorPolicy = OPEN_POLICY;
    /** The policy's window in nanoseconds, computed once: a bigint product is thousands of instructions. */
    private windowNanos = OPEN_POLICY.window_seconds * NANOS_PER_SECOND;
    private globalLimit: bigint | undefined;
    private config: SponsorshipConfig = DEFAULT_CONFIG;
    private rules = new Map<string, MethodRule>();
    private deny = new Set<string>();
    private allow: Set<string> | undefined;
    private readonly book: CallerBook;
    private readonly prefixes = new Map<string, Uint8Array>();
    /** The call {@link Sponsorship.verdict} admitted last (by `check` too, which never writes it). */
    private admission: Admission | undefined;
    /** The call {@link Sponsorship.admit} admitted last, until its settle (or a flush) wrote it. */
    private last: Admission | undefined;
    private readonly methods = new Map<string, MethodWindows>();
    /** Every admitted call, all methods together: reported in the status, not a limit. */
    private globalStart = 0n;
    private globalUsed = 0n;
    private readonly usage = new Map<string, Usage>();
    private readonly namedPerMethod = new Map<string, number>();
    private usageSince: bigint | undefined;
    private reportsSent = 0n;
    private reportsFailed = 0n;
    private totals: MeteredTotals = { calls: 0n, instructions: 0n, refused: 0n };

    /**
     * Opens the module on its stable map. What an earlier version stored is read on first use, not here: Azle
     * runs a canister's module once at build time, where there is no stable memory. `limits` bound the callers
     * tracked (tests give small ones).
     */
    constructor(
        private readonly store: ByteMap,
        limits: CallerLimits = DEFAULT_CALLER_LIMITS
    ) {
        this.book = new CallerBook(store, limits, TRUST_SECONDS * NANOS_PER_SECOND);
    }

    private loaded = false;

    private load(): void {
        if (this.loaded) return;
        this.loaded = true;
        const policy = this.store.get(POLICY_KEY);
        if (policy !== undefined) this.use(policyCodec.decode(policy));
        const config = this.store.get(CONFIG_KEY);
        if (config !== undefined) this.config = configCodec.decode(config);
        const totals = this.store.get(TOTALS_KEY);
        if (totals !== undefined)
            this.totals = { calls: readU64be(totals), instructions: readU64be(totals, 8), refused: readU64be(totals, 16) };
    }

    get wallet(): Principal | undefined {
        this.load();
        return this.config.wallet[0];
    }

    get reportIntervalSeconds(): bigint {
        this.load();
        return this.config.report_interval_seconds;
    }

    configure(config: SponsorshipConfig): void {
        this.load();
        this.config = config;
        this.store.insert(CONFIG_KEY, configCodec.encode(config));
    }

    /** Takes the policy if it is newer than the one in force; says whether it did. */
    setPolicy(policy: SponsorPolicy): boolean {
        this.load();
        if (policy.version <= this.policy.version) return false;
        this.flush();
        this.use(policy);
        this.store.insert(POLICY_KEY, policyCodec.encode(policy));
        return true;
    }

    /** Whether the policy meters this method. */
    isMetered(method: string): boolean {
        this.load();
        return this.rules.has(method);
    }

    /** Read-only check, for `inspect_message`: would this call be admitted now? */
    check(caller: Principal, method: string, now: bigint): Refusal | undefined {
        this.load();
        const rule = this.rules.get(method);
        if (rule === undefined) return undefined;
        this.flush();
        return this.verdict(caller, method, rule, now);
    }

    /**
     * Admits a call to a metered method and counts it, or refuses it (counted in the report as refused). Call it
     * first in the method; unmetered methods are always admitted.
     */
    admit(caller: Principal, method: string, now: bigint): Refusal | undefined {
        this.load();
        const rule = this.rules.get(method);
        if (rule === undefined) return undefined;
        this.flush();
        let refusal = this.verdict(caller, method, rule, now);
        const admission = this.admission as Admission;
        if (refusal === undefined && admission.isNew && !this.book.reserve(admission.key, admission.entry, this.windowNanos, now))
            refusal = this.trackingFull(now);
        const usage = this.usageOf(caller, method, now, admission.usageKey);
        if (refusal !== undefined) {
            usage.refused += 1n;
            this.totals.refused += 1n;
            return refusal;
        }
        admission.removals = this.book.removals;
        admission.dirty = true;
        this.last = admission;
        if (this.globalUsed === 0n || now >= this.globalStart + this.windowNanos) {
            this.globalStart = now;
            this.globalUsed = 0n;
        }
        this.globalUsed += 1n;
        usage.calls += 1n;
        this.totals.calls += 1n;
        return undefined;
    }

    /**
     * Records how an admitted call ended: the instructions it executed (the performance counter at its end), and
     * whether it succeeded, counted in the method's global windows.
     */
    settle(caller: Principal, method: string, instructions: bigint, now: bigint, outcome: CallOutcome): void {
        if (!this.rules.has(method)) return;
        let last = this.last;
        if (last === undefined || last.caller !== caller || last.method !== method) {
            // Not the call admitted last (its settle comes after other calls): read its entry again.
            this.flush();
            const principal = this.keyOf(caller);
            const key = this.book.keyOf(this.prefixOf(method), principal.bytes);
            const usageKey = `${method}\u0000${principal.text}`;
            const stored = this.book.get(key);
            last = this.last =
                stored === undefined
                    ? undefined
                    : {
                          caller,
                          method,
                          key,
                          usageKey,
                          entry: stored,
                          isNew: false,
                          removals: this.book.removals,
                          dirty: false,
                          at: now
                      };
            if (last === undefined) this.settleCounts(caller, method, instructions, now, outcome, newEntry(), usageKey);
        }
        if (last === undefined) return;
        const entry = last.entry;
        if (entry.instructions === 0n || now >= entry.instructionsStart + this.windowNanos) {
            entry.instructionsStart = now;
            entry.instructions = 0n;
        }
        entry.instructions += instructions;
        last.dirty = true;
        last.at = now;
        this.settleCounts(caller, method, instructions, now, outcome, entry, last.usageKey);
        this.flush();
    }

    /**
     * Writes the last admitted call's entry, if its settle has not: {@link SponsoredCanister} calls it when a
     * metered method awaits, so that an upgrade before the settle does not lose the admission. Every other entry
     * point calls it first. An entry pruned meanwhile (its stored windows had ended) is added again, with its
     * index entry.
     */
    flush(): void {
        const last = this.last;
        if (last === undefined || !last.dirty) return;
        last.dirty = false;
        const present = this.book.removals === last.removals || this.book.get(last.key) !== undefined;
        if (present || this.book.reserve(last.key, last.entry, this.windowNanos, last.at)) this.book.write(last.key, last.entry);
        last.removals = this.book.removals;
    }

    /**
     * The metered totals since install. They are counted on the heap and written to stable memory by
     * {@link Sponsorship.checkpoint}, which every report runs; an upgrade loses what came after the last one.
     */
    get meteredTotals(): MeteredTotals {
        this.load();
        return { ...this.totals };
    }

    /** Writes the metered totals to stable memory (24 bytes). */
    checkpoint(): void {
        this.load();
        const bytes = new Uint8Array(24);
        bytes.set(u64be(this.totals.calls));
        bytes.set(u64be(this.totals.instructions), 8);
        bytes.set(u64be(this.totals.refused), 16);
        this.store.insert(TOTALS_KEY, bytes);
    }

    /**
     * The usage since the last report, emptied; undefined when nothing happened. It first prunes up to
     * {@link PRUNE_PER_REPORT} callers whose windows have ended.
     */
    takeReport(balance: bigint, now: bigint): UsageReport | undefined {
        this.load();
        this.flush();
        this.book.prune(now, PRUNE_PER_REPORT, this.windowNanos);
        if (this.usage.size === 0) return undefined; // nothing metered since the last report: the totals are as saved
        this.checkpoint();
        const entries: UsageEntry[] = [...this.usage.values()].map((u) => ({
            method: u.method,
            caller: u.caller === undefined ? [] : [u.caller],
            calls: u.calls,
            instructions: u.instructions,
            refused: u.refused
        }));
        const report = { policy_version: this.policy.version, balance, since: this.usageSince ?? now, until: now, entries };
        this.usage.clear();
        this.namedPerMethod.clear();
        this.usageSince = undefined;
        return report;
    }

    /** Puts back a report the wallet did not receive, so the next one carries it. */
    restore(report: UsageReport, now: bigint): void {
        this.reportsFailed += 1n;
        for (const entry of report.entries) {
            const [caller] = entry.caller;
            const key = caller === undefined ? undefined : `${entry.method}\u0000${principalKey(caller)}`;
            const usage = this.usageOf(caller, entry.method, report.since, key);
            usage.calls += entry.calls;
            usage.instructions += entry.instructions;
            usage.refused += entry.refused;
        }
        this.usageSince = report.since < (this.usageSince ?? now) ? report.since : this.usageSince;
    }

    reported(): void {
        this.reportsSent += 1n;
    }

    status(): SponsorshipStatus {
        this.load();
        this.flush();
        return {
            config: this.config,
            policy: this.policy,
            global_window: { started_at: this.globalStart, used: this.globalUsed },
            tracked_callers: BigInt(this.book.size.callers),
            unreported_entries: BigInt(this.usage.size),
            reports_sent: this.reportsSent,
            reports_failed: this.reportsFailed
        };
    }

    private lastCaller: Principal | undefined;
    private lastKey: CallerKey = { bytes: new Uint8Array(0), text: '' };

    /** The caller's key; a call's admit, settle and report use the same Principal, converted once. */
    private keyOf(caller: Principal): CallerKey {
        if (caller !== this.lastCaller) {
            const bytes = caller.toUint8Array();
            this.lastCaller = caller;
            this.lastKey = { bytes, text: principalText(bytes) };
        }
        return this.lastKey;
    }

    /** The prefix of a method's caller keys, made once per method. */
    private prefixOf(method: string): Uint8Array {
        let prefix = this.prefixes.get(method);
        if (prefix === undefined) this.prefixes.set(method, (prefix = methodPrefix(method)));
        return prefix;
    }

    /** The refusal of a new caller while the book holds as many as it may. */
    private trackingFull(now: bigint): Refusal {
        return { GlobalCap: { limit: BigInt(this.book.limits.maxCallers), resets_at: this.book.nextDue(now) } };
    }

    private use(policy: SponsorPolicy): void {
        this.policy = policy;
        this.windowNanos = policy.window_seconds * NANOS_PER_SECOND;
        this.globalLimit = policy.global_calls_per_window[0];
        this.rules = new Map(policy.methods);
        this.deny = new Set(policy.deny.map(principalKey));
        const [allow] = policy.allow;
        this.allow = allow === undefined ? undefined : new Set(allow.map(principalKey));
    }

    /**
     * Whether the policy admits this call now: the refusal, or undefined with the call, its caller's entry
     * counting it, in {@link Sponsorship.admission} (its keys are set either way, for the report). One
     * computation for both the check and the admission (the quota check runs in every metered call: its cost is
     * the canister's).
     */
    private verdict(caller: Principal, method: string, rule: MethodRule, now: bigint): Refusal | undefined {
        const { bytes, text: principal } = this.keyOf(caller);
        const usageKey = `${method}\u0000${principal}`;
        const key = this.book.keyOf(this.prefixOf(method), bytes);
        const admission: Admission = {
            caller,
            method,
            key,
            usageKey,
            entry: NO_ENTRY,
            isNew: false,
            removals: 0,
            dirty: false,
            at: now
        };
        this.admission = admission;
        if (this.deny.has(principal)) return { Denied: null };
        if (this.allow !== undefined && !this.allow.has(principal)) return { NotAllowed: null };
        if (rule.refuse_anonymous && principal === ANONYMOUS_KEY) return { Anonymous: null };
        const span = this.windowNanos;
        const globalLimit = this.globalLimit;
        if (globalLimit !== undefined) {
            const counts = this.methods.get(method);
            if (counts !== undefined) {
                if (counts.succeeded !== 0n && now < counts.succeededStart + span && counts.succeeded >= globalLimit)
                    return { GlobalCap: { limit: globalLimit, resets_at: counts.succeededStart + span } };
                if (
                    counts.failed !== 0n &&
                    now < counts.failedStart + span &&
                    counts.failed >= globalLimit &&
                    !this.book.isTrusted(bytes, now)
                )
                    return { GlobalCap: { limit: globalLimit, resets_at: counts.failedStart + span } };
            }
        }
        const known = this.book.get(key);
        if (known === undefined && !this.book.hasRoom(now)) return this.trackingFull(now);
        const entry = known ?? newEntry();
        // Each window as it stands at `now`: a new, empty one if the last has ended.
        if (entry.calls === 0n || now >= entry.callsStart + span) {
            entry.callsStart = now;
            entry.calls = 0n;
        }
        const callLimit = rule.calls_per_window[0];
        if (callLimit !== undefined && entry.calls + 1n > callLimit)
            return { CallQuota: { limit: callLimit, resets_at: entry.callsStart + span } };
        const instructionLimit = rule.instructions_per_window[0];
        if (instructionLimit !== undefined) {
            const ended = entry.instructions === 0n || now >= entry.instructionsStart + span;
            const used = ended ? 0n : entry.instructions;
            if (used >= instructionLimit) {
                const resets = (ended ? now : entry.instructionsStart) + span;
                return { InstructionQuota: { limit: instructionLimit, used, resets_at: resets } };
            }
        }
        entry.calls += 1n;
        admission.entry = entry;
        admission.isNew = known === undefined;
        return undefined;
    }

    /** Counts how a call ended in its method's global windows, remembers a success, and adds to its usage. */
    private settleCounts(
        caller: Principal,
        method: string,
        instructions: bigint,
        now: bigint,
        outcome: CallOutcome,
        entry: CallerEntry,
        usageKey: string
    ): void {
        const counts = this.methodWindows(method);
        const span = this.windowNanos;
        if (outcome === 'succeeded') {
            if (counts.succeeded === 0n || now >= counts.succeededStart + span) {
                counts.succeededStart = now;
                counts.succeeded = 0n;
            }
            counts.succeeded += 1n;
            this.book.trust(this.keyOf(caller).bytes, entry, now, TRUST_REFRESH_NANOS, span);
        } else {
            if (counts.failed === 0n || now >= counts.failedStart + span) {
                counts.failedStart = now;
                counts.failed = 0n;
            }
            counts.failed += 1n;
        }
        this.usageOf(caller, method, now, usageKey).instructions += instructions;
        this.totals.instructions += instructions;
    }

    /** The usage entry of a caller (by its key, as in `callers`) or, with no key, of the folded callers. */
    private usageOf(caller: Principal | undefined, method: string, now: bigint, callerKey: string | undefined): Usage {
        this.usageSince ??= now;
        const named = callerKey !== undefined && caller !== undefined;
        const key = named ? callerKey : `${method}\u0000${FOLDED}`;
        const existing = this.usage.get(key);
        if (existing !== undefined) return existing;
        const count = this.namedPerMethod.get(method) ?? 0;
        if (named && count >= MAX_REPORTED_CALLERS_PER_METHOD) return this.usageOf(undefined, method, now, undefined);
        if (named) this.namedPerMethod.set(method, count + 1);
        const usage: Usage = { method, caller: named ? caller : undefined, calls: 0n, instructions: 0n, refused: 0n };
        this.usage.set(key, usage);
        return usage;
    }

    private methodWindows(method: string): MethodWindows {
        let counts = this.methods.get(method);
        if (counts === undefined)
            this.methods.set(method, (counts = { succeededStart: 0n, succeeded: 0n, failedStart: 0n, failed: 0n }));
        return counts;
    }
}

/** The entry of a refused call's admission, never read. */
const NO_ENTRY: CallerEntry = newEntry();

/** A refusal as a sentence that names the limit and when it resets, for errors that carry text. */
export function describeRefusal(refusal: Refusal): string {
    if ('Denied' in refusal) return 'sponsorship: the caller is on the deny list';
    if ('NotAllowed' in refusal) return 'sponsorship: the caller is not on the allow list';
    if ('Anonymous' in refusal) return 'sponsorship: this method refuses the anonymous principal';
    if ('CallQuota' in refusal) {
        const q = refusal.CallQuota;
        return `sponsorship: call quota of ${q.limit} calls per window reached; it resets at ${q.resets_at} ns`;
    }
    if ('InstructionQuota' in refusal) {
        const q = refusal.InstructionQuota;
        return `sponsorship: instruction quota of ${q.limit} per window reached (${q.used} used); it resets at ${q.resets_at} ns`;
    }
    const q = refusal.GlobalCap;
    return `sponsorship: global cap of ${q.limit} calls per window reached; it resets at ${q.resets_at} ns`;
}
