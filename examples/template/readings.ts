/**
 * The template's rules, over byte maps so that they run in Node as in the canister: the canister
 * (`index.ts`) passes stable maps, a unit test heap maps. The layout they read and write is `state.ts`.
 */
import type { Principal } from '@dfinity/principal';

import { readU64be, u64be } from '../../src/ic/bytes';
import type { Account } from '../../src/icrc/interface';
import type { ByteMap } from '../../src/ic/stable-maps';
import type { Reading, ReadingArg, ReadingsError } from './service';
import { accountCodec, type MEMORY, readingCodec, readingKey } from './state';

type Outcome<T> = { Ok: T } | { Err: ReadingsError };

export class Readings {
    constructor(private readonly maps: Record<keyof typeof MEMORY, ByteMap>) {}

    /** Stores the caller's reading and counts it. */
    submit(caller: Principal, arg: ReadingArg, now: bigint): Outcome<bigint> {
        if (caller.isAnonymous()) return { Err: { AnonymousCaller: null } };
        this.maps.latest.insert(readingKey(caller, arg.metric), readingCodec.encode({ value: arg.value, at_ns: now }));
        const countKey = caller.toUint8Array();
        const stored = this.maps.counts.get(countKey);
        const count = (stored === undefined ? 0n : readU64be(stored)) + 1n;
        this.maps.counts.insert(countKey, u64be(count));
        return { Ok: count };
    }

    setPayout(caller: Principal, account: Account): Outcome<null> {
        if (caller.isAnonymous()) return { Err: { AnonymousCaller: null } };
        this.maps.payouts.insert(caller.toUint8Array(), accountCodec.encode(account));
        return { Ok: null };
    }

    latest(device: Principal, metric: string): Reading | undefined {
        const bytes = this.maps.latest.get(readingKey(device, metric));
        return bytes === undefined ? undefined : readingCodec.decode(bytes);
    }

    payoutOf(device: Principal): Account | undefined {
        const bytes = this.maps.payouts.get(device.toUint8Array());
        return bytes === undefined ? undefined : accountCodec.decode(bytes);
    }
}
