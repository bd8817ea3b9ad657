/**
 * The wallet: its state, its rules and the calls it makes, apart from Azle. `index.ts` gives it the caller, the
 * time, the balance and the calls ({@link WalletEffects}); tests give it fakes and run it in Node.
 *
 * Every method that sends cycles changes the state before its await (the spend is reserved, the budget taken,
 * the deduplication key written) and reconciles after it with what the callee refunded, so a rejected call
 * never loses cycles from the books or counts them twice.
 */
import { Principal } from '@dfinity/principal';

import { compareBytes } from '../../ic/bytes';
import { c, InterCanisterCallError } from '../../candid';
import { CandidDecodeError, decoder } from '../../candid/wire';
import { CYCLE_PRICES } from '../../ic/cycle-prices';
import type { ReportAck, SponsorPolicy, UsageReport } from '../../sponsorship/policy';
import type {
    CanisterSettings,
    CustodianLimits,
    FundingReport,
    FundingSettings,
    MethodUsage,
    ProxyArgs,
    ProxyResult,
    SendCyclesArgs,
    SendCyclesResult,
    SponsorArgs,
    SpendRefusal,
    UsageRow,
    WalletEventKind
} from './types';
import { MAX_REPORTED_CALLERS_PER_METHOD } from '../../sponsorship/quota';
import { NANOS_PER_SECOND } from '../../ic/constants';
import { createdAtRefusal, dedupHorizon } from '../../icrc/deduplication';
import { MAX_EVENTS_PER_PAGE } from './events';
import { observe, planTopUp, replaceSponsored, runwaySeconds, settleTopUp, sponsoredOf } from './funding';
import * as roles from './roles';
import { describeSpendRefusal, reserveSpend, settleSpend, type Spend } from './spending';
import { newSponsored, newState, readUsageKey, sendKey, usageKey, type WalletState, type WalletStore } from './state';

/** Deduplication entries dropped per send, so pruning never makes one send expensive. */
const PRUNE_PER_SEND = 100;
/** Receives below this are accepted but not logged: a smaller gift would not pay for its own log entry. */
export const MIN_LOGGED_RECEIVE = 10_000_000n;
/** Sponsored canisters at most: a funding round calls each twice and must fit in one call context's budget. */
export const MAX_SPONSORED = 100;

const MANAGEMENT_CANISTER = Principal.managementCanister();

/** A caller without the role a method needs; the canister rejects the call with this message. */
export class WalletAccessError extends Error {
    override readonly name = 'WalletAccessError';
}

/**
 * The canisters a management call's argument names, whatever the method: every field that names the canister a
 * call acts on. No argument, or one that is no record, names none (the management canister would refuse a
 * canister-targeting call without them); undefined when the bytes are not Candid.
 */
const decodeTargets = decoder([
    c.opt(
        c.record({
            canister_id: c.opt(c.principal()),
            target_canister: c.opt(c.principal()),
            store_canister: c.opt(c.principal())
        })
    )
]);

type NamedTargets = { [K in 'canister_id' | 'target_canister' | 'store_canister']: [] | [Principal] };

function managementTargets(args: Uint8Array): Principal[] | undefined {
    try {
        const [named] = decodeTargets(args) as [[] | [NamedTargets]];
        const [record] = named;
        return record === undefined ? [] : [record.canister_id, record.target_canister, record.store_canister].flat();
    } catch (error) {
        if (error instanceof CandidDecodeError) return undefined;
        throw error;
    }
}

/** How long a funding round may take before a later one may start (its calls are answered well within it). */
export const ROUND_TIMEOUT_NS = 3_600n * NANOS_PER_SECOND;

/** Refused spends a caller's retries may add to the event log per {@link REFUSAL_LOG_WINDOW_NS}. */
export const MAX_LOGGED_REFUSALS = 10;
const REFUSAL_LOG_WINDOW_NS = 3_600n * NANOS_PER_SECOND;

/** Settings of a canister the wallet creates, as the management canister takes them. */
export type NewCanisterSettings = {
    controllers: Principal[];
    compute_allocation: bigint | undefined;
    memory_allocation: bigint | undefined;
    freezing_threshold: bigint | undefined;
};

