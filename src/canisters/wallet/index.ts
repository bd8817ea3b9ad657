/**
 * The wallet canister: a cycles wallet for the reverse-gas model (interface in `service.ts`). This file only
 * connects Azle to the wallet: the caller, the time, the balance and the IC's calls go in (as
 * {@link WalletEffects}), the wallet's answers come out. The rules live in `wallet.ts`, `roles.ts`,
 * `spending.ts` and `funding.ts`; the layout in `state.ts`.
 */
import { Principal } from '@dfinity/principal';
import * as azle from 'azle';
import {
    canisterCycleBalance,
    canisterSelf,
    clearTimer,
    inspectMessage,
    msgCaller,
    msgCyclesAccept,
    msgCyclesAvailable,
    msgMethodName,
    performanceCounter,
    setTimerInterval,
    StableBTreeMap,
    time,
    trap
} from 'azle';

import { canisterCalls, implement } from '../../candid';
import { type ByteMap, mapsOf, RAW_BYTES } from '../../ic/stable-maps';
import { preEncoded } from '../../candid/wire';
import { managementService, settingsArg } from '../../ic/management';
import { type ReportAck, type SponsorPolicy, sponsorshipService, type UsageReport } from '../../sponsorship/policy';
import type {
    CanisterSettings,
    CustodianInfo,
    CustodianLimits,
    Event,
    Event128,
    FundingReport,
    FundingSettings,
    ProxyArgs,
    ProxyResult,
    SendCyclesArgs,
    SendCyclesResult,
    SponsorArgs,
    SponsoredCanister,
    UsageRow,
    WalletEvent,
    WalletInit,
    WalletResult,
    WalletResultCall,
    WalletResultCreate
} from './types';
import { fitsU64, legacyEvents, legacyRange, MAX_EVENTS_PER_PAGE } from './events';
import { walletService } from './service';
import { MEMORY, WalletStore } from './state';
import { AnonymousRoleError } from './roles';
import { Wallet, WalletAccessError, type WalletEffects } from './wallet';
import { U64_MAX } from '../../ic/constants';

/** The cycles-wallet API version this wallet answers to (release 20240410). */
const API_VERSION = '0.3.2';

/** Stable maps with binary keys and values, opened on the memories `state.ts` assigns. */
const openStable = (id: number): ByteMap => new StableBTreeMap<Uint8Array, Uint8Array>(id, RAW_BYTES, RAW_BYTES);

const api = implement(walletService, azle);
const MANAGEMENT = Principal.managementCanister();
const canisters = canisterCalls(azle);

/** A canister's status, from the management canister (the wallet must be a controller of it). */
function statusOf(canister: Principal) {
    return canisters.call({
        service: managementService,
        canister: MANAGEMENT,
        method: 'canister_status',
        args: [{ canister_id: canister }]
    });
}

const effects: WalletEffects = {
    get self() {
        return canisterSelf();
    },
    now: () => time(),
    balance: () => canisterCycleBalance(),
    async depositCycles(canister, amount) {
        const deposited = await canisters.callWithRefund({
            service: managementService,
            canister: MANAGEMENT,
            method: 'deposit_cycles',
            args: [{ canister_id: canister }],
            cycles: amount
        });
        return deposited.refunded;
    },
    async call(canister, method, args, cycles) {
        const answer = await canisters.callRaw(canister, method, args, cycles);
        return { reply: answer.result, refunded: answer.refunded };
    },
    async createCanister(settings, cycles) {
        const created = await canisters.callWithRefund({
            service: managementService,
            canister: MANAGEMENT,
            method: 'create_canister',
            args: [
                {
                    settings: [
                        settingsArg({
                            controllers: settings.controllers,
                            computeAllocation: settings.compute_allocation,
                            memoryAllocation: settings.memory_allocation,
                            freezingThreshold: settings.freezing_threshold
                        })
                    ],
                    sender_canister_version: []
                }
            ],
            cycles
        });
        return { canister: created.result.canister_id, refunded: created.refunded };
    },
    async balanceOf(canister) {
        return (await statusOf(canister)).cycles;
    },
    async ownReserve() {
        const status = await statusOf(canisterSelf());
        return (status.idle_cycles_burned_per_day * status.settings.freezing_threshold) / 86_400n;
    },
    async pushPolicy(canister, policy) {
        await canisters.call({ service: sponsorshipService, canister, method: 'sponsorship_set_policy', args: [policy] });
    }
};

const wallet = new Wallet(new WalletStore(mapsOf(MEMORY, openStable)), effects);
let fundingTimer: bigint | undefined;

/**
 * A caller without the role, or a role given to the anonymous principal, gets a reject with the reason (the
 * original traps too); other errors pass.
 */
function rejectAccess(error: unknown): never {
    if (error instanceof WalletAccessError || error instanceof AnonymousRoleError) trap(error.message);
    throw error;
}

/** Runs a wallet method (and, for an async one, what it does after its awaits) under {@link rejectAccess}. */
function guarded<T>(body: () => T): T {
    try {
        const result = body();
        return (result instanceof Promise ? result.catch(rejectAccess) : result) as T;
    } catch (error) {
        return rejectAccess(error);
    }
}

