/**
 * Who may do what in the wallet, as dfinity/cycles-wallet has it: controllers configure the wallet and spend
 * without limits; custodians spend within the limits a controller set (the original has no limits); everyone
 * else may only give the wallet cycles. These roles are the wallet's own, apart from the IC's controllers of
 * the wallet canister (who install and upgrade it).
 */
import type { Principal } from '@dfinity/principal';

import type { CustodianInfo, CustodianLimits } from './types';
import { EMPTY_WINDOW } from '../../sponsorship/window';
import type { WalletState } from './state';

/** The limits `authorize` gives: none, as in the original wallet. */
export const UNLIMITED: CustodianLimits = {
    cycles_per_window: [],
    window_seconds: 86_400n,
    canisters: [],
    methods: [],
    expires_at: []
};

/** Refused role changes, as the original wallet words them where it has a message. */
export class RoleError extends Error {
    override readonly name = 'RoleError';
}

/**
 * A role given to the anonymous principal (`2vxsx-fae`): anyone can call as it, so it would give the role to
 * everyone. `icp identity principal` prints it on a machine with no identity yet, which is how it gets here.
 */
export class AnonymousRoleError extends Error {
    override readonly name = 'AnonymousRoleError';
}

/** Refuses the anonymous principal as a controller or custodian, saying how to get a principal of one's own. */
export function requireNamedPrincipal(principal: Principal, role: 'controller' | 'custodian'): void {
    if (!principal.isAnonymous()) return;
    throw new AnonymousRoleError(
        `the anonymous principal (2vxsx-fae) cannot be a wallet ${role}: anyone can call as it. ` +
            'Create an identity first (`icp identity new <name>`, then `icp identity default <name>`) and pass the ' +
            'principal `icp identity principal` prints then.'
    );
}

const same = (a: Principal) => (b: Principal) => a.compareTo(b) === 'eq';

export function isController(state: WalletState, principal: Principal): boolean {
    return state.controllers.some(same(principal));
}

export function custodianOf(state: WalletState, principal: Principal): CustodianInfo | undefined {
    return state.custodians.find((c) => same(principal)(c.custodian));
}

/** Whether a custodian's authorization has expired: an expired custodian holds no role at all. */
export function expired(custodian: CustodianInfo, now: bigint): boolean {
    const [expiresAt] = custodian.limits.expires_at;
    return expiresAt !== undefined && now >= expiresAt;
}

/**
 * Controllers and unexpired custodians may read the wallet and spend; the wallet itself too (its own calls).
 * Authority follows status: a custodian past its `expires_at` may do no more than a stranger.
 */
export function canSpend(state: WalletState, principal: Principal, self: Principal, now: bigint): boolean {
    if (isController(state, principal) || same(self)(principal)) return true;
    const custodian = custodianOf(state, principal);
    return custodian !== undefined && !expired(custodian, now);
}

/** Adds a controller; a custodian who becomes a controller loses its limits with its custodianship. */
export function addController(state: WalletState, principal: Principal): WalletState {
    if (isController(state, principal)) return state;
    return {
        ...state,
        controllers: [...state.controllers, principal],
        custodians: state.custodians.filter((c) => !same(principal)(c.custodian))
    };
}

export function removeController(state: WalletState, principal: Principal): WalletState {
    if (!isController(state, principal)) throw new RoleError(`${principal.toText()} is not a controller`);
    if (state.controllers.length === 1) throw new RoleError('The wallet must have at least one controller.');
    return { ...state, controllers: state.controllers.filter((p) => !same(principal)(p)) };
}

/** Makes `principal` a custodian with these limits (replacing earlier ones); a controller stays a controller. */
export function authorize(state: WalletState, principal: Principal, limits: CustodianLimits): WalletState {
    if (isController(state, principal)) return state;
    const existing = custodianOf(state, principal);
    const info: CustodianInfo = { custodian: principal, limits, window: existing?.window ?? EMPTY_WINDOW };
    return { ...state, custodians: [...state.custodians.filter((c) => !same(principal)(c.custodian)), info] };
}

export function deauthorize(state: WalletState, principal: Principal): WalletState {
    if (custodianOf(state, principal) === undefined) throw new RoleError(`${principal.toText()} is not a custodian`);
    return { ...state, custodians: state.custodians.filter((c) => !same(principal)(c.custodian)) };
}