/** What the wallet needs from the IC. */
export interface WalletEffects {
    readonly self: Principal;
    now(): bigint;
    balance(): bigint;
    /** Management `deposit_cycles` with `amount` attached; resolves to the refund. */
    depositCycles(canister: Principal, amount: bigint): Promise<bigint>;
    /** Forwards a call with cycles; resolves to the reply and the refund. */
    call(canister: Principal, method: string, args: Uint8Array, cycles: bigint): Promise<{ reply: Uint8Array; refunded: bigint }>;
    createCanister(settings: NewCanisterSettings, cycles: bigint): Promise<{ canister: Principal; refunded: bigint }>;
    /** A canister's cycle balance, from management `canister_status` (the wallet must be its controller). */
    balanceOf(canister: Principal): Promise<bigint>;
    /** The wallet's own freezing reserve, from its own `canister_status`. */
    ownReserve(): Promise<bigint>;
    /** Calls the canister's `sponsorship_set_policy`. */
    pushPolicy(canister: Principal, policy: SponsorPolicy): Promise<void>;
}

/** What a spend came to: the call's value, or the refusal, or the call's failure with its refund. */
export type SpendResult<T> =
    | { ok: true; value: T; event: bigint; refunded: bigint }
    | { ok: false; refusal: SpendRefusal }
    | { ok: false; failure: InterCanisterCallError; cycles: bigint };

/** A spend as the original wallet's methods answer it: the value, or the error as text. */
export type SpendOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** The id a spend gets when it logs no event. */
const NO_EVENT = -1n;

/** As the original wallet says it; a call may not forward to the wallet itself (it would bypass the limits). */
const FORWARD_TO_SELF = 'Attempted to call forward on self. This is not allowed. Call this method via a different custodian.';

function describeFailure({ failure, cycles }: { failure: InterCanisterCallError; cycles: bigint }): string {
    return `An error happened during the call: ${failure.rejectCode}: ${failure.message} (${cycles} cycles attached, ${failure.refunded} refunded)`;
}

function textOf<T>(result: SpendResult<T>): SpendOutcome<T> {
    if (result.ok) return { ok: true, value: result.value };
    if ('refusal' in result) return { ok: false, error: describeSpendRefusal(result.refusal) };
    return { ok: false, error: describeFailure(result) };
}

/** A forwarded call's outcome in icp-cli's proxy terms. */
function proxyResultOf(result: SpendResult<Uint8Array>): ProxyResult {
    if (result.ok) return { Ok: { result: result.value } };
    if (!('refusal' in result)) return { Err: { CallFailed: { reason: describeFailure(result) } } };
    const { refusal } = result;
    if ('NotAuthorized' in refusal) return { Err: { UnauthorizedUser: null } };
    if ('InsufficientCycles' in refusal) {
        const { available, requested } = refusal.InsufficientCycles;
        return { Err: { InsufficientCycles: { available, required: requested } } };
    }
    return { Err: { CallFailed: { reason: describeSpendRefusal(refusal) } } };
}

/** Cycles an ingress update costs the canister that runs it: reception plus execution, at 13-node prices. */
export function callCycles(calls: bigint, instructions: bigint): bigint {
    return calls * (CYCLE_PRICES.ingressMessage + CYCLE_PRICES.updateMessageBase) + instructions * CYCLE_PRICES.perInstruction;
}

export class Wallet {
    private loaded: WalletState | undefined;
    /** The state as stable memory holds it, to write only what a change replaced. */
    private saved: WalletState | undefined;
    /**
     * When the funding round under way started, or undefined. A time, not a flag: a trap in a later callback of
     * the round rolls back only that callback, so its `finally` never runs; a round older than
     * {@link ROUND_TIMEOUT_NS} is taken as abandoned instead of blocking every later one.
     */
    private roundStartedAt: bigint | undefined;

    /** Reads nothing yet: Azle runs the module once at build time, where there is no stable memory. */
    constructor(
        readonly store: WalletStore,
        private readonly effects: WalletEffects
    ) {}

    /** The state, read from stable memory on first use (after an upgrade, the previous version's). */
    private get state(): WalletState {
        if (this.loaded === undefined) {
            this.loaded = this.store.readState() ?? newState([]);
            this.saved = this.loaded;
        }
        return this.loaded;
    }

