/**
 * Wiring the suite, for `npm start` (on the local IC in process) and `npm run deploy` (through an agent, on the
 * local network or mainnet), as deploy.config.ts's `wiring` says: the wallet becomes a controller and the
 * funder of each sponsored canister, which meters its callers with its policy and reports usage to the wallet.
 * One function serves both, over the clients each one has.
 */
import type { Principal } from '@dfinity/principal';

import type { Sponsorship, SuiteWiring } from '../../deploy.config';
import type { walletService } from '../../src/canisters/wallet/service';
import { type ActorOf, defineService } from '../../src/candid';
import { sponsorshipMethods } from '../../src/sponsorship/policy';
import { formatCycles, ToolError } from './cli';

/** The methods every sponsored canister serves: all the wiring calls on it. */
export const sponsoredService = defineService({ methods: sponsorshipMethods });

/** The suite's canisters, called as the deployer (a controller of each). */
export type SuiteClients = {
    /** The id of each canister of dfx.json, by name. */
    readonly ids: ReadonlyMap<string, Principal>;
    /** A client of the wallet, once its id is known. */
    readonly wallet: (canister: Principal) => ActorOf<typeof walletService.methods>;
    /** A client of a sponsored canister's sponsorship methods. */
    readonly sponsored: (canister: Principal) => ActorOf<typeof sponsoredService.methods>;
    /** A canister's controllers now (the management canister's `canister_status`). */
    readonly controllersOf: (canister: Principal) => Promise<Principal[]>;
    /** The management canister's `update_settings`, as the deployer. */
    readonly setControllers: (canister: Principal, controllers: Principal[]) => Promise<void>;
};

/** A wired canister: its name, its id and what the wallet does for it. */
export type Wired = { readonly name: string; readonly id: Principal; readonly sponsorship: Sponsorship };

/**
 * Makes the wallet a controller (beside the deployer, and any controller a user added, which are kept) and the
 * funder of each sponsored canister, points their sponsorship at it and has it push their policies. Safe to run
 * again: each step sets, not adds. Returns the canisters it wired; none when dfx.json has no wallet.
 */
export async function wireSuite(clients: SuiteClients, deployer: Principal, wiring: SuiteWiring): Promise<Wired[]> {
    const walletId = clients.ids.get(wiring.wallet);
    if (walletId === undefined) return [];
    const wallet = clients.wallet(walletId);
    const wired: Wired[] = [];
    for (const [name, sponsorship] of Object.entries(wiring.sponsored) as [string, Sponsorship][]) {
        const id = clients.ids.get(name);
        if (id === undefined) throw new ToolError(`deploy.config.ts sponsors ${name}, which dfx.json does not have`);
        await clients.setControllers(id, withControllers(await clients.controllersOf(id), [deployer, walletId]));
        await wallet.sponsor_canister({
            canister: id,
            name: [name],
            strategy: sponsorship.strategy,
            budget: sponsorship.budget === undefined ? [] : [sponsorship.budget]
        });
        await clients
            .sponsored(id)
            .sponsorship_configure({ wallet: [walletId], report_interval_seconds: wiring.reportIntervalSeconds });
        const pushed = await wallet.set_sponsor_policy({ canister: id, policy: sponsorship.policy });
        if ('Err' in pushed) throw new Error(`the ${name} did not take its policy: ${pushed.Err}`);
        wired.push({ name, id, sponsorship });
    }
    return wired;
}

/** The controllers a canister has, with `added` among them (each once). */
export function withControllers(current: readonly Principal[], added: readonly Principal[]): Principal[] {
    const all = [...current];
    for (const p of added) if (!all.some((q) => q.compareTo(p) === 'eq')) all.push(p);
    return all;
}

/** What the wallet does for a wired canister, in a line: its funding and its policy. */
export function describeWired({ name, id, sponsorship }: Wired): string {
    const { strategy, budget, policy } = sponsorship;
    const funding =
        'BelowThreshold' in strategy
            ? `top up ${formatCycles(strategy.BelowThreshold.top_up)} below ${formatCycles(strategy.BelowThreshold.min_cycles)}`
            : 'BelowRunway' in strategy
              ? `top up to ${strategy.BelowRunway.target_seconds} s of runway below ${strategy.BelowRunway.min_seconds} s`
              : `${formatCycles(strategy.Fixed.amount)} every ${strategy.Fixed.interval_seconds} s`;
    const limit = budget === undefined ? '' : `, at most ${formatCycles(budget.max_cycles)} per ${budget.period_seconds} s`;
    const rules = policy.methods.map(([method, rule]) => `${method} ${rule.calls_per_window[0] ?? 'unlimited'}`).join(', ');
    return `${name} ${id.toText()}: ${funding}${limit}; per caller per ${policy.window_seconds} s: ${rules}`;
}
