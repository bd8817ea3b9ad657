/**
 * Sponsorship: the rules a sponsored canister applies to its callers so the cycles it spends on them stay
 * bounded, with the usage it reports to its wallet.
 *
 * A sponsored canister calls {@link Sponsorship.check} in `inspect_message` (ingress that would be refused never
 * reaches execution, so it costs nothing) and {@link Sponsorship.admit} at the start of each metered method
 * (inspection does not run for inter-canister calls and a replica may skip it, so the method repeats it), then
 * {@link Sponsorship.settle} with the instructions the call executed. The policy comes from the wallet and is
 * kept in stable memory; the per-caller counters live on the heap: they describe the current window only, and
 * an upgrade that clears them gives callers at most one extra window.
 *
 * What bounds the cost of a crowd: anyone can make new principals for free, so per-caller quotas alone do not;
 * the global cap does. It is kept per method, so that garbage sent to one method never uses up another's, and
 * as two counts, of the calls that succeeded and of those that failed (answered `Err`): failures cannot use up
 * what honest callers need. Once a method's failures reach the cap, only callers with a call that succeeded
 * in the last {@link TRUST_SECONDS} are admitted to it until the window ends; a crowd of fresh principals
 * sending garbage then costs each one refusal. Tracking callers is O(1) a call at any count: callers are kept in the order they
 * were last admitted, and only the least recent is looked at (and dropped once its windows have ended).
 */
import type { Principal } from '@dfinity/principal';

import { readU64be, u64be } from '../ic/bytes';
import type { ByteMap } from '../ic/stable-maps';
import { valueCodec } from '../candid/wire';
import { NANOS_PER_SECOND } from '../ic/constants';
import { charge, consume, current, EMPTY_WINDOW, resetsAt, type WindowState } from './window';
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

/** Callers tracked at once, whatever the policy: beyond it, new callers wait for the window to end. */
export const MAX_TRACKED_CALLERS = 100_000;
/** How long a call that succeeded vouches for its caller when a method's failures have reached the cap. */
export const TRUST_SECONDS = 86_400n;
/** Callers remembered as having succeeded, at most; the least recent is forgotten first. */
export const MAX_TRUSTED_CALLERS = 100_000;
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
    return String.fromCharCode.apply(null, principal.toUint8Array() as unknown as number[]);
}

const ANONYMOUS_KEY = String.fromCharCode(4);

const utf8 = new TextEncoder();
const POLICY_KEY = utf8.encode('policy');
const CONFIG_KEY = utf8.encode('config');
const TOTALS_KEY = utf8.encode('totals');
const policyCodec = valueCodec<SponsorPolicy>(SponsorPolicy);
const configCodec = valueCodec<SponsorshipConfig>(SponsorshipConfig);

/** A caller's windows on one method. */
type CallerWindows = { calls: WindowState; instructions: WindowState };
/** A method's global counts in the current window: calls that succeeded and calls that failed. */
type MethodWindows = { succeeded: WindowState; failed: WindowState };
/** How an admitted call ended: its result was an `Err` (or a batch of them), or not. */
export type CallOutcome = 'succeeded' | 'failed';
/** A call refused, or admitted with the global and caller windows that count it. */
type Verdict = { refusal: Refusal; key: string } | { refusal: undefined; key: string; windows: CallerWindows };
/** What the metered methods did since the canister was installed: admitted calls, their instructions, refusals. */
export type MeteredTotals = { calls: bigint; instructions: bigint; refused: bigint };

type Usage = { method: string; caller: Principal | undefined; calls: bigint; instructions: bigint; refused: bigint };

const DEFAULT_CONFIG: SponsorshipConfig = { wallet: [], report_interval_seconds: DEFAULT_REPORT_INTERVAL_SECONDS };