    /** First install: the given controllers, or the installer; never the anonymous principal. */
    initialize(installer: Principal, controllers: Principal[], funding: FundingSettings | undefined): void {
        const chosen = controllers.length > 0 ? controllers : [installer];
        for (const controller of chosen) roles.requireNamedPrincipal(controller, 'controller');
        this.saved = undefined;
        this.change(newState(chosen, funding));
    }

    get snapshot(): WalletState {
        return this.state;
    }

    // --- roles ---

    requireController(caller: Principal): void {
        if (!roles.isController(this.state, caller)) throw new WalletAccessError('Only a controller can call this method.');
    }

    /** Controllers, custodians and the wallet itself may read it and spend. */
    canRead(caller: Principal): boolean {
        return roles.canSpend(this.state, caller, this.effects.self, this.effects.now());
    }

    requireCustodian(caller: Principal): void {
        if (!this.canRead(caller)) {
            throw new WalletAccessError('Only a controller or custodian can call this method.');
        }
    }

    addController(caller: Principal, principal: Principal): void {
        this.requireController(caller);
        roles.requireNamedPrincipal(principal, 'controller');
        this.change(roles.addController(this.state, principal));
        this.log({ AddressAdded: { id: principal, name: [], role: { Controller: null } } });
    }

    removeController(caller: Principal, principal: Principal): string | undefined {
        this.requireController(caller);
        return this.tryRole(() => roles.removeController(this.state, principal), principal);
    }

    authorize(caller: Principal, principal: Principal, limits: CustodianLimits = roles.UNLIMITED): void {
        this.requireController(caller);
        if (limits.window_seconds === 0n) throw new WalletAccessError('window_seconds must be positive');
        roles.requireNamedPrincipal(principal, 'custodian');
        this.change(roles.authorize(this.state, principal, limits));
        this.log({ AddressAdded: { id: principal, name: [], role: { Custodian: null } } });
    }

    deauthorize(caller: Principal, principal: Principal): string | undefined {
        this.requireController(caller);
        return this.tryRole(() => roles.deauthorize(this.state, principal), principal);
    }

    private tryRole(change: () => WalletState, principal: Principal): string | undefined {
        try {
            this.change(change());
        } catch (error) {
            if (error instanceof roles.RoleError) return error.message;
            throw error;
        }
        this.log({ AddressRemoved: { id: principal } });
        return undefined;
    }

    // --- cycles in ---

    /** `wallet_receive`: the canister accepted `amount`; logs it if it is worth a log entry. */
    received(from: Principal, amount: bigint, memo: string | undefined): void {
        if (amount < MIN_LOGGED_RECEIVE) return;
        this.log({ CyclesReceived: { from, amount, memo: memo === undefined ? [] : [memo] } });
    }

    // --- cycles out ---

    /** `wallet_send`: deposits `amount` into `canister` through the management canister. */
    async send(caller: Principal, canister: Principal, amount: bigint): Promise<SpendOutcome<undefined>> {
        return textOf(await this.deposit(caller, canister, amount, () => undefined));
    }

    /** `send_cycles`: a send with typed errors, deduplicated by `created_at_time`. */
    async sendCycles(caller: Principal, args: SendCyclesArgs): Promise<SendCyclesResult> {
        this.requireCustodian(caller);
        const now = this.effects.now();
        const [createdAt] = args.created_at_time;
        let remember: ((event: bigint) => void) | undefined;
        let forget: (() => void) | undefined;
        if (createdAt !== undefined) {
            // ICRC-1's deduplication window, the drift allowed on both sides as ICRC-1's text says
            const refusal = createdAtRefusal(createdAt, now);
            if (refusal === 'TooOld') return { Err: { TooOld: null } };
            if (refusal === 'CreatedInFuture') return { Err: { CreatedInFuture: { wallet_time: now } } };
            this.store.pruneSends(dedupHorizon(now), PRUNE_PER_SEND);
            const key = sendKey(caller, args.canister, createdAt, args.amount);
            const duplicate = this.store.duplicateOf(key);
            if (duplicate === IN_FLIGHT) return { Err: { InProgress: null } };
            if (duplicate !== undefined) return { Err: { Duplicate: { duplicate_of: duplicate } } };
            remember = (event) => this.store.rememberSend(key, createdAt, event);
            forget = () => this.store.forgetSend(key, createdAt);
        }
        // marked in flight once the spend is reserved, before the await: a repeat meanwhile is InProgress
        const result = await this.deposit(caller, args.canister, args.amount, () => remember?.(IN_FLIGHT));
        if (result.ok) {
            remember?.(result.event);
            return { Ok: { event: result.event, sent: args.amount - result.refunded, refunded: result.refunded } };
        }
        if ('refusal' in result) return { Err: { Refused: result.refusal } };
        forget?.();
        const { rejectCode, message, refunded } = result.failure;
        return { Err: { Rejected: { code: rejectCode, message, refunded } } };
    }

