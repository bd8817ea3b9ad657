/**
 * The template's rules and state layout, over byte maps so that they run in Node as in the canister: the
 * canister (`index.ts`) passes stable maps, a unit test heap maps.
 */
import type { Principal } from '@dfinity/principal';

import { readU64be, u64be } from '../../src/ic/bytes';
import { valueCodec } from '../../src/candid/wire';
import { Account } from '../../src/icrc/interface';
import type { ByteMap } from '../../src/ic/stable-maps';
import { Reading, type ReadingArg, type ReadingsError } from './service';

/** Stable memory ids: each map owns one for the life of the canister (never reuse or renumber). */
export const MEMORY = { latest: 0, counts: 1, payouts: 2 } as const;
/** The sponsorship module's own map. */
export const SPONSORSHIP_MEMORY = 3;

const readingCodec = valueCodec<Reading>(Reading);
const accountCodec = valueCodec<Account>(Account);
const utf8 = new TextEncoder();

/** A latest-reading key: the device's principal (length-prefixed, so no key is a prefix of another's) and the metric. */
function readingKey(device: Principal, metric: string): Uint8Array {
    const id = device.toUint8Array();
    const name = utf8.encode(metric);
    const key = new Uint8Array(1 + id.length + name.length);
    key[0] = id.length;
    key.set(id, 1);
    key.set(name, 1 + id.length);
    return key;
}

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
