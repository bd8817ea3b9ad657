/**
 * The wallet's state layout. Everything is in stable memory, so an upgrade keeps roles, limits, budgets,
 * sponsored canisters, usage and the whole event history; the heap holds a cache of `WalletState`, read on
 * first use after an upgrade. A change writes only the parts it replaced: the small core record, and each
 * sponsored canister in its own entry (a funding round changes one canister at a time).
 *
 * | memory | map            | key                                           | value                       |
 * | ------ | -------------- | --------------------------------------------- | --------------------------- |
 * | 0      | meta           | `state`                                       | WalletCore                  |
 * | 1      | events         | event id u64 BE                               | WalletEvent                 |
 * | 2      | usage          | canister ‖ method ‖ caller (each length-led)  | UsageCounters               |
 * | 3      | dedup          | send key (caller ‖ canister ‖ time ‖ amount)  | event id u64 BE             |
 * | 4      | dedup by time  | created_at_time u64 BE ‖ send key             | empty                       |
 * | 5      | sponsored      | canister principal bytes                      | SponsoredCanister           |
 *
 * Never renumber a memory or change a layout in place: an upgrade reads what the previous version wrote.
 */
import { concat } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';
import type * as z from 'zod/mini';

import { readU64be, u64be } from '../../ic/bytes';
import { c } from '../../candid';
import { valueCodec } from '../../candid/wire';
import { leb128 } from '../../ic/leb128';
import { type ByteMap, heapMapsOf, type MemoryByteMap } from '../../ic/stable-maps';
import { CustodianInfo, FundingSettings, type SponsorArgs, SponsoredCanister, WalletEvent, type WalletEventKind } from './types';
import { EMPTY_WINDOW, WindowState } from '../../sponsorship/window';

export const MEMORY = { meta: 0, events: 1, usage: 2, dedup: 3, dedupByTime: 4, sponsored: 5 } as const;

export type WalletMaps = { readonly [K in keyof typeof MEMORY]: ByteMap };

/** The same maps on the heap, for running the wallet's rules in Node. */
export function heapMaps(): Record<keyof typeof MEMORY, MemoryByteMap> {
    return heapMapsOf(MEMORY);
}

/** Everything but the sponsored canisters: roles, limits, funding settings, the aggregate budget's window. */
const WalletCore = c.record({
    controllers: c.vec(c.principal()),
    custodians: c.vec(CustodianInfo),
    funding: FundingSettings,
    aggregate_window: WindowState,
    /** The wallet's own freezing reserve, from its last look at its own `canister_status`. */
    self_reserve: c.nat()
});
type WalletCore = z.infer<typeof WalletCore>;

/** The wallet's state; `sponsored` is kept in the order of the canisters' principal bytes (the map's order). */
export type WalletState = WalletCore & { readonly sponsored: SponsoredCanister[] };

/** What a wallet starts with before its controllers configure funding. */
export const DEFAULT_FUNDING: FundingSettings = {
    check_interval_seconds: 3_600n,
    aggregate_budget: [],
    low_balance_runway_seconds: 7n * 86_400n,
    // The original wallet keeps 100B back in `wallet_call_with_max_cycles`; the same margin here.
    min_reserve: 100_000_000_000n
};

export function newState(controllers: Principal[], funding: FundingSettings = DEFAULT_FUNDING): WalletState {
    return { controllers, custodians: [], sponsored: [], funding, aggregate_window: EMPTY_WINDOW, self_reserve: 0n };
}

/** A canister the wallet starts to sponsor: nothing seen, sent or funded yet. */
export function newSponsored(args: SponsorArgs): SponsoredCanister {
    return {
        canister: args.canister,
        name: args.name,
        strategy: args.strategy,
        budget: args.budget,
        budget_window: EMPTY_WINDOW,
        last_seen: [],
        burn_per_second: [],
        sent_since_seen: 0n,
        last_fixed_at: [],
        funded_total: 0n,
        policy: [],
        usage: []
    };
}

export const UsageCounters = c.record({ calls: c.nat64(), refused: c.nat64(), instructions: c.nat64() });
export type UsageCounters = z.infer<typeof UsageCounters>;

const coreCodec = valueCodec<WalletCore>(WalletCore);
const sponsoredCodec = valueCodec<SponsoredCanister>(SponsoredCanister);
/** Events are stored in the reply's own encoding, so a page of them is copied into the reply, not re-encoded. */
const eventCodec = valueCodec<WalletEvent>(WalletEvent);
const usageCodec = valueCodec<UsageCounters>(UsageCounters);

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder();
const STATE_KEY = utf8.encode('state');

function coreChanged(a: WalletState, b: WalletState): boolean {
    return (
        a.controllers !== b.controllers ||
        a.custodians !== b.custodians ||
        a.funding !== b.funding ||
        a.aggregate_window !== b.aggregate_window ||
        a.self_reserve !== b.self_reserve
    );
}

/** A length-led field, so that concatenated keys cannot run into each other. */
function field(bytes: Uint8Array): Uint8Array {
    const out = new Uint8Array(bytes.length + 1);
    out[0] = bytes.length;
    out.set(bytes, 1);
    return out;
}