export class Sponsorship {
    private policy: SponsorPolicy = OPEN_POLICY;
    private config: SponsorshipConfig = DEFAULT_CONFIG;
    private rules = new Map<string, MethodRule>();
    private deny = new Set<string>();
    private allow: Set<string> | undefined;
    /** Callers in the order they were last admitted (a Map keeps insertion order), least recent first. */
    private readonly callers = new Map<string, CallerWindows>();
    private readonly methods = new Map<string, MethodWindows>();
    /** Principal keys of callers whose calls succeeded, with the time of the last, least recent first. */
    private readonly trusted = new Map<string, bigint>();
    /** Every admitted call, all methods together: reported in the status, not a limit. */
    private global: WindowState = EMPTY_WINDOW;
    private readonly usage = new Map<string, Usage>();
    private readonly namedPerMethod = new Map<string, number>();
    private usageSince: bigint | undefined;
    private reportsSent = 0n;
    private reportsFailed = 0n;
    private totals: MeteredTotals = { calls: 0n, instructions: 0n, refused: 0n };

    /**
     * Opens the module on its stable map. What an earlier version stored is read on first use, not here: Azle
     * runs a canister's module once at build time, where there is no stable memory.
     */
    constructor(private readonly store: ByteMap) {}

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
        return rule === undefined ? undefined : this.verdict(caller, method, rule, now).refusal;
    }

    /**
     * Admits a call to a metered method and counts it, or refuses it (counted in the report as refused). Call it
     * first in the method; unmetered methods are always admitted.
     */
    admit(caller: Principal, method: string, now: bigint): Refusal | undefined {
        this.load();
        const rule = this.rules.get(method);
        if (rule === undefined) return undefined;
        const verdict = this.verdict(caller, method, rule, now);
        const usage = this.usageOf(caller, method, now, verdict.key);
        if (verdict.refusal !== undefined) {
            usage.refused += 1n;
            this.totals.refused += 1n;
            return verdict.refusal;
        }
        this.global = charge(this.global, this.policy.window_seconds, 1n, now);
        this.track(verdict.key, verdict.windows, now);
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
        const key = `${method}\u0000${this.keyOf(caller)}`;
        const windows = this.callers.get(key);
        const seconds = this.policy.window_seconds;
        if (windows !== undefined) windows.instructions = charge(windows.instructions, seconds, instructions, now);
        const counts = this.methodWindows(method);
        if (outcome === 'succeeded') {
            counts.succeeded = charge(counts.succeeded, seconds, 1n, now);
            this.trust(this.keyOf(caller), now);
        } else counts.failed = charge(counts.failed, seconds, 1n, now);
        this.usageOf(caller, method, now, key).instructions += instructions;
        this.totals.instructions += instructions;
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

    /** The usage since the last report, emptied; undefined when nothing happened. */
    takeReport(balance: bigint, now: bigint): UsageReport | undefined {
        this.load();
        this.dropEnded(now, Infinity);
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
        return {
            config: this.config,
            policy: this.policy,
            global_window: this.global,
            tracked_callers: BigInt(this.callers.size),
            unreported_entries: BigInt(this.usage.size),
            reports_sent: this.reportsSent,
            reports_failed: this.reportsFailed
        };
    }

    private lastCaller: Principal | undefined;
    private lastKey = '';

    /** The caller's key; a call's admit, settle and report use the same Principal, converted once. */
    private keyOf(caller: Principal): string {
        if (caller !== this.lastCaller) {
            this.lastCaller = caller;
            this.lastKey = principalKey(caller);
        }
        return this.lastKey;
    }

    private use(policy: SponsorPolicy): void {
        this.policy = policy;
        this.rules = new Map(policy.methods);
        this.deny = new Set(policy.deny.map(principalKey));
        const [allow] = policy.allow;
        this.allow = allow === undefined ? undefined : new Set(allow.map(principalKey));
    }

    /**
     * Whether the policy admits this call now and, if it does, the windows with the call counted, computed once
     * for both the check and the admission (the quota check runs in every metered call: its cost is the
     * canister's).
     */
    private verdict(caller: Principal, method: string, rule: MethodRule, now: bigint): Verdict {
        const principal = this.keyOf(caller);
        const key = `${method}\u0000${principal}`;
        const windows = this.callers.get(key) ?? { calls: EMPTY_WINDOW, instructions: EMPTY_WINDOW };
        const refuse = (refusal: Refusal): Verdict => ({ refusal, key });
        if (this.deny.has(principal)) return refuse({ Denied: null });
        if (this.allow !== undefined && !this.allow.has(principal)) return refuse({ NotAllowed: null });
        if (rule.refuse_anonymous && principal === ANONYMOUS_KEY) return refuse({ Anonymous: null });
        const seconds = this.policy.window_seconds;
        const [globalLimit] = this.policy.global_calls_per_window;
        const known = this.callers.get(key);
        if (globalLimit !== undefined) {
            const counts = this.methods.get(method);
            const succeeded = current(counts?.succeeded ?? EMPTY_WINDOW, seconds, now);
            if (succeeded.used >= globalLimit)
                return refuse({ GlobalCap: { limit: globalLimit, resets_at: resetsAt(succeeded, seconds) } });
            const failed = current(counts?.failed ?? EMPTY_WINDOW, seconds, now);
            if (failed.used >= globalLimit && !this.isTrusted(principal, now))
                return refuse({ GlobalCap: { limit: globalLimit, resets_at: resetsAt(failed, seconds) } });
        }
        if (known === undefined && this.callers.size >= MAX_TRACKED_CALLERS && !this.leastRecentEnded(now)) {
            const [least] = this.callers.values();
            const resets = least === undefined ? now : this.endOf(least);
            return refuse({ GlobalCap: { limit: BigInt(MAX_TRACKED_CALLERS), resets_at: resets } });
        }
        const [callLimit] = rule.calls_per_window;
        let calls: WindowState;
        if (callLimit !== undefined) {
            const taken = consume(windows.calls, { limit: callLimit, seconds }, 1n, now);
            if (!taken.ok) return refuse({ CallQuota: { limit: callLimit, resets_at: taken.resetsAt } });
            calls = taken.state;
        } else calls = charge(windows.calls, seconds, 1n, now);
        const [instructionLimit] = rule.instructions_per_window;
        if (instructionLimit !== undefined) {
            const spent = current(windows.instructions, seconds, now);
            if (spent.used >= instructionLimit) {
                return refuse({
                    InstructionQuota: { limit: instructionLimit, used: spent.used, resets_at: resetsAt(spent, seconds) }
                });
            }
        }
        return { refusal: undefined, key, windows: { calls, instructions: windows.instructions } };
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

    /** Remembers a caller's success, at O(1): the least recent is forgotten when the table is full. */
    private trust(principal: string, now: bigint): void {
        this.trusted.delete(principal);
        this.trusted.set(principal, now);
        if (this.trusted.size > MAX_TRUSTED_CALLERS) {
            const [least] = this.trusted.keys();
            if (least !== undefined) this.trusted.delete(least);
        }
    }

    private isTrusted(principal: string, now: bigint): boolean {
        const at = this.trusted.get(principal);
        return at !== undefined && now < at + TRUST_SECONDS * NANOS_PER_SECOND;
    }

    private methodWindows(method: string): MethodWindows {
        let counts = this.methods.get(method);
        if (counts === undefined) this.methods.set(method, (counts = { succeeded: EMPTY_WINDOW, failed: EMPTY_WINDOW }));
        return counts;
    }

    /** When both of a caller's windows have ended (it would start afresh). */
    private endOf(windows: CallerWindows): bigint {
        const seconds = this.policy.window_seconds;
        const end = (w: WindowState) => (w.used === 0n ? 0n : resetsAt(w, seconds));
        const calls = end(windows.calls);
        const instructions = end(windows.instructions);
        return calls > instructions ? calls : instructions;
    }

    private leastRecentEnded(now: bigint): boolean {
        const [least] = this.callers.values();
        return least !== undefined && now >= this.endOf(least);
    }

    /**
     * Keeps the caller at the most recent end of the order, first dropping up to two least recent callers whose
     * windows have ended (so the table shrinks as fast as it grows, at O(1) a call).
     */
    private track(key: string, windows: CallerWindows, now: bigint): void {
        this.dropEnded(now, 2);
        this.callers.delete(key);
        this.callers.set(key, windows);
    }

    /**
     * Drops least recent callers whose windows have ended, at most `limit`. Only the least recent is ever looked
     * at: if its windows have not ended, it was admitted within the last window, and so were all the others.
     */
    private dropEnded(now: bigint, limit: number): void {
        for (let dropped = 0; dropped < limit; dropped++) {
            const [least] = this.callers;
            if (least === undefined || now < this.endOf(least[1])) return;
            this.callers.delete(least[0]);
        }
    }
}

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
