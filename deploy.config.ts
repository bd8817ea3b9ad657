/**
 * How the suite is deployed, used by `npm start` and `npm run deploy`:
 *
 * - the init arguments of each canister of dfx.json (`config`, the default export), type-checked against the
 *   canister's service description (its `init` schemas), which may use the deployer's principal and the other
 *   canisters' ids; `upgrade` gives the argument of an upgrade where the canister takes one (none when absent);
 * - the wiring (`wiring`): which canister is the wallet, and which canisters it controls, funds and meters, with
 *   each one's funding strategy, budget and sponsorship policy (`scripts/lib/wiring.ts` applies it).
 */
import type { Principal } from '@dfinity/principal';

import type { counterService } from './examples/counter/service';
import type { ledgerIndexService } from './src/canisters/ledger_index/service';
import type { registryService } from './src/canisters/registry/service';
import { ledgerInit } from './src/canisters/token/deploy';
import type { tokenService } from './src/canisters/token/service';
import type { walletService } from './src/canisters/wallet/service';
import type { AnySchema, ArgsOf } from './src/candid';
import type { Budget, FundingSettings, FundingStrategy } from './src/canisters/wallet/types';
import type { MethodRule, SponsorPolicy, sponsorshipMethods } from './src/sponsorship/policy';

export type DeployContext = {
    readonly deployer: Principal;
    /** The id of a canister of dfx.json: every canister is created before any is installed. */
    readonly canister: (name: keyof DeployConfig) => Principal;
};

/**
 * A canister's install and upgrade arguments. Azle decodes `post_upgrade`'s argument with the init types (the
 * glue registers both with them), so a canister whose init takes arguments needs `upgrade` too: a missing one
 * is a type error here rather than a decoding trap at the upgrade. A canister whose `post_upgrade` ignores the
 * argument still gets one of the right type (its init argument again is the simplest).
 */
export type CanisterDeploy<I extends readonly AnySchema[]> = {
    init: (ctx: DeployContext) => ArgsOf<I>;
} & (I extends readonly [] ? { upgrade?: (ctx: DeployContext) => ArgsOf<I> } : { upgrade: (ctx: DeployContext) => ArgsOf<I> });

export type DeployConfig = { [K in keyof CanisterServices]: CanisterDeploy<CanisterServices[K]['init']> };

const T = 1_000_000_000_000n;

/** The service of each canister of dfx.json, by name. */
type CanisterServices = {
    counter: typeof counterService;
    token: typeof tokenService;
    ledger_index: typeof ledgerIndexService;
    wallet: typeof walletService;
    registry: typeof registryService;
};

/** The canisters that serve the sponsorship methods, and so can be metered by the wallet. */
export type SponsorableCanister = {
    [K in keyof CanisterServices]: keyof typeof sponsorshipMethods extends keyof CanisterServices[K]['methods'] ? K : never;
}[keyof CanisterServices];

/** What the wallet does for a canister it sponsors. */
export type Sponsorship = {
    /** When and how much it tops the canister up. */
    readonly strategy: FundingStrategy;
    /** At most this much for this canister per period, besides the wallet's budget for all. */
    readonly budget?: Budget;
    /** What each caller of the canister's sponsored methods may do; the wallet pushes it to the canister. */
    readonly policy: SponsorPolicy;
};

export type SuiteWiring = {
    /** The canister that funds the others and receives their usage reports. */
    readonly wallet: 'wallet';
    /** How often each sponsored canister sends its usage to the wallet. */
    readonly reportIntervalSeconds: bigint;
    /** The canisters the wallet controls (beside the deployer), funds and meters. */
    readonly sponsored: Readonly<Partial<Record<SponsorableCanister, Sponsorship>>>;
};

/** How the wallet funds the suite: a funding round every hour, at most 25T cycles per day in all. */
export const SUITE_FUNDING: FundingSettings = {
    check_interval_seconds: 3_600n,
    aggregate_budget: [{ max_cycles: 25n * T, period_seconds: 86_400n }],
    low_balance_runway_seconds: 7n * 86_400n,
    min_reserve: 100_000_000_000n
};

function registryInit({ canister }: DeployContext): ArgsOf<typeof registryService.init> {
    return [
        {
            token: [canister('token')],
            // a heartbeat counts once per 10 minutes; an hour-long epoch (6 intervals) pays devices up at
            // least half of it
            epochs: { heartbeat_interval_seconds: 600n, epoch_seconds: 3_600n, min_uptime_percent: 50 },
            // 0.0001 DPN (8 decimals) per counted heartbeat, at most 10 DPN per epoch in all
            rewards: { reward_per_heartbeat: 10_000n, epoch_cap: 1_000_000_000n }
        }
    ];
}