/** (Re)arms the funding timer at the configured interval; a timer does not survive an upgrade. */
function armFundingTimer(): void {
    if (fundingTimer !== undefined) clearTimer(fundingTimer);
    fundingTimer = undefined;
    const seconds = wallet.snapshot.funding.check_interval_seconds;
    if (seconds === 0n) return;
    fundingTimer = setTimerInterval(Number(seconds), async () => {
        try {
            await wallet.fundRound(() => performanceCounter(1));
        } catch {
            // a round already in progress: this tick is skipped
        }
    });
}

function result(error: string | undefined): WalletResult {
    return error === undefined ? { Ok: null } : { Err: error };
}

function u64(amount: bigint, method: string): bigint {
    if (amount > U64_MAX) trap(`${method}: the amount does not fit in 64 bits; call ${method}128`);
    return amount;
}

type CallArgs = { canister: Principal; method_name: string; args: Uint8Array; cycles: bigint };
type EventRange = [] | [{ from: [] | [number]; to: [] | [number] }];

/** `wallet_send` and `wallet_send128`: the same send, the 64-bit one's amount already bounded by its type. */
async function send(arg: { canister: Principal; amount: bigint }): Promise<WalletResult> {
    const outcome = await guarded(() => wallet.send(msgCaller(), arg.canister, arg.amount));
    return outcome.ok ? { Ok: null } : { Err: outcome.error };
}

async function forward(arg: CallArgs): Promise<WalletResultCall> {
    const outcome = await guarded(() => wallet.call(msgCaller(), arg.canister, arg.method_name, arg.args, arg.cycles));
    return outcome.ok ? { Ok: { return: outcome.value } } : { Err: outcome.error };
}

async function create(arg: { cycles: bigint; settings: CanisterSettings }): Promise<WalletResultCreate> {
    const outcome = await guarded(() => wallet.createCanister(msgCaller(), arg.cycles, arg.settings));
    return outcome.ok ? { Ok: { canister_id: outcome.value } } : { Err: outcome.error };
}

function events128(range: EventRange): Event128[] {
    return guarded(() => {
        wallet.requireCustodian(msgCaller());
        const { start, end } = legacyRange(wallet.store.eventCount(), range[0]?.from[0], range[0]?.to[0]);
        return legacyEvents(wallet.store.events(start, end - start));
    });
}

/** Methods the wallet refuses in inspect_message: they are for canisters (which inspection never sees). */
const CANISTER_ONLY = new Set(['wallet_receive', 'report_usage']);

export default class WalletCanister {
    @api.init()
    init(arg: [] | [WalletInit]): void {
        const [config] = arg;
        guarded(() => wallet.initialize(msgCaller(), config?.controllers ?? [], config?.funding[0]));
        armFundingTimer();
    }

    @api.postUpgrade()
    postUpgrade(): void {
        armFundingTimer();
    }

    /**
     * Drops, before they cost the wallet cycles, ingress calls that could only fail: unknown methods, callers
     * without a role, and the methods meant for canisters. Every method repeats its own check: inspection does
     * not run for inter-canister calls, and a replica may skip it.
     */
    @inspectMessage({ manual: true })
    inspect(): boolean {
        const method = msgMethodName();
        if (!api.inspect(method, msgCaller()) || CANISTER_ONLY.has(method)) return false;
        return wallet.canRead(msgCaller());
    }

    @api.query('wallet_api_version')
    wallet_api_version(): string {
        return API_VERSION;
    }

    // --- roles ---

    @api.query('get_controllers')
    get_controllers(): Principal[] {
        return guarded(() => (wallet.requireCustodian(msgCaller()), wallet.snapshot.controllers));
    }

    @api.update('add_controller')
    add_controller(principal: Principal): void {
        guarded(() => wallet.addController(msgCaller(), principal));
    }

    @api.update('remove_controller')
    remove_controller(principal: Principal): WalletResult {
        return result(guarded(() => wallet.removeController(msgCaller(), principal)));
    }

    @api.query('get_custodians')
    get_custodians(): Principal[] {
        return guarded(() => (wallet.requireCustodian(msgCaller()), wallet.snapshot.custodians.map((c) => c.custodian)));
    }

    @api.update('authorize')
    authorize(principal: Principal): void {
        guarded(() => wallet.authorize(msgCaller(), principal));
    }

    @api.update('deauthorize')
    deauthorize(principal: Principal): WalletResult {
        return result(guarded(() => wallet.deauthorize(msgCaller(), principal)));
    }

    @api.update('authorize_with_limits')
    authorize_with_limits(arg: { custodian: Principal; limits: CustodianLimits }): void {
        guarded(() => wallet.authorize(msgCaller(), arg.custodian, arg.limits));
    }

    @api.query('get_custodian_limits')
    get_custodian_limits(): CustodianInfo[] {
        return guarded(() => (wallet.requireCustodian(msgCaller()), wallet.snapshot.custodians));
    }

    // --- cycles ---