    /** A deposit through the management canister, logged as a send whether or not it went through. */
    private deposit(
        caller: Principal,
        canister: Principal,
        amount: bigint,
        reserved: () => void
    ): Promise<SpendResult<undefined>> {
        return this.spend(
            caller,
            { canister, method: undefined, cycles: amount },
            async () => {
                reserved();
                return { refunded: await this.effects.depositCycles(canister, amount), value: undefined };
            },
            (refund) => ({ CyclesSent: { to: canister, amount, refund, by: caller } })
        );
    }

    /** `wallet_call`: forwards a call with cycles; the refund goes back to the custodian's window. */
    async call(
        caller: Principal,
        canister: Principal,
        method: string,
        args: Uint8Array,
        cycles: bigint
    ): Promise<SpendOutcome<Uint8Array>> {
        if (this.isSelf(canister)) return { ok: false, error: FORWARD_TO_SELF };
        return textOf(await this.forward(caller, canister, method, args, cycles));
    }

    /**
     * `proxy`: the same forwarded call under icp-cli's proxy interface, so `icp deploy --proxy <wallet>` creates,
     * installs and manages canisters through the wallet, paid from its balance and within the caller's limits.
     */
    async proxy(caller: Principal, request: ProxyArgs): Promise<ProxyResult> {
        if (!this.canRead(caller)) return { Err: { UnauthorizedUser: null } };
        if (this.isSelf(request.canister_id)) return { Err: { CallFailed: { reason: FORWARD_TO_SELF } } };
        return proxyResultOf(await this.forward(caller, request.canister_id, request.method, request.args, request.cycles));
    }

    private isSelf(canister: Principal): boolean {
        return canister.compareTo(this.effects.self) === 'eq';
    }

    private forward(
        caller: Principal,
        canister: Principal,
        method: string,
        args: Uint8Array,
        cycles: bigint
    ): Promise<SpendResult<Uint8Array>> {
        // Arguments the wallet cannot read name the wallet itself, which no custodian's limits allow: refused.
        // create_canister names no existing canister.
        const namesCanisters = canister.compareTo(MANAGEMENT_CANISTER) === 'eq' && method !== 'create_canister';
        const targets = () => (namesCanisters ? (managementTargets(args) ?? [this.effects.self]) : []);
        return this.spend(
            caller,
            { canister, method, cycles, targets },
            async () => {
                const answer = await this.effects.call(canister, method, args, cycles);
                return { refunded: answer.refunded, value: answer.reply };
            },
            // as in the original, only a call that went through is logged
            (refund, reply) =>
                reply === undefined ? undefined : { CanisterCalled: { canister, method_name: method, cycles, refund } }
        );
    }

    /** `wallet_create_canister`: creates a canister with `cycles`; its controllers default to the caller and the wallet. */
    async createCanister(caller: Principal, cycles: bigint, settings: CanisterSettings): Promise<SpendOutcome<Principal>> {
        const [controller] = settings.controller;
        const [controllers] = settings.controllers;
        if (controller !== undefined && controllers !== undefined) {
            return { ok: false, error: 'Cannot specify both controller and controllers in settings.' };
        }
        const chosen = controllers ?? (controller === undefined ? [caller, this.effects.self] : [controller]);
        const result = await this.spend(
            caller,
            { canister: MANAGEMENT_CANISTER, method: undefined, cycles },
            async () => {
                const answer = await this.effects.createCanister(
                    {
                        controllers: chosen,
                        compute_allocation: settings.compute_allocation[0],
                        memory_allocation: settings.memory_allocation[0],
                        freezing_threshold: settings.freezing_threshold[0]
                    },
                    cycles
                );
                return { refunded: answer.refunded, value: answer.canister };
            },
            (refund, canister) =>
                canister === undefined ? undefined : { CanisterCreated: { canister, cycles: cycles - refund } }
        );
        return textOf(result);
    }