const config: DeployConfig = {
    // the counter's post_upgrade takes its init argument again (it re-reads max_step)
    counter: { init: () => [{ max_step: 1_000n }], upgrade: () => [{ max_step: 1_000n }] },
    token: {
        init: ({ deployer, canister }) => [
            ledgerInit({
                // the registry mints device rewards: every token beyond the initial balances is a reward claimed
                mintingAccount: { owner: canister('registry'), subaccount: [] },
                transferFee: 10_000n,
                initialBalances: [[{ owner: deployer, subaccount: [] }, 1_000_000_000_000n]],
                symbol: 'DPN',
                name: 'DePIN Token',
                archiveController: deployer,
                // wallets find the token's history through the index (ICRC-106)
                indexPrincipal: canister('ledger_index')
            })
        ],
        // DFINITY's ledger takes `Upgrade` with nothing to change
        upgrade: () => [{ Upgrade: [] }]
    },
    // index-ng's init: the ledger it indexes, the default sync intervals (1 s while blocks come, up to 10 s)
    ledger_index: {
        init: ({ canister }) => [
            [
                {
                    Init: {
                        ledger_id: canister('token'),
                        retrieve_blocks_from_ledger_interval_seconds: [],
                        min_retrieve_blocks_from_ledger_interval_seconds: [],
                        max_retrieve_blocks_from_ledger_interval_seconds: []
                    }
                }
            ]
        ],
        // index-ng's upgrade argument is optional: none keeps the ledger and the intervals it has
        upgrade: () => [[]]
    },
    wallet: {
        init: ({ deployer }) => [[{ controllers: [deployer], funding: [SUITE_FUNDING] }]],
        // the wallet's post_upgrade reads no argument (it re-arms its funding timer; its state stays)
        upgrade: () => [[]]
    },
    // the registry's post_upgrade decodes its init argument (Azle's rule) and ignores it: its settings stay
    registry: { init: registryInit, upgrade: registryInit }
};

export default config;

/** Every method of a policy with the same per-caller limit; none from the anonymous principal. */
function perCaller(methods: readonly (readonly [string, bigint])[]): [string, MethodRule][] {
    return methods.map(([method, calls]) => [
        method,
        { refuse_anonymous: true, calls_per_window: [calls], instructions_per_window: [] }
    ]);
}

/** Top up 5T when a canister falls below 5T. */
const TOP_UP_BELOW_5T: FundingStrategy = { BelowThreshold: { min_cycles: 5n * T, top_up: 5n * T } };

export const wiring: SuiteWiring = {
    wallet: 'wallet',
    reportIntervalSeconds: 60n,
    sponsored: {
        token: {
            strategy: TOP_UP_BELOW_5T,
            // 100 calls a minute per caller on the token's updates, none from the anonymous principal
            policy: {
                version: 0n,
                window_seconds: 60n,
                methods: [
                    ...perCaller(
                        ['icrc1_transfer', 'icrc2_approve', 'icrc2_transfer_from', 'icrc4_transfer_batch'].map(
                            (m) => [m, 100n] as const
                        )
                    ),
                    // an update anyone may call (wallets ask before a signature, anonymously too): metered as well
                    [
                        'icrc21_canister_call_consent_message',
                        { refuse_anonymous: false, calls_per_window: [100n], instructions_per_window: [] }
                    ],
                    // answered with ICRC-107's AccessDenied for anyone but a controller, and so metered too
                    ...perCaller([['icrc107_set_fee_collector', 10n]])
                ],
                deny: [],
                allow: [],
                global_calls_per_window: [10_000n]
            }
        },
        registry: {
            strategy: TOP_UP_BELOW_5T,
            // per caller per 10 minutes (the heartbeat interval)
            policy: {
                version: 0n,
                window_seconds: 600n,
                methods: perCaller([
                    ['heartbeat', 3n],
                    ['register_device', 20n],
                    ['relay_heartbeats', 20n],
                    ['register_devices', 20n],
                    ['claim_device', 50n],
                    ['claim_rewards', 10n]
                ]),
                deny: [],
                allow: [],
                global_calls_per_window: [100_000n]
            }
        }
    }
};