    @api.query('wallet_balance')
    wallet_balance(): { amount: bigint } {
        return guarded(() => (wallet.requireCustodian(msgCaller()), { amount: u64(canisterCycleBalance(), 'wallet_balance') }));
    }

    @api.query('wallet_balance128')
    wallet_balance128(): { amount: bigint } {
        return guarded(() => (wallet.requireCustodian(msgCaller()), { amount: canisterCycleBalance() }));
    }

    /** Open to anyone: accepts every attached cycle. */
    @api.update('wallet_receive')
    wallet_receive(options: [] | [{ memo: [] | [string] }]): void {
        const amount = msgCyclesAccept(msgCyclesAvailable());
        wallet.received(msgCaller(), amount, options[0]?.memo[0]);
    }

    @api.update('wallet_send')
    async wallet_send(arg: { canister: Principal; amount: bigint }): Promise<WalletResult> {
        return send(arg);
    }

    @api.update('wallet_send128')
    async wallet_send128(arg: { canister: Principal; amount: bigint }): Promise<WalletResult> {
        return send(arg);
    }

    @api.update('send_cycles')
    async send_cycles(arg: SendCyclesArgs): Promise<SendCyclesResult> {
        return guarded(() => wallet.sendCycles(msgCaller(), arg));
    }

    @api.update('wallet_call')
    async wallet_call(arg: CallArgs): Promise<WalletResultCall> {
        return forward(arg);
    }

    @api.update('wallet_call128')
    async wallet_call128(arg: CallArgs): Promise<WalletResultCall> {
        return forward(arg);
    }

    /** icp-cli's proxy interface; a caller without a role gets `UnauthorizedUser`, as icp-cli's own proxy answers. */
    @api.update('proxy')
    async proxy(request: ProxyArgs): Promise<ProxyResult> {
        return guarded(() => wallet.proxy(msgCaller(), request));
    }

    @api.update('wallet_create_canister')
    async wallet_create_canister(arg: { cycles: bigint; settings: CanisterSettings }): Promise<WalletResultCreate> {
        return create(arg);
    }

    @api.update('wallet_create_canister128')
    async wallet_create_canister128(arg: { cycles: bigint; settings: CanisterSettings }): Promise<WalletResultCreate> {
        return create(arg);
    }

    // --- events ---

    @api.query('get_events')
    get_events(range: EventRange): Event[] {
        const events = events128(range);
        if (!events.every(fitsU64)) trap('get_events: an amount does not fit in 64 bits; call get_events128');
        return events as Event[];
    }

    @api.query('get_events128')
    get_events128(range: EventRange): Event128[] {
        return events128(range);
    }

    @api.query('wallet_events')
    wallet_events(request: { start: bigint; length: bigint }): { events: WalletEvent[]; total: bigint } {
        return guarded(() => {
            wallet.requireCustodian(msgCaller());
            const length = request.length > MAX_EVENTS_PER_PAGE ? MAX_EVENTS_PER_PAGE : request.length;
            const events = wallet.store
                .eventIds(request.start, length)
                .map((id) => preEncoded<WalletEvent>(wallet.store.eventBytes(id)));
            return { events, total: wallet.store.eventCount() };
        });
    }

    // --- funding the suite ---

    @api.update('sponsor_canister')
    sponsor_canister(arg: SponsorArgs): void {
        guarded(() => wallet.sponsor(msgCaller(), arg));
    }

    @api.update('unsponsor_canister')
    unsponsor_canister(canister: Principal): WalletResult {
        return result(guarded(() => wallet.unsponsor(msgCaller(), canister)));
    }

    @api.query('list_sponsored')
    list_sponsored(): SponsoredCanister[] {
        return guarded(() => (wallet.requireCustodian(msgCaller()), wallet.snapshot.sponsored));
    }

    @api.update('set_funding')
    set_funding(settings: FundingSettings): void {
        guarded(() => wallet.setFunding(msgCaller(), settings));
        armFundingTimer();
    }

    @api.query('get_funding')
    get_funding(): FundingSettings {
        return guarded(() => (wallet.requireCustodian(msgCaller()), wallet.snapshot.funding));
    }

    @api.update('fund_now')
    async fund_now(): Promise<FundingReport> {
        return guarded(() => {
            wallet.requireCustodian(msgCaller());
            return wallet.fundRound(() => performanceCounter(1));
        });
    }

    @api.update('set_sponsor_policy')
    async set_sponsor_policy(arg: { canister: Principal; policy: SponsorPolicy }): Promise<WalletResult> {
        return result(await guarded(() => wallet.setPolicy(msgCaller(), arg.canister, arg.policy)));
    }

    @api.update('report_usage')
    report_usage(report: UsageReport): ReportAck {
        return guarded(() => wallet.reportUsage(msgCaller(), report));
    }

    @api.query('get_usage')
    get_usage(request: { start: bigint; length: bigint }): { rows: UsageRow[]; total: bigint } {
        return guarded(() => (wallet.requireCustodian(msgCaller()), wallet.usage(request.start, request.length)));
    }
}
