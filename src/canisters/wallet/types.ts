/**
 * The wallet's types. The first part mirrors dfinity/cycles-wallet's `wallet/src/lib.did` (commit b013764,
 * release 20240410) type for type, so dfx and clients written for that wallet work unchanged; the second is
 * what this wallet adds: custodian limits, sponsored canisters with funding strategies and budgets, typed
 * errors, usage per sponsored canister, and one event log with every kind.
 */
import type * as z from 'zod/mini';

import { c } from '../../candid';
import { SponsorPolicy } from '../../sponsorship/policy';
import { WindowState } from '../../sponsorship/window';

// --- dfinity/cycles-wallet ---

export const Role = c.named('Role', c.variant({ Contact: c.null(), Custodian: c.null(), Controller: c.null() }));

/** The event kinds of the original wallet, with 64-bit amounts (`get_events`) or 128-bit ones (`get_events128`). */
function legacyEventKind(amount: ReturnType<typeof c.nat> | ReturnType<typeof c.nat64>) {
    return c.variant({
        CyclesSent: c.record({ to: c.principal(), amount, refund: amount }),
        CyclesReceived: c.record({ from: c.principal(), amount, memo: c.opt(c.text()) }),
        AddressAdded: c.record({ id: c.principal(), name: c.opt(c.text()), role: Role }),
        AddressRemoved: c.record({ id: c.principal() }),
        CanisterCreated: c.record({ canister: c.principal(), cycles: amount }),
        CanisterCalled: c.record({ canister: c.principal(), method_name: c.text(), cycles: amount }),
        WalletDeployed: c.record({ canister: c.principal() })
    });
}
export const EventKind = c.named('EventKind', legacyEventKind(c.nat64()));
export const EventKind128 = c.named('EventKind128', legacyEventKind(c.nat()));
export const Event = c.named('Event', c.record({ id: c.nat32(), timestamp: c.nat64(), kind: EventKind }));
export const Event128 = c.named('Event128', c.record({ id: c.nat32(), timestamp: c.nat64(), kind: EventKind128 }));
export type EventKind128 = z.infer<typeof EventKind128>;
export type Event = z.infer<typeof Event>;
export type Event128 = z.infer<typeof Event128>;

export const ReceiveOptions = c.named('ReceiveOptions', c.record({ memo: c.opt(c.text()) }));
export const WalletResult = c.named('WalletResult', c.variant({ Ok: c.null(), Err: c.text() }));
export const WalletResultCreate = c.named(
    'WalletResultCreate',
    c.variant({ Ok: c.record({ canister_id: c.principal() }), Err: c.text() })
);
export const WalletResultCall = c.named('WalletResultCall', c.variant({ Ok: c.record({ return: c.blob() }), Err: c.text() }));
export type WalletResult = z.infer<typeof WalletResult>;
export type WalletResultCreate = z.infer<typeof WalletResultCreate>;
export type WalletResultCall = z.infer<typeof WalletResultCall>;

export const CanisterSettings = c.named(
    'CanisterSettings',
    c.record({
        controller: c.opt(c.principal()),
        controllers: c.opt(c.vec(c.principal())),
        compute_allocation: c.opt(c.nat()),
        memory_allocation: c.opt(c.nat()),
        freezing_threshold: c.opt(c.nat())
    })
);
export type CanisterSettings = z.infer<typeof CanisterSettings>;
export const CreateCanisterArgs = c.named('CreateCanisterArgs', c.record({ cycles: c.nat64(), settings: CanisterSettings }));
export const CreateCanisterArgs128 = c.named('CreateCanisterArgs128', c.record({ cycles: c.nat(), settings: CanisterSettings }));
export const SendArgs64 = c.record({ canister: c.principal(), amount: c.nat64() });
export const SendArgs128 = c.record({ canister: c.principal(), amount: c.nat() });
export const CallArgs64 = c.record({ canister: c.principal(), method_name: c.text(), args: c.blob(), cycles: c.nat64() });
export const CallArgs128 = c.record({ canister: c.principal(), method_name: c.text(), args: c.blob(), cycles: c.nat() });
export const EventRange = c.opt(c.record({ from: c.opt(c.nat32()), to: c.opt(c.nat32()) }));
export const Balance64 = c.record({ amount: c.nat64() });
export const Balance128 = c.record({ amount: c.nat() });

// --- icp-cli's proxy canister interface (dfinity/icp-cli, docs/guides/proxy-canister.md) ---

/** A call for the wallet to make on the caller's behalf, with cycles from the wallet's balance. */
export const ProxyArgs = c.named(
    'ProxyArgs',
    c.record({ canister_id: c.principal(), method: c.text(), args: c.blob(), cycles: c.nat() })
);
/** icp-cli decodes exactly these three cases; every other refusal is a `CallFailed` with its reason. */
export const ProxyError = c.named(
    'ProxyError',
    c.variant({
        InsufficientCycles: c.record({ available: c.nat(), required: c.nat() }),
        CallFailed: c.record({ reason: c.text() }),
        UnauthorizedUser: c.null()
    })
);
export const ProxyResult = c.named('ProxyResult', c.variant({ Ok: c.record({ result: c.blob() }), Err: ProxyError }));
export type ProxyArgs = z.infer<typeof ProxyArgs>;
export type ProxyResult = z.infer<typeof ProxyResult>;

