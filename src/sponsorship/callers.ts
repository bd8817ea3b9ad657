/**
 * The sponsorship module's per-caller state, kept in its stable map so that neither its cost nor the heap grows
 * with the number of callers: each caller's windows on each metered method, and the callers whose calls succeeded
 * recently (admitted while a method's failures are at its cap). A look-up is one stable-map `get`; a fleet of a
 * million callers costs what a thousand do but for the map's depth.
 *
 * What keeps it bounded: every entry has an entry in an expiry index, ordered by the time it may be dropped, and
 * each entry added first prunes up to {@link PRUNE_PER_ADDITION} due index entries (the report timer prunes more,
 * {@link PRUNE_PER_REPORT}), so the book shrinks as fast as it grows and a prune step looks only at the index's
 * head. A due index entry whose caller was seen again meanwhile is moved to its new expiry instead (windows are
 * never re-indexed on the hot path: one index entry per caller, whatever it does). Beyond
 * {@link CallerLimits.maxCallers} callers, new ones are refused until an entry is due; beyond
 * {@link CallerLimits.maxTrusted} trusted callers, new successes are not remembered until one expires.
 *
 * Layout in the module's map (its other keys, `policy`, `config` and `totals`, start with a letter):
 *
 * | key                                             | value                                                     |
 * | ----------------------------------------------- | --------------------------------------------------------- |
 * | `0x00` ‖ due u64 BE ‖ entry key                 | empty: the expiry index                                   |
 * | `0x01` ‖ method length u16 BE ‖ method ‖ caller | calls window, instructions window (start, used: u64 BE each), trusted at u64 BE |
 * | `0x02` ‖ caller                                 | the time of a success, u64 BE                             |
 * | `0x03`                                          | callers u64 BE ‖ trusted callers u64 BE                   |
 *
 * Versions before this one kept callers on the heap and wrote none of these keys: after such an upgrade the
 * book starts empty, which gives each caller at most one extra window, as an upgrade always did.
 */
import { concat } from '@dfinity/candid';

import { readU64be, u64be } from '../ic/bytes';
import type { ByteMap } from '../ic/stable-maps';

/**
 * A caller's two fixed windows on one method (see `window.ts`: a window starts at the first use after the last
 * one ended; one with nothing used has ended), and when its success was last written to the trusted callers
 * (0: never). Flat and changed in place: the quota check runs in every metered call, and in a canister each
 * object made or bigint field read is thousands of instructions.
 */
export type CallerEntry = {
    callsStart: bigint;
    calls: bigint;
    instructionsStart: bigint;
    instructions: bigint;
    trustedAt: bigint;
};

/** How many callers the book holds at most: what bounds its stable memory. */
export type CallerLimits = { readonly maxCallers: number; readonly maxTrusted: number };

/** Index entries a new entry prunes first: more than one, so that the book shrinks as fast as it grows. */
export const PRUNE_PER_ADDITION = 2;
/** Index entries the report timer prunes: bounded, so that a report never costs more than a few dozen million. */
export const PRUNE_PER_REPORT = 400;
/** Prune steps an admission may take to make room when the book is full, before it refuses. */
const PRUNE_WHEN_FULL = 8;

const INDEX = 0x00;
const CALLER = 0x01;
const TRUSTED = 0x02;
/** The key of the counts of callers and trusted callers. */
export const COUNTS_KEY = Uint8Array.of(0x03);
const EMPTY = new Uint8Array(0);
const ENTRY_BYTES = 40;
const utf8 = new TextEncoder();

/** The prefix of a method's caller keys: `0x01` ‖ length ‖ name. */
export function methodPrefix(method: string): Uint8Array {
    const name = utf8.encode(method);
    const prefix = new Uint8Array(3 + name.length);
    prefix[0] = CALLER;
    new DataView(prefix.buffer).setUint16(1, name.length);
    prefix.set(name, 3);
    return prefix;
}

