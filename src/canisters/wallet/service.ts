/**
 * The wallet's public interface. First the methods of dfinity/cycles-wallet that users and dfx rely on, with
 * the types of its `lib.did` (a test calls each one through a client written from that file); then what this
 * wallet adds ({@link WALLET_EXTENSIONS}). The implementation is `index.ts`.
 */
import { c, defineService, query, update } from '../../candid';
import { SponsorPolicy, sponsorMethods } from '../../sponsorship/policy';
import {
    Balance128,
    Balance64,
    CallArgs128,
    CallArgs64,
    CreateCanisterArgs,
    CreateCanisterArgs128,
    CustodianInfo,
    CustodianLimits,
    Event,
    Event128,
    EventRange,
    EventsPage,
    EventsRequest,
    FundingReport,
    FundingSettings,
    ProxyArgs,
    ProxyResult,
    ReceiveOptions,
    SendArgs128,
    SendArgs64,
    SendCyclesArgs,
    SendCyclesResult,
    SponsorArgs,
    SponsoredCanister,
    UsagePage,
    UsageRequest,
    WalletInit,
    WalletResult,
    WalletResultCall,
    WalletResultCreate
} from './types';

/** The methods this wallet serves beyond dfinity/cycles-wallet's. */
export const WALLET_EXTENSIONS = [
    'authorize_with_limits',
    'get_custodian_limits',
    'send_cycles',
    'sponsor_canister',
    'unsponsor_canister',
    'list_sponsored',
    'set_funding',
    'get_funding',
    'fund_now',
    'set_sponsor_policy',
    'report_usage',
    'get_usage',
    'wallet_events',
    'proxy'
] as const;

export const walletService = defineService({
    init: [c.opt(WalletInit)],
    methods: {
        wallet_api_version: query([], c.text()),

        get_controllers: query([], c.vec(c.principal())),
        add_controller: update([c.principal()]),
        remove_controller: update([c.principal()], WalletResult),
        get_custodians: query([], c.vec(c.principal())),
        authorize: update([c.principal()]),
        deauthorize: update([c.principal()], WalletResult),

        wallet_balance: query([], Balance64),
        wallet_balance128: query([], Balance128),
        wallet_send: update([SendArgs64], WalletResult),
        wallet_send128: update([SendArgs128], WalletResult),
        wallet_receive: update([c.opt(ReceiveOptions)]),
        wallet_create_canister: update([CreateCanisterArgs], WalletResultCreate),
        wallet_create_canister128: update([CreateCanisterArgs128], WalletResultCreate),
        wallet_call: update([CallArgs64], WalletResultCall),
        wallet_call128: update([CallArgs128], WalletResultCall),

        get_events: query([EventRange], c.vec(Event)),
        get_events128: query([EventRange], c.vec(Event128)),

        authorize_with_limits: update([c.record({ custodian: c.principal(), limits: CustodianLimits })]),
        get_custodian_limits: query([], c.vec(CustodianInfo)),
        send_cycles: update([SendCyclesArgs], SendCyclesResult),
        sponsor_canister: update([SponsorArgs]),
        unsponsor_canister: update([c.principal()], WalletResult),
        list_sponsored: query([], c.vec(SponsoredCanister)),
        set_funding: update([FundingSettings]),
        get_funding: query([], FundingSettings),
        fund_now: update([], FundingReport),
        set_sponsor_policy: update([c.record({ canister: c.principal(), policy: SponsorPolicy })], WalletResult),
        ...sponsorMethods,
        get_usage: query([UsageRequest], UsagePage),
        wallet_events: query([EventsRequest], EventsPage),
        /** icp-cli's proxy canister interface: `icp deploy --proxy <wallet>` (docs/deploy.md). */
        proxy: update([ProxyArgs], ProxyResult)
    }
});
