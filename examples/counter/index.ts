/**
 * A counter canister: the whole pattern of the suite in a page. The decorators come from the service
 * description in `service.ts`, so the method signatures, the Candid interface and the argument checks cannot
 * drift apart. State lives in stable memory, so an upgrade keeps it.
 */
import * as azle from 'azle';
import { msgCaller, StableBTreeMap, time } from 'azle';

import { implement } from '../../src/candid';
import { counterService, type CounterInit, type IncrementArg, type IncrementResult, type LastIncrement } from './service';

const api = implement(counterService, azle);

/** Stable memory ids: each structure owns one for the life of the canister (never reuse or renumber). */
const MEMORY = { config: 0, count: 1, last: 2 } as const;

export default class Counter {
    config = new StableBTreeMap<'max_step', bigint>(MEMORY.config);
    count = new StableBTreeMap<'value', bigint>(MEMORY.count);
    last = new StableBTreeMap<'value', LastIncrement>(MEMORY.last);

    @api.init()
    init(arg: CounterInit): void {
        this.config.insert('max_step', arg.max_step);
    }

    @api.postUpgrade()
    postUpgrade(arg: CounterInit): void {
        this.config.insert('max_step', arg.max_step);
    }

    @api.query('get')
    get(): bigint {
        return this.count.get('value') ?? 0n;
    }

    @api.update('increment')
    increment(arg: IncrementArg): IncrementResult {
        const maxStep = this.config.get('max_step') ?? 1n;
        if (arg.by > maxStep) return { Err: { StepTooLarge: { max_step: maxStep } } };
        const next = this.get() + arg.by;
        this.count.insert('value', next);
        this.last.insert('value', { caller: msgCaller(), by: arg.by, memo: arg.memo, at_ns: time() });
        return { Ok: next };
    }

    @api.query('last_increment')
    last_increment(): [] | [LastIncrement] {
        const last = this.last.get('value');
        return last === undefined ? [] : [last];
    }
}
