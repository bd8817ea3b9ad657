/**
 * Init arguments for each canister of dfx.json, used by `npm start` (and, later, `npm run deploy`). Each entry
 * is type-checked against the canister's service description (its `init` schemas) and may use the deployer's
 * principal.
 */
import type { Principal } from '@dfinity/principal';

import type { counterService } from './examples/counter/service';
import { ledgerInit } from './src/canisters/token/deploy';
import type { tokenService } from './src/canisters/token/service';
import type { walletService } from './src/canisters/wallet/service';
import type { ArgsOf } from './src/shared/candid';
import type { FundingSettings } from './src/shared/wallet';

export type DeployContext = { readonly deployer: Principal };

export type DeployConfig = {
    counter: { init: (ctx: DeployContext) => ArgsOf<typeof counterService.init> };
    token: { init: (ctx: DeployContext) => ArgsOf<typeof tokenService.init> };
    wallet: { init: (ctx: DeployContext) => ArgsOf<typeof walletService.init> };
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
    counter: { init: () => [{ max_step: 1_000n }] },
    token: {
        init: ({ deployer }) => [
            ledgerInit({
                // minting from a subaccount of its own, so the deployer's default account holds the supply
                mintingAccount: { owner: deployer, subaccount: [Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0))] },
                transferFee: 10_000n,
                initialBalances: [[{ owner: deployer, subaccount: [] }, 1_000_000_000_000n]],
                symbol: 'DPN',
                name: 'DePIN Token',
                archiveController: deployer
            })
        ]
    },
    wallet: { init: ({ deployer }) => [[{ controllers: [deployer], funding: [SUITE_FUNDING] }]] }
};

export default config;