    /**
     * Every spend: checks the caller and the limits, reserves the cycles, makes the call, gives back the refund
     * and logs the event (`eventOf` gets the value only when the call went through). Refusals are logged too, so
     * a controller sees what was tried.
     */
    private async spend<T>(
        caller: Principal,
        spend: Spend,
        perform: () => Promise<{ refunded: bigint; value: T }>,
        eventOf: (refund: bigint, value: T | undefined) => WalletEventKind | undefined
    ): Promise<SpendResult<T>> {
        this.requireCustodian(caller);
        const check = reserveSpend(this.state, caller, spend, this.effects.now(), this.effects.balance());
        if (!check.ok) {
            if (this.mayLogRefusal(caller))
                this.log({ SpendRefused: { caller, canister: spend.canister, cycles: spend.cycles, reason: check.refusal } });
            return { ok: false, refusal: check.refusal };
        }
        this.change(check.state);
        let done: { refunded: bigint; value: T };
        try {
            done = await perform();
        } catch (error) {
            const failure = asFailure(error, spend.cycles);
            this.change(settleSpend(this.state, check.reservation, failure.refunded));
            const kind = eventOf(failure.refunded, undefined);
            if (kind !== undefined) this.log(kind);
            return { ok: false, failure, cycles: spend.cycles };
        }
        this.change(settleSpend(this.state, check.reservation, done.refunded));
        const kind = eventOf(done.refunded, done.value);
        const event = kind === undefined ? NO_EVENT : this.log(kind);
        return { ok: true, value: done.value, event, refunded: done.refunded };
    }

    // --- sponsored canisters ---

    sponsor(caller: Principal, args: SponsorArgs): void {
        this.requireController(caller);
        const [budget] = args.budget;
        if (budget !== undefined && budget.period_seconds === 0n)
            throw new WalletAccessError('budget.period_seconds must be positive');
        const existing = sponsoredOf(this.state, args.canister);
        if (existing !== undefined) {
            this.change(
                replaceSponsored(this.state, { ...existing, name: args.name, strategy: args.strategy, budget: args.budget })
            );
            return;
        }
        if (this.state.sponsored.length >= MAX_SPONSORED)
            throw new WalletAccessError(`at most ${MAX_SPONSORED} sponsored canisters`);
        const s = newSponsored(args);
        const sponsored = [...this.state.sponsored, s].sort((a, b) =>
            compareBytes(a.canister.toUint8Array(), b.canister.toUint8Array())
        );
        this.change({ ...this.state, sponsored });
    }

    unsponsor(caller: Principal, canister: Principal): string | undefined {
        this.requireController(caller);
        if (sponsoredOf(this.state, canister) === undefined) return `${canister.toText()} is not sponsored`;
        this.change({ ...this.state, sponsored: this.state.sponsored.filter((s) => s.canister.compareTo(canister) !== 'eq') });
        return undefined;
    }

    setFunding(caller: Principal, funding: FundingSettings): void {
        this.requireController(caller);
        const [aggregate] = funding.aggregate_budget;
        if (aggregate !== undefined && aggregate.period_seconds === 0n) {
            throw new WalletAccessError('aggregate_budget.period_seconds must be positive');
        }
        this.change({ ...this.state, funding });
    }

    /**
     * A funding round: looks at each sponsored canister's balance and tops it up as its strategy and the budgets
     * allow. Runs from the timer and on demand; never two at once.
     */
    async fundRound(instructions: () => bigint): Promise<FundingReport> {
        const now = this.effects.now();
        if (this.roundStartedAt !== undefined && now < this.roundStartedAt + ROUND_TIMEOUT_NS)
            throw new WalletAccessError('a funding round is already in progress');
        this.roundStartedAt = now;
        const report = { checked: 0, topped_up: 0, refused: 0, cycles_sent: 0n, instructions: 0n };
        try {
            try {
                // awaited before the state is read: a spread of this.state evaluated before the await would write
                // back whatever other messages (usage reports, sends) committed meanwhile
                const reserve = await this.effects.ownReserve();
                this.change({ ...this.state, self_reserve: reserve });
            } catch {
                // the last known reserve stands
            }
            for (const canister of this.state.sponsored.map((s) => s.canister)) {
                const outcome = await this.fundOne(canister);
                report.checked += 1;
                if (outcome > 0n) {
                    report.topped_up += 1;
                    report.cycles_sent += outcome;
                } else if (outcome < 0n) report.refused += 1;
            }
        } finally {
            this.roundStartedAt = undefined;
        }
        report.instructions = instructions();
        return report;
    }