// --- what this wallet adds ---

/** The limits a controller sets on a custodian; an absent limit is no limit. */
export const CustodianLimits = c.named(
    'CustodianLimits',
    c.record({
        cycles_per_window: c.opt(c.nat()),
        window_seconds: c.nat64(),
        /** The canisters it may send to, call or (with `aaaaa-aa`) create canisters through. */
        canisters: c.opt(c.vec(c.principal())),
        /** The methods it may call with `wallet_call`. */
        methods: c.opt(c.vec(c.text())),
        expires_at: c.opt(c.nat64())
    })
);
export type CustodianLimits = z.infer<typeof CustodianLimits>;

export const CustodianInfo = c.named(
    'CustodianInfo',
    c.record({ custodian: c.principal(), limits: CustodianLimits, window: WindowState })
);
export type CustodianInfo = z.infer<typeof CustodianInfo>;

/** Why the wallet refused to spend; reset times are IC time in nanoseconds. */
export const SpendRefusal = c.named(
    'SpendRefusal',
    c.variant({
        NotAuthorized: c.null(),
        Expired: c.record({ expired_at: c.nat64() }),
        CanisterNotAllowed: c.record({ canister: c.principal() }),
        MethodNotAllowed: c.record({ method_name: c.text() }),
        CycleLimit: c.record({
            limit: c.nat(),
            window_seconds: c.nat64(),
            used: c.nat(),
            requested: c.nat(),
            resets_at: c.nat64()
        }),
        InsufficientCycles: c.record({ available: c.nat(), requested: c.nat() })
    })
);
export type SpendRefusal = z.infer<typeof SpendRefusal>;

export const SendCyclesArgs = c.named(
    'SendCyclesArgs',
    c.record({
        canister: c.principal(),
        amount: c.nat(),
        /** Sends with the same caller, canister, amount and time within 24 hours are one send. */
        created_at_time: c.opt(c.nat64()),
        memo: c.opt(c.text())
    })
);
export type SendCyclesArgs = z.infer<typeof SendCyclesArgs>;

export const SendCyclesError = c.named(
    'SendCyclesError',
    c.variant({
        Refused: SpendRefusal,
        Duplicate: c.record({ duplicate_of: c.nat64() }),
        TooOld: c.null(),
        CreatedInFuture: c.record({ wallet_time: c.nat64() }),
        /** A send with the same fields is still waiting for its answer. */
        InProgress: c.null(),
        Rejected: c.record({ code: c.nat32(), message: c.text(), refunded: c.nat() })
    })
);
export type SendCyclesError = z.infer<typeof SendCyclesError>;
export const SendCyclesResult = c.named(
    'SendCyclesResult',
    c.variant({ Ok: c.record({ event: c.nat64(), sent: c.nat(), refunded: c.nat() }), Err: SendCyclesError })
);
export type SendCyclesResult = z.infer<typeof SendCyclesResult>;

/** Up to `max_cycles` per `period_seconds`. */
export const Budget = c.named('Budget', c.record({ max_cycles: c.nat(), period_seconds: c.nat64() }));
export type Budget = z.infer<typeof Budget>;

/** When and how much the wallet tops up a sponsored canister (after dfinity/canfund's strategies). */
export const FundingStrategy = c.named(
    'FundingStrategy',
    c.variant({
        /** Below `min_cycles`, send `top_up`. */
        BelowThreshold: c.record({ min_cycles: c.nat(), top_up: c.nat() }),
        /** With less than `min_seconds` of runway at the observed burn rate, top up to `target_seconds`. */
        BelowRunway: c.record({ min_seconds: c.nat64(), target_seconds: c.nat64() }),
        /** Send `amount` every `interval_seconds`. */
        Fixed: c.record({ amount: c.nat(), interval_seconds: c.nat64() })
    })
);
export type FundingStrategy = z.infer<typeof FundingStrategy>;

export const SponsorArgs = c.named(
    'SponsorArgs',
    c.record({ canister: c.principal(), name: c.opt(c.text()), strategy: FundingStrategy, budget: c.opt(Budget) })
);
export type SponsorArgs = z.infer<typeof SponsorArgs>;

export const MethodUsage = c.named(
    'MethodUsage',
    c.record({ method: c.text(), calls: c.nat64(), refused: c.nat64(), instructions: c.nat64(), cycles: c.nat() })
);
export type MethodUsage = z.infer<typeof MethodUsage>;

/** A balance the wallet saw, and where it came from. */
export const Observation = c.named(
    'Observation',
    c.record({ balance: c.nat(), at: c.nat64(), source: c.variant({ Status: c.null(), Report: c.null() }) })
);
export type Observation = z.infer<typeof Observation>;

