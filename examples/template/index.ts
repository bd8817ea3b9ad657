/**
 * The template canister: the interface is `service.ts`, the state layout `state.ts`, the rules `readings.ts`; this file connects
 * them to Azle and to the suite's sponsorship module (`src/sponsorship`), which meters `submit` and
 * `set_payout` under the policy the suite's wallet sets and reports their use to it.
 */
import * as azle from 'azle';
import { inspectMessage, msgArgData, msgCaller, msgMethodName, StableBTreeMap, time } from 'azle';

import { implement } from '../../src/candid';
import type { Account } from '../../src/icrc/interface';
import { SponsoredCanister } from '../../src/sponsorship/canister';
import { sponsorshipEndpoints } from '../../src/sponsorship/endpoints';
import { Sponsorship } from '../../src/sponsorship/quota';
import { type ByteMap, mapsOf, RAW_BYTES } from '../../src/ic/stable-maps';
import { Readings } from './readings';
import { MEMORY, SPONSORSHIP_MEMORY } from './state';
import { type PayoutResult, type Reading, type ReadingArg, readingsService, type SubmitResult } from './service';

const openStable = (id: number): ByteMap => new StableBTreeMap<Uint8Array, Uint8Array>(id, RAW_BYTES, RAW_BYTES);

const readings = new Readings(mapsOf(MEMORY, openStable));
const sponsored = new SponsoredCanister(new Sponsorship(openStable(SPONSORSHIP_MEMORY)), azle);
/** The methods `service.ts` declares metered run through `sponsored`. */
const api = implement(readingsService, azle, { meter: sponsored });

/** Ingress larger than any valid argument is refused unread. */
const MAX_ARG_BYTES = 1_024;

/** The sponsorship methods (`sponsorship_configure`, `sponsorship_set_policy`, `sponsorship_status`) are inherited. */
export default class ReadingsCanister extends sponsorshipEndpoints(sponsored, azle) {
    @api.init()
    init(): void {
        sponsored.start();
    }

    @api.postUpgrade()
    postUpgrade(): void {
        sponsored.start(); // timers do not survive an upgrade
    }

    /** Refuses, before they cost cycles, unknown methods, oversized arguments and callers over their quota. */
    @inspectMessage({ manual: true })
    inspect(): boolean {
        const method = msgMethodName();
        if (!api.inspect(method, msgCaller()) || msgArgData().length > MAX_ARG_BYTES) return false;
        return sponsored.sponsorship.check(msgCaller(), method, time()) === undefined;
    }

    @api.update('submit')
    submit(arg: ReadingArg): SubmitResult {
        return readings.submit(msgCaller(), arg, time());
    }

    @api.update('set_payout')
    set_payout(account: Account): PayoutResult {
        return readings.setPayout(msgCaller(), account);
    }

    @api.query('latest')
    latest(arg: { device: azle.Principal; metric: string }): [] | [Reading] {
        const reading = readings.latest(arg.device, arg.metric);
        return reading === undefined ? [] : [reading];
    }

    @api.query('payout_of')
    payout_of(device: azle.Principal): [] | [Account] {
        const account = readings.payoutOf(device);
        return account === undefined ? [] : [account];
    }
}