    /** Checks and tops up one canister: the cycles sent, 0 for nothing to do, -1 for a refusal. */
    private async fundOne(canister: Principal): Promise<bigint> {
        let balance: bigint;
        try {
            balance = await this.effects.balanceOf(canister);
            const s = sponsoredOf(this.state, canister);
            if (s === undefined) return 0n;
            this.change(replaceSponsored(this.state, observe(s, { balance, at: this.effects.now(), source: { Status: null } })));
        } catch (error) {
            const seen = sponsoredOf(this.state, canister)?.last_seen[0];
            const fresh = seen !== undefined && 'Report' in seen.source && this.isFresh(seen.at);
            if (!fresh) {
                const reason = error instanceof Error ? error.message : String(error);
                this.log({ TopUpRefused: { canister, wanted: 0n, reason: { BalanceUnknown: { reason } } } });
                return -1n;
            }
            balance = seen.balance;
        }
        const now = this.effects.now();
        const plan = planTopUp(this.state, canister, balance, this.effects.balance(), now);
        if (plan.kind === 'none') {
            this.warnIfLow(canister, balance);
            return 0n;
        }
        if (plan.kind === 'refused') {
            this.log({ TopUpRefused: { canister, wanted: plan.wanted, reason: plan.reason } });
            this.warnIfLow(canister, balance);
            return -1n;
        }
        this.change(plan.state);
        let refunded: bigint;
        try {
            refunded = await this.effects.depositCycles(canister, plan.amount);
        } catch (error) {
            const failure = asFailure(error, plan.amount);
            this.change(settleTopUp(this.state, canister, plan, failure.refunded, now));
            this.log({
                TopUpRefused: {
                    canister,
                    wanted: plan.wanted,
                    reason: { DepositFailed: { code: failure.rejectCode, message: failure.message } }
                }
            });
            return -1n;
        }
        this.change(settleTopUp(this.state, canister, plan, refunded, now));
        const sent = plan.amount - refunded;
        this.log({ TopUp: { canister, amount: plan.amount, refund: refunded, balance, wanted: plan.wanted } });
        this.warnIfLow(canister, balance + sent);
        return sent;
    }

    /** Logs a LowBalance event when the canister's runway (after any top-up) is under the warning level. */
    private warnIfLow(canister: Principal, balance: bigint): void {
        const s = sponsoredOf(this.state, canister);
        const runway = runwaySeconds(balance, s?.burn_per_second[0]);
        if (runway === undefined || runway >= this.state.funding.low_balance_runway_seconds) return;
        this.log({ LowBalance: { canister, balance, runway_seconds: [runway] } });
    }

    private isFresh(at: bigint): boolean {
        const interval = this.state.funding.check_interval_seconds;
        return this.effects.now() - at <= 2n * (interval === 0n ? 3_600n : interval) * NANOS_PER_SECOND;
    }

    /** Sets a sponsored canister's policy (with the next version) and pushes it; a failed push is retried by the next report. */
    async setPolicy(caller: Principal, canister: Principal, policy: SponsorPolicy): Promise<string | undefined> {
        this.requireController(caller);
        if (policy.window_seconds === 0n) return 'window_seconds must be positive';
        const s = sponsoredOf(this.state, canister);
        if (s === undefined) return `${canister.toText()} is not sponsored`;
        const versioned = { ...policy, version: (s.policy[0]?.version ?? 0n) + 1n };
        this.change(replaceSponsored(this.state, { ...s, policy: [versioned] }));
        let delivered = true;
        try {
            await this.effects.pushPolicy(canister, versioned);
        } catch {
            delivered = false;
        }
        this.log({ PolicySet: { canister, version: versioned.version, delivered } });
        return delivered
            ? undefined
            : `policy ${versioned.version} stored; the canister did not take it now and will get it with its next usage report`;
    }

