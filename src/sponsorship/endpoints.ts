/**
 * The three sponsorship methods (`sponsorshipMethods`) as one base class, so a sponsored canister serves them by
 * extending it instead of writing them again:
 *
 * ```ts
 * const sponsored = new SponsoredCanister(new Sponsorship(openStable(SPONSORSHIP_MEMORY)), azle);
 * export default class MyCanister extends sponsorshipEndpoints(sponsored, azle) { ... }
 * ```
 *
 * Azle registers a decorated method when the exported class is instantiated, inherited ones included. Azle's
 * exports come in as a parameter, as in `candid/implement.ts`, so this module loads in Node too.
 */
import type { Principal } from '@dfinity/principal';

import { type AzleApi, implement } from '../candid';
import type { SponsoredCanister } from './canister';
import { type SponsorPolicy, type SponsorshipConfig, sponsorshipService, type SponsorshipStatus } from './policy';

/** A base class serving `sponsorship_configure`, `sponsorship_set_policy` and `sponsorship_status` for `sponsored`. */
export function sponsorshipEndpoints(sponsored: SponsoredCanister, azle: AzleApi & { readonly msgCaller: () => Principal }) {
    const api = implement(sponsorshipService, azle);
    return class SponsorshipEndpoints {
        /** Controllers only: which wallet receives the usage reports and may set the policy. */
        @api.update('sponsorship_configure')
        sponsorship_configure(config: SponsorshipConfig): void {
            sponsored.configure(azle.msgCaller(), config);
        }

        /** The configured wallet or a controller. */
        @api.update('sponsorship_set_policy')
        sponsorship_set_policy(policy: SponsorPolicy): void {
            sponsored.setPolicy(azle.msgCaller(), policy);
        }

        @api.query('sponsorship_status')
        sponsorship_status(): SponsorshipStatus {
            return sponsored.sponsorship.status();
        }
    };
}
