/**
 * What a sponsored canister wires in: the metering of its sponsored methods, the sponsorship methods' rules
 * (who may configure it and set its policy) and the timer that sends its usage to the wallet. Azle's exports come in as a parameter, as in
 * `candid/implement.ts`, so this module loads in Node too.
 */
import type { Principal } from '@dfinity/principal';

import { type CallAzle, canisterCalls, type CanisterCalls } from '../candid/call';
import { type ReportAck, type SponsorPolicy, type SponsorshipConfig, sponsorService } from './policy';
import { type CallOutcome, describeRefusal, type Sponsorship } from './quota';

/**
 * How a metered method's result reads: an `Err` variant is a failure, and so is a batch whose every result is
 * one (a batch result is a vector of `opt` results, each a one-element array); anything else succeeded.
 */
export function outcomeOf(result: unknown): CallOutcome {
    if (Array.isArray(result))
        return result.length > 0 && result.every((r) => outcomeOf(r) === 'failed') ? 'failed' : 'succeeded';
    return typeof result === 'object' && result !== null && 'Err' in result ? 'failed' : 'succeeded';
}

/** The part of Azle's exports this module uses; a canister passes Azle's module itself. */
export type SponsorAzle = CallAzle & {
    readonly setTimerInterval: (seconds: number, callback: () => Promise<void>) => bigint;
    readonly clearTimer: (id: bigint) => void;
    readonly canisterCycleBalance: () => bigint;
    readonly time: () => bigint;
    readonly isController: (principal: Principal) => boolean;
    readonly msgCaller: () => Principal;
    readonly performanceCounter: (counter: number) => bigint;
};

/** The reject a caller gets for a sponsorship method it may not call. */
export class SponsorshipAccessError extends Error {
    override readonly name = 'SponsorshipAccessError';
}

export class SponsoredCanister {
    private timer: bigint | undefined;
    private readonly canisters: CanisterCalls;

    constructor(
        readonly sponsorship: Sponsorship,
        private readonly azle: SponsorAzle
    ) {
        this.canisters = canisterCalls(azle);
    }

    /** Arms the report timer (call in init and post_upgrade; a timer does not survive an upgrade). */
    start(): void {
        if (this.timer !== undefined) this.azle.clearTimer(this.timer);
        this.timer = undefined;
        if (this.sponsorship.wallet === undefined) return;
        this.timer = this.azle.setTimerInterval(Number(this.sponsorship.reportIntervalSeconds), () => this.report());
    }

    /**
     * Runs a metered method: the policy admits the caller first (a refusal is answered with `refused(reason)` at
     * once, before any of the method's work), and the instructions of the whole call, its awaits included, are
     * recorded after, with whether it succeeded ({@link outcomeOf}): failures count apart from successes. For an async method, `body` and `refused` return promises.
     */
    metered<R>(method: string, refused: (reason: string) => R, body: () => R): R {
        const caller = this.azle.msgCaller();
        const refusal = this.sponsorship.admit(caller, method, this.azle.time());
        if (refusal !== undefined) return refused(describeRefusal(refusal));
        const settle = (outcome: CallOutcome) =>
            this.sponsorship.settle(caller, method, this.azle.performanceCounter(1), this.azle.time(), outcome);
        const result = body();
        if (result instanceof Promise) {
            // The call awaits: its admission is written now, not at its settle in a later message.
            this.sponsorship.flush();
            return result.then(
                (value: unknown) => {
                    settle(outcomeOf(value));
                    return value;
                },
                (error: unknown) => {
                    settle('failed');
                    throw error;
                }
            ) as R;
        }
        settle(outcomeOf(result));
        return result;
    }

    /**
     * Whether `caller` holds a role for this sponsorship method (`inspect_message` refuses ingress without one):
     * `sponsorship_configure` is for controllers, `sponsorship_set_policy` for the wallet and controllers; true
     * for any other method, which is not the module's to judge.
     */
    mayCall(caller: Principal, method: string): boolean {
        if (method === 'sponsorship_configure') return this.azle.isController(caller);
        if (method === 'sponsorship_set_policy') return this.isWallet(caller) || this.azle.isController(caller);
        return true;
    }

    private isWallet(caller: Principal): boolean {
        const wallet = this.sponsorship.wallet;
        return wallet !== undefined && wallet.compareTo(caller) === 'eq';
    }

    /** `sponsorship_configure`: controllers only. */
    configure(caller: Principal, config: SponsorshipConfig): void {
        if (!this.mayCall(caller, 'sponsorship_configure'))
            throw new SponsorshipAccessError('only a controller may configure sponsorship');
        if (config.report_interval_seconds === 0n) throw new SponsorshipAccessError('report_interval_seconds must be positive');
        this.sponsorship.configure(config);
        this.start();
    }

    /** `sponsorship_set_policy`: the configured wallet or a controller. */
    setPolicy(caller: Principal, policy: SponsorPolicy): void {
        if (!this.mayCall(caller, 'sponsorship_set_policy')) {
            throw new SponsorshipAccessError('only the sponsoring wallet or a controller may set the policy');
        }
        if (policy.window_seconds === 0n) throw new SponsorshipAccessError('window_seconds must be positive');
        this.sponsorship.setPolicy(policy);
    }

    /**
     * Sends the usage since the last report to the wallet and takes a newer policy from its answer. A report the
     * wallet did not receive is put back, so no usage is lost or counted twice.
     */
    async report(): Promise<void> {
        const wallet = this.sponsorship.wallet;
        if (wallet === undefined) return;
        const report = this.sponsorship.takeReport(this.azle.canisterCycleBalance(), this.azle.time());
        if (report === undefined) return;
        let ack: ReportAck;
        try {
            ack = await this.canisters.call({
                service: sponsorService,
                canister: wallet,
                method: 'report_usage',
                args: [report]
            });
        } catch {
            this.sponsorship.restore(report, this.azle.time());
            return;
        }
        this.sponsorship.reported();
        const [policy] = ack.policy;
        if (policy !== undefined) this.sponsorship.setPolicy(policy);
    }
}