    /** `report_usage`: a sponsored canister's usage since its last report; answers with a newer policy if any. */
    reportUsage(caller: Principal, report: UsageReport): ReportAck {
        const s = sponsoredOf(this.state, caller);
        if (s === undefined) throw new WalletAccessError('report_usage: the caller is not a sponsored canister');
        let next = observe(s, { balance: report.balance, at: this.effects.now(), source: { Report: null } });
        const usage = new Map<string, MethodUsage>(next.usage.map((u) => [u.method, u]));
        // Only the methods the canister's policy meters are recorded, at most the callers a report may name for
        // each (and one folded entry): a sponsored canister cannot grow its record or the usage rows with
        // made-up methods, or with more entries than the sponsorship module ever sends.
        const metered = new Set((next.policy[0]?.methods ?? []).map(([method]) => method));
        const perMethod = new Map<string, number>();
        for (const entry of report.entries) {
            if (!metered.has(entry.method)) continue;
            const count = (perMethod.get(entry.method) ?? 0) + 1;
            if (count > MAX_REPORTED_CALLERS_PER_METHOD + 1) continue;
            perMethod.set(entry.method, count);
            const total = usage.get(entry.method) ?? {
                method: entry.method,
                calls: 0n,
                refused: 0n,
                instructions: 0n,
                cycles: 0n
            };
            usage.set(entry.method, {
                method: entry.method,
                calls: total.calls + entry.calls,
                refused: total.refused + entry.refused,
                instructions: total.instructions + entry.instructions,
                cycles: total.cycles + callCycles(entry.calls, entry.instructions)
            });
            const key = usageKey(caller, entry.method, entry.caller[0]);
            const row = this.store.usage(key) ?? { calls: 0n, refused: 0n, instructions: 0n };
            this.store.writeUsage(key, {
                calls: row.calls + entry.calls,
                refused: row.refused + entry.refused,
                instructions: row.instructions + entry.instructions
            });
        }
        next = { ...next, usage: [...usage.values()] };
        this.change(replaceSponsored(this.state, next));
        const [policy] = next.policy;
        return { policy: policy !== undefined && policy.version > report.policy_version ? [policy] : [] };
    }

    /** Usage rows per canister, method and caller, `length` from `start` (at most a page). */
    usage(start: bigint, length: bigint): { rows: UsageRow[]; total: bigint } {
        const take = length > MAX_EVENTS_PER_PAGE ? MAX_EVENTS_PER_PAGE : length;
        const rows = this.store.usageRows(Number(start), Number(take)).map(([key, counters]): UsageRow => {
            const { canister, method, caller } = readUsageKey(key);
            return {
                canister: Principal.fromUint8Array(canister),
                method,
                caller: caller === undefined ? [] : [Principal.fromUint8Array(caller)],
                ...counters,
                cycles: callCycles(counters.calls, counters.instructions)
            };
        });
        return { rows, total: BigInt(this.store.usageCount()) };
    }

    // --- state ---

    private change(state: WalletState): void {
        this.loaded = state;
        this.save();
    }

    private save(): void {
        this.store.writeState(this.saved, this.state);
        this.saved = this.state;
    }

    /** Refusals logged per caller in the current hour (heap only: an upgrade starts the count afresh). */
    private readonly refusalsLogged = new Map<string, { since: bigint; count: number }>();

    /**
     * Whether this refusal goes into the event log: at most {@link MAX_LOGGED_REFUSALS} a caller an hour, so a
     * custodian retrying a refused spend cannot grow the log (kept forever) at the wallet's expense. Only
     * custodians and controllers get this far, so the table holds at most one entry each.
     */
    private mayLogRefusal(caller: Principal): boolean {
        const now = this.effects.now();
        const key = caller.toText();
        const seen = this.refusalsLogged.get(key);
        const current = seen === undefined || now >= seen.since + REFUSAL_LOG_WINDOW_NS ? { since: now, count: 0 } : seen;
        if (current.count >= MAX_LOGGED_REFUSALS) return false;
        this.refusalsLogged.set(key, { since: current.since, count: current.count + 1 });
        return true;
    }

    private log(kind: WalletEventKind): bigint {
        return this.store.appendEvent(this.effects.now(), kind);
    }
}

/** The deduplication value of a send still waiting for its answer. */
const IN_FLIGHT = 2n ** 64n - 1n;

function asFailure(error: unknown, attached: bigint): InterCanisterCallError {
    if (error instanceof InterCanisterCallError) return error;
    return new InterCanisterCallError(0, error instanceof Error ? error.message : String(error), attached);
}