/** A caller's entry as stored. */
export function encodeEntry(entry: CallerEntry): Uint8Array {
    const bytes = new Uint8Array(ENTRY_BYTES);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, entry.callsStart);
    view.setBigUint64(8, entry.calls);
    view.setBigUint64(16, entry.instructionsStart);
    view.setBigUint64(24, entry.instructions);
    view.setBigUint64(32, entry.trustedAt);
    return bytes;
}

function decodeEntry(bytes: Uint8Array): CallerEntry {
    const view = new DataView(bytes.buffer, bytes.byteOffset, ENTRY_BYTES);
    return {
        callsStart: view.getBigUint64(0),
        calls: view.getBigUint64(8),
        instructionsStart: view.getBigUint64(16),
        instructions: view.getBigUint64(24),
        trustedAt: view.getBigUint64(32)
    };
}

/** The expiry index's key of an entry due at `due`. */
export function indexKey(due: bigint, key: Uint8Array): Uint8Array {
    const index = new Uint8Array(9 + key.length);
    index[0] = INDEX;
    new DataView(index.buffer).setBigUint64(1, due);
    index.set(key, 9);
    return index;
}

/** When both of an entry's windows of `windowNanos` have ended (a window with nothing used has no end). */
export function entryExpiry(entry: CallerEntry, windowNanos: bigint): bigint {
    const calls = entry.calls === 0n ? 0n : entry.callsStart + windowNanos;
    const instructions = entry.instructions === 0n ? 0n : entry.instructionsStart + windowNanos;
    return calls > instructions ? calls : instructions;
}

/** The counts of callers and trusted callers as stored. */
export function encodeCounts(counts: { callers: number; trusted: number }): Uint8Array {
    return concat(u64be(BigInt(counts.callers)), u64be(BigInt(counts.trusted)));
}

export class CallerBook {
    private counts: { callers: number; trusted: number } | undefined;
    /** Caller entries pruned by this instance: an entry read before is still in the book while it is unchanged. */
    removals = 0;

    constructor(
        private readonly map: ByteMap,
        readonly limits: CallerLimits,
        /** How long a success vouches for its caller, in nanoseconds. */
        private readonly trustNanos: bigint
    ) {}

    /** The caller's key on a method: the method's prefix ‖ the principal's bytes. */
    keyOf(prefix: Uint8Array, principal: Uint8Array): Uint8Array {
        const key = new Uint8Array(prefix.length + principal.length);
        key.set(prefix);
        key.set(principal, prefix.length);
        return key;
    }

    /** The caller's entry, if the book holds one (it may have ended: the windows say). */
    get(key: Uint8Array): CallerEntry | undefined {
        const bytes = this.map.get(key);
        return bytes === undefined ? undefined : decodeEntry(bytes);
    }

    /** Callers and trusted callers held now. */
    get size(): { callers: number; trusted: number } {
        return { ...this.loadCounts() };
    }

    /**
     * Whether a new caller can be added at `now` without going over the limit, read-only (for `inspect_message`):
     * true when there is room or an index entry is due, which may make room.
     */
    hasRoom(now: bigint): boolean {
        return this.loadCounts().callers < this.limits.maxCallers || this.headDue(now) !== undefined;
    }

    /** The earliest time an entry may be dropped, for a refusal's reset time; `now` when none is indexed. */
    nextDue(now: bigint): bigint {
        const [head] = this.map.items(0, 1);
        return head === undefined || head[0][0] !== INDEX ? now : readU64be(head[0], 1);
    }

    /**
     * Makes room for a new caller's entry and indexes it: first prunes due entries and, if the book is full, a
     * few more; answers false, changing nothing, when there is still no room. The caller then writes the entry.
     */
    reserve(key: Uint8Array, entry: CallerEntry, windowNanos: bigint, now: bigint): boolean {
        this.prune(now, PRUNE_PER_ADDITION, windowNanos);
        const counts = this.loadCounts();
        if (counts.callers >= this.limits.maxCallers) this.prune(now, PRUNE_WHEN_FULL, windowNanos, true);
        if (counts.callers >= this.limits.maxCallers) return false;
        counts.callers += 1;
        this.writeCounts();
        this.map.insert(indexKey(entryExpiry(entry, windowNanos), key), EMPTY);
        return true;
    }