export const SponsoredCanister = c.named(
    'SponsoredCanister',
    c.record({
        canister: c.principal(),
        name: c.opt(c.text()),
        strategy: FundingStrategy,
        budget: c.opt(Budget),
        budget_window: WindowState,
        last_seen: c.opt(Observation),
        /** Cycles per second, from successive balances and what the wallet sent in between. */
        burn_per_second: c.opt(c.nat()),
        /** What the wallet sent since `last_seen`, so a top-up does not read as negative burn. */
        sent_since_seen: c.nat(),
        last_fixed_at: c.opt(c.nat64()),
        funded_total: c.nat(),
        policy: c.opt(SponsorPolicy),
        /** What its callers cost, per method, from its usage reports. */
        usage: c.vec(MethodUsage)
    })
);
export type SponsoredCanister = z.infer<typeof SponsoredCanister>;

export const FundingSettings = c.named(
    'FundingSettings',
    c.record({
        /** How often the timer runs a funding round; 0 turns the timer off (rounds then run on demand only). */
        check_interval_seconds: c.nat64(),
        /** All sponsored canisters together, e.g. 25T per 24 h. */
        aggregate_budget: c.opt(Budget),
        /** A canister with less runway than this gets a LowBalance event. */
        low_balance_runway_seconds: c.nat64(),
        /** Cycles the wallet keeps for itself on top of its freezing reserve. */
        min_reserve: c.nat()
    })
);
export type FundingSettings = z.infer<typeof FundingSettings>;

export const BudgetScope = c.variant({ Canister: c.null(), Aggregate: c.null() });

export const FundingRefusal = c.named(
    'FundingRefusal',
    c.variant({
        BudgetExhausted: c.record({ scope: BudgetScope, max_cycles: c.nat(), used: c.nat(), resets_at: c.nat64() }),
        InsufficientCycles: c.record({ available: c.nat(), requested: c.nat() }),
        BalanceUnknown: c.record({ reason: c.text() }),
        DepositFailed: c.record({ code: c.nat32(), message: c.text() })
    })
);
export type FundingRefusal = z.infer<typeof FundingRefusal>;

/** Every event the wallet records. `get_events` shows the kinds the original wallet knows (top-ups as sends). */
export const WalletEventKind = c.named(
    'WalletEventKind',
    c.variant({
        CyclesSent: c.record({ to: c.principal(), amount: c.nat(), refund: c.nat(), by: c.principal() }),
        CyclesReceived: c.record({ from: c.principal(), amount: c.nat(), memo: c.opt(c.text()) }),
        AddressAdded: c.record({ id: c.principal(), name: c.opt(c.text()), role: Role }),
        AddressRemoved: c.record({ id: c.principal() }),
        CanisterCreated: c.record({ canister: c.principal(), cycles: c.nat() }),
        CanisterCalled: c.record({ canister: c.principal(), method_name: c.text(), cycles: c.nat(), refund: c.nat() }),
        SpendRefused: c.record({ caller: c.principal(), canister: c.principal(), cycles: c.nat(), reason: SpendRefusal }),
        TopUp: c.record({ canister: c.principal(), amount: c.nat(), refund: c.nat(), balance: c.nat(), wanted: c.nat() }),
        TopUpRefused: c.record({ canister: c.principal(), wanted: c.nat(), reason: FundingRefusal }),
        LowBalance: c.record({ canister: c.principal(), balance: c.nat(), runway_seconds: c.opt(c.nat64()) }),
        PolicySet: c.record({ canister: c.principal(), version: c.nat64(), delivered: c.bool() })
    })
);
export type WalletEventKind = z.infer<typeof WalletEventKind>;
export const WalletEvent = c.named('WalletEvent', c.record({ id: c.nat64(), timestamp: c.nat64(), kind: WalletEventKind }));
export type WalletEvent = z.infer<typeof WalletEvent>;

export const EventsPage = c.named('EventsPage', c.record({ events: c.vec(WalletEvent), total: c.nat64() }));
export const EventsRequest = c.named('EventsRequest', c.record({ start: c.nat64(), length: c.nat64() }));

export const FundingReport = c.named(
    'FundingReport',
    c.record({
        checked: c.nat32(),
        topped_up: c.nat32(),
        refused: c.nat32(),
        cycles_sent: c.nat(),
        /** Instructions of the whole round, across its awaits (performance counter 1). */
        instructions: c.nat64()
    })
);
export type FundingReport = z.infer<typeof FundingReport>;

export const UsageRow = c.named(
    'UsageRow',
    c.record({
        canister: c.principal(),
        method: c.text(),
        caller: c.opt(c.principal()),
        calls: c.nat64(),
        refused: c.nat64(),
        instructions: c.nat64(),
        /** Execution and ingress cycles at the 13-node prices (`src/ic/cycle-prices.ts`). */
        cycles: c.nat()
    })
);
export type UsageRow = z.infer<typeof UsageRow>;
export const UsageRequest = c.named('UsageRequest', c.record({ start: c.nat64(), length: c.nat64() }));
export const UsagePage = c.named('UsagePage', c.record({ rows: c.vec(UsageRow), total: c.nat64() }));

export const WalletInit = c.named('WalletInit', c.record({ controllers: c.vec(c.principal()), funding: c.opt(FundingSettings) }));
export type WalletInit = z.infer<typeof WalletInit>;
