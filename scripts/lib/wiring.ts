/**
 * Wiring the suite, for `npm start` (on the local IC in process) and `npm run deploy` (through an agent, on the
 * local network or mainnet): the wallet becomes a controller and the funder of the token and the registry,
 * which meter their callers with the policies below and report usage to it. One function serves both, over
 * the clients each one has.
 */
import type { Principal } from '@dfinity/principal';

import type { registryService } from '../../src/canisters/registry/service';
import type { tokenService } from '../../src/canisters/token/service';
import type { walletService } from '../../src/canisters/wallet/service';
import type { ActorOf } from '../../src/candid';
import type { MethodRule, SponsorPolicy } from '../../src/sponsorship/policy';

const T = 1_000_000_000_000n;

/** How often the token and the registry send their usage to the wallet. */
export const REPORT_INTERVAL_SECONDS = 60n;
/** What the token's sponsored methods allow each caller: 100 calls a minute, none from the anonymous principal. */
export const TOKEN_POLICY: SponsorPolicy = {
    version: 0n,
    window_seconds: 60n,
    methods: [
        ...['icrc1_transfer', 'icrc2_approve', 'icrc2_transfer_from', 'icrc4_transfer_batch'].map((m): [string, MethodRule] => [
            m,
            { refuse_anonymous: true, calls_per_window: [100n], instructions_per_window: [] }
        ]),
        // an update anyone may call (wallets ask before a signature, anonymously too): metered as well
        [
            'icrc21_canister_call_consent_message',
            { refuse_anonymous: false, calls_per_window: [100n], instructions_per_window: [] }
        ],
        // answered with ICRC-107's AccessDenied for anyone but a controller, and so metered too
        ['icrc107_set_fee_collector', { refuse_anonymous: true, calls_per_window: [10n], instructions_per_window: [] }]
    ],
    deny: [],
    allow: [],
    global_calls_per_window: [10_000n]
};

/** What the registry's sponsored methods allow each caller per 10 minutes (the heartbeat interval). */
export const REGISTRY_POLICY: SponsorPolicy = {
    version: 0n,
    window_seconds: 600n,
    methods: (
        [
            ['heartbeat', 3n],
            ['register_device', 20n],
            ['relay_heartbeats', 20n],
            ['register_devices', 20n],
            ['claim_device', 50n],
            ['claim_rewards', 10n]
        ] as const
    ).map(([method, calls]) => [method, { refuse_anonymous: true, calls_per_window: [calls], instructions_per_window: [] }]),
    deny: [],
    allow: [],
    global_calls_per_window: [100_000n]
};

/** The suite's canisters, called as the deployer (a controller of each). */
export type SuiteClients = {
    readonly ids: { readonly wallet: Principal; readonly token: Principal; readonly registry: Principal };
    readonly wallet: ActorOf<typeof walletService.methods>;
    readonly token: ActorOf<typeof tokenService.methods>;
    readonly registry: ActorOf<typeof registryService.methods>;
    /** The management canister's `update_settings`, as the deployer. */
    readonly setControllers: (canister: Principal, controllers: Principal[]) => Promise<void>;
};

/** What the wallet does for each canister it sponsors: top up 5T when it falls below 5T. */
const SPONSORED_STRATEGY = { BelowThreshold: { min_cycles: 5n * T, top_up: 5n * T } };

/**
 * Makes the wallet a controller (beside the deployer) and the funder of the token and the registry, points
 * their sponsorship at it and has it push their policies. Safe to run again: each step sets, not adds.
 */
export async function wireSuite(clients: SuiteClients, deployer: Principal): Promise<void> {
    const { ids, wallet } = clients;
    const targets = [
        { id: ids.token, name: 'token', actor: clients.token, policy: TOKEN_POLICY },
        { id: ids.registry, name: 'registry', actor: clients.registry, policy: REGISTRY_POLICY }
    ];
    for (const target of targets) {
        await clients.setControllers(target.id, [deployer, ids.wallet]);
        await wallet.sponsor_canister({ canister: target.id, name: [target.name], strategy: SPONSORED_STRATEGY, budget: [] });
        await target.actor.sponsorship_configure({ wallet: [ids.wallet], report_interval_seconds: REPORT_INTERVAL_SECONDS });
        const pushed = await wallet.set_sponsor_policy({ canister: target.id, policy: target.policy });
        if ('Err' in pushed) throw new Error(`the ${target.name} did not take its policy: ${pushed.Err}`);
    }
}