    /** Writes a caller's entry, which the book holds or {@link CallerBook.reserve} made room for. */
    write(key: Uint8Array, entry: CallerEntry): void {
        this.map.insert(key, encodeEntry(entry));
    }

    /** Whether `principal` had a success written within the trust period before `now`. */
    isTrusted(principal: Uint8Array, now: bigint): boolean {
        const bytes = this.map.get(concat(Uint8Array.of(TRUSTED), principal));
        return bytes !== undefined && now < readU64be(bytes) + this.trustNanos;
    }

    /**
     * Records a success of `principal` at `now`. It writes only when the caller's entry has not recorded one
     * in the last `refreshNanos` (so trust lasts from the trust period less `refreshNanos` to the full period
     * after the last success), and sets the entry's `trustedAt`; the caller writes the entry.
     */
    trust(principal: Uint8Array, entry: CallerEntry, now: bigint, refreshNanos: bigint, windowNanos: bigint): void {
        if (entry.trustedAt !== 0n && now < entry.trustedAt + refreshNanos) return;
        const key = concat(Uint8Array.of(TRUSTED), principal);
        if (this.map.get(key) === undefined) {
            this.prune(now, PRUNE_PER_ADDITION, windowNanos);
            const counts = this.loadCounts();
            if (counts.trusted >= this.limits.maxTrusted) return;
            counts.trusted += 1;
            this.writeCounts();
            this.map.insert(indexKey(now + this.trustNanos, key), EMPTY);
        }
        this.map.insert(key, u64be(now));
        entry.trustedAt = now;
    }

    /**
     * Takes up to `limit` due index entries: drops the entries that have expired and moves the others (seen
     * again since they were indexed) to their new expiry. With `untilRoom`, stops once a caller was dropped.
     */
    prune(now: bigint, limit: number, windowNanos: bigint, untilRoom = false): void {
        const counts = this.loadCounts();
        const before = { ...counts };
        for (let step = 0; step < limit; step++) {
            const head = this.headDue(now);
            if (head === undefined) break;
            this.map.remove(head);
            const key = head.slice(9);
            const bytes = this.map.get(key);
            if (bytes === undefined) continue;
            const isCaller = key[0] === CALLER;
            const expiry = isCaller ? entryExpiry(decodeEntry(bytes), windowNanos) : readU64be(bytes) + this.trustNanos;
            if (expiry > now) {
                this.map.insert(indexKey(expiry, key), EMPTY);
                continue;
            }
            this.map.remove(key);
            if (isCaller) {
                counts.callers -= 1;
                this.removals += 1;
            } else counts.trusted -= 1;
            if (untilRoom && isCaller) break;
        }
        if (counts.callers !== before.callers || counts.trusted !== before.trusted) this.writeCounts();
    }

    /** The index's first key if it is due at `now`. */
    private headDue(now: bigint): Uint8Array | undefined {
        const [head] = this.map.items(0, 1);
        if (head === undefined) return undefined;
        const [key] = head;
        return key[0] === INDEX && readU64be(key, 1) <= now ? key : undefined;
    }

    private loadCounts(): { callers: number; trusted: number } {
        if (this.counts === undefined) {
            const bytes = this.map.get(COUNTS_KEY);
            this.counts =
                bytes === undefined
                    ? { callers: 0, trusted: 0 }
                    : { callers: Number(readU64be(bytes)), trusted: Number(readU64be(bytes, 8)) };
        }
        return this.counts;
    }

    private writeCounts(): void {
        this.map.insert(COUNTS_KEY, encodeCounts(this.loadCounts()));
    }
}
