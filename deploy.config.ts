/**
 * Init arguments for each canister of dfx.json, used by `npm start` and `npm run deploy`. Each entry is
 * type-checked against the canister's service description (its `init` schemas) and may use the deployer's
 * principal and the other canisters' ids. `upgrade` gives the argument of an upgrade where the canister takes
 * one (none when absent).
 */
import type { Principal } from '@dfinity/principal';

import type { counterService } from './examples/counter/service';
import type { ledgerIndexService } from './src/canisters/ledger_index/service';
import type { registryService } from './src/canisters/registry/service';
import { ledgerInit } from './src/canisters/token/deploy';
import type { tokenService } from './src/canisters/token/service';
import type { walletService } from './src/canisters/wallet/service';
import type { ArgsOf } from './src/candid';
import type { FundingSettings } from './src/canisters/wallet/types';

export type DeployContext = {
    readonly deployer: Principal;
    /** The id of a canister of dfx.json: every canister is created before any is installed. */
    readonly canister: (name: keyof DeployConfig) => Principal;
};

export type DeployConfig = {
    counter: {
        init: (ctx: DeployContext) => ArgsOf<typeof counterService.init>;
        upgrade?: (ctx: DeployContext) => ArgsOf<typeof counterService.init>;
    };
    token: {
        init: (ctx: DeployContext) => ArgsOf<typeof tokenService.init>;
        upgrade?: (ctx: DeployContext) => ArgsOf<typeof tokenService.init>;
    };
    ledger_index: { init: (ctx: DeployContext) => ArgsOf<typeof ledgerIndexService.init> };
    wallet: { init: (ctx: DeployContext) => ArgsOf<typeof walletService.init> };
    registry: { init: (ctx: DeployContext) => ArgsOf<typeof registryService.init> };
};

const T = 1_000_000_000_000n;

/** How the wallet funds the suite: a funding round every hour, at most 25T cycles per day in all. */
export const SUITE_FUNDING: FundingSettings = {
    check_interval_seconds: 3_600n,
    aggregate_budget: [{ max_cycles: 25n * T, period_seconds: 86_400n }],
    low_balance_runway_seconds: 7n * 86_400n,
    min_reserve: 100_000_000_000n
};

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
        ]
    },
    wallet: { init: ({ deployer }) => [[{ controllers: [deployer], funding: [SUITE_FUNDING] }]] },
    registry: {
        init: ({ canister }) => [
            {
                token: [canister('token')],
                // a heartbeat counts once per 10 minutes; an hour-long epoch (6 intervals) pays devices up at
                // least half of it
                epochs: { heartbeat_interval_seconds: 600n, epoch_seconds: 3_600n, min_uptime_percent: 50 },
                // 0.0001 DPN (8 decimals) per counted heartbeat, at most 10 DPN per epoch in all
                rewards: { reward_per_heartbeat: 10_000n, epoch_cap: 1_000_000_000n }
            }
        ]
    }
};

export default config;