/** The key of a usage row: who served it, which method, which caller (empty for the folded callers). */
export function usageKey(canister: Principal, method: string, caller: Principal | undefined): Uint8Array {
    const callerBytes = caller === undefined ? new Uint8Array() : caller.toUint8Array();
    return concat(field(canister.toUint8Array()), field(utf8.encode(method)), field(callerBytes));
}

/** The parts of a usage key. */
export function readUsageKey(key: Uint8Array): { canister: Uint8Array; method: string; caller: Uint8Array | undefined } {
    let at = 0;
    const next = () => {
        const length = key[at] as number;
        const part = key.subarray(at + 1, at + 1 + length);
        at += 1 + length;
        return part;
    };
    const canister = next();
    const method = utf8Decode.decode(next());
    const caller = next();
    return { canister, method, caller: caller.length === 0 ? undefined : caller };
}

/** The deduplication key of a send: the same caller, canister, time and amount are the same send. */
export function sendKey(caller: Principal, canister: Principal, createdAt: bigint, amount: bigint): Uint8Array {
    return concat(field(caller.toUint8Array()), field(canister.toUint8Array()), u64be(createdAt), leb128(amount));
}

export class WalletStore {
    constructor(readonly maps: WalletMaps) {}

    readState(): WalletState | undefined {
        const bytes = this.maps.meta.get(STATE_KEY);
        if (bytes === undefined) return undefined;
        const sponsored = this.maps.sponsored.items().map(([, value]) => sponsoredCodec.decode(value));
        return { ...coreCodec.decode(bytes), sponsored };
    }

    /**
     * Writes what `next` replaced of `previous` (everything when there is no previous). State is never mutated,
     * only replaced, so a part that is the same object is unchanged and is not written again.
     */
    writeState(previous: WalletState | undefined, next: WalletState): void {
        if (previous === undefined || coreChanged(previous, next)) {
            const { sponsored: _, ...core } = next;
            this.maps.meta.insert(STATE_KEY, coreCodec.encode(core));
        }
        const before = previous?.sponsored ?? [];
        const sameCanisters =
            before.length === next.sponsored.length && before.every((s, i) => s.canister === next.sponsored[i]?.canister);
        if (!sameCanisters) for (const s of before) this.maps.sponsored.remove(s.canister.toUint8Array());
        next.sponsored.forEach((s, i) => {
            if (!sameCanisters || before[i] !== s)
                this.maps.sponsored.insert(s.canister.toUint8Array(), sponsoredCodec.encode(s));
        });
    }

    // --- events ---

    eventCount(): bigint {
        return BigInt(this.maps.events.len());
    }

    appendEvent(timestamp: bigint, kind: WalletEventKind): bigint {
        const id = this.eventCount();
        this.maps.events.insert(u64be(id), eventCodec.encode({ id, timestamp, kind }));
        return id;
    }

    /** The ids `start` .. `start + length` that exist (fewer at the end of the log). */
    eventIds(start: bigint, length: bigint): bigint[] {
        const total = this.eventCount();
        const end = start + length < total ? start + length : total;
        const ids: bigint[] = [];
        for (let id = start; id < end; id++) ids.push(id);
        return ids;
    }

    /** An event as stored: its Candid value encoding, which `preEncoded` splices into a reply. */
    eventBytes(id: bigint): Uint8Array {
        return this.maps.events.get(u64be(id)) as Uint8Array;
    }

    /** Events `start` .. `start + length`, decoded (for the original wallet's view, which reshapes them). */
    events(start: bigint, length: bigint): WalletEvent[] {
        return this.eventIds(start, length).map((id) => eventCodec.decode(this.eventBytes(id)));
    }

    // --- usage ---

    usage(key: Uint8Array): UsageCounters | undefined {
        const bytes = this.maps.usage.get(key);
        return bytes === undefined ? undefined : usageCodec.decode(bytes);
    }

    writeUsage(key: Uint8Array, counters: UsageCounters): void {
        this.maps.usage.insert(key, usageCodec.encode(counters));
    }

    usageRows(start: number, length: number): [Uint8Array, UsageCounters][] {
        return this.maps.usage.items(start, length).map(([key, value]) => [key, usageCodec.decode(value)]);
    }

    usageCount(): number {
        return Number(this.maps.usage.len());
    }

    // --- deduplication of sends ---

    duplicateOf(key: Uint8Array): bigint | undefined {
        const bytes = this.maps.dedup.get(key);
        return bytes === undefined ? undefined : readU64be(bytes);
    }

    rememberSend(key: Uint8Array, createdAt: bigint, event: bigint): void {
        this.maps.dedup.insert(key, u64be(event));
        this.maps.dedupByTime.insert(concat(u64be(createdAt), key), new Uint8Array());
    }

    forgetSend(key: Uint8Array, createdAt: bigint): void {
        this.maps.dedup.remove(key);
        this.maps.dedupByTime.remove(concat(u64be(createdAt), key));
    }

    /** Drops sends created before `before`, at most `limit` of them (the oldest first). */
    pruneSends(before: bigint, limit: number): number {
        let pruned = 0;
        for (const [key] of this.maps.dedupByTime.items(0, limit)) {
            if (readU64be(key) >= before) break;
            this.maps.dedupByTime.remove(key);
            this.maps.dedup.remove(key.subarray(8));
            pruned++;
        }
        return pruned;
    }
}
