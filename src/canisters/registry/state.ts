/**
 * The registry's state layout. Everything is in stable memory, so an upgrade keeps every device, owner,
 * count, uptime and reward. What a heartbeat touches is kept apart from what it does not: a device's
 * `Liveness` (status, nonce, heartbeat and reward counters) is a fixed 64-byte record read and written
 * without Candid, while its identity and ownership (`StoredDevice`, Candid) are read only by owner actions,
 * relayed heartbeats and queries.
 *
 * | memory | map             | key                                   | value                                   |
 * | ------ | --------------- | ------------------------------------- | --------------------------------------- |
 * | 0      | meta            | `core`                                | RegistryCore                            |
 * | 1      | manufacturers   | manufacturer principal                | StoredManufacturer                      |
 * | 2      | devices         | device principal                      | StoredDevice                            |
 * | 3      | liveness        | device principal                      | Liveness (64 bytes, below)              |
 * | 4      | uptime          | epoch u64 BE ‖ device principal       | heartbeats counted in the epoch, u32 BE |
 * | 5      | tallies         | epoch u64 BE                          | heartbeats u64 ‖ points u64 ‖ devices u32 |
 * | 6      | epochs          | epoch u64 BE                          | EpochSummary                            |
 * | 7-9    | group indexes   | see `groups.ts`                       |                                         |
 * | 10     | sponsorship     | see `src/sponsorship/quota.ts` |                                         |
 *
 * Never renumber a memory or change a layout in place: an upgrade reads what the previous version wrote.
 */
import type * as z from 'zod/mini';

import { readU64be, u64be } from '../../ic/bytes';
import { c } from '../../candid';
import { valueCodec } from '../../candid/wire';
import { Account } from '../../icrc/interface';
import {
    Delegate,
    DeviceKey,
    EpochSettings,
    EpochSummary,
    ManufacturerStatus,
    RewardSettings,
    StatusAuthority,
    type StatusKind
} from './types';
import { type ByteMap, heapMapsOf, type MemoryByteMap } from '../../ic/stable-maps';
import type { GroupMaps } from './groups';

export const MEMORY = {
    meta: 0,
    manufacturers: 1,
    devices: 2,
    liveness: 3,
    uptime: 4,
    tallies: 5,
    epochs: 6,
    groupEntries: 7,
    groupCounts: 8,
    groupPositions: 9
} as const;
export const SPONSORSHIP_MEMORY = 10;

export type RegistryMaps = { readonly [K in keyof typeof MEMORY]: ByteMap } & GroupMaps;

/** The same maps on the heap, for running the registry's rules in Node. */
export function heapMaps(): Record<keyof typeof MEMORY, MemoryByteMap> {
    return heapMapsOf(MEMORY);
}

/** An epoch being closed: what a point is worth in it and what was credited so far. */
const Closing = c.record({
    epoch: c.nat64(),
    per_point: c.nat(),
    capped: c.bool(),
    devices_rewarded: c.nat32(),
    rewarded: c.nat()
});
export type Closing = z.infer<typeof Closing>;

const RegistryCore = c.record({
    token: c.opt(c.principal()),
    epochs: EpochSettings,
    rewards: RewardSettings,
    genesis: c.nat64(),
    gateways: c.vec(c.principal()),
    next_epoch_to_close: c.nat64(),
    closing: c.opt(Closing),
    rewards_earned: c.nat(),
    rewards_claimed: c.nat()
});
export type RegistryCore = z.infer<typeof RegistryCore>;

const StoredManufacturer = c.record({
    name: c.text(),
    issuing_key: DeviceKey,
    quota: c.nat64(),
    status: ManufacturerStatus,
    added_at: c.nat64()
});
export type StoredManufacturer = z.infer<typeof StoredManufacturer>;

const StoredDevice = c.record({
    key: DeviceKey,
    manufacturer: c.principal(),
    registered_at: c.nat64(),
    owner: c.opt(c.principal()),
    beneficiary: c.opt(Account),
    delegates: c.vec(Delegate),
    /** Why, when and by whom the status (kept in Liveness) was last set. */
    status_reason: c.text(),
    status_changed_at: c.nat64(),
    status_by: StatusAuthority
});
export type StoredDevice = z.infer<typeof StoredDevice>;

export const STATUS_CODES = ['Active', 'Suspended', 'Revoked'] as const;
export type StatusName = (typeof STATUS_CODES)[number];

export function statusName(kind: StatusKind): StatusName {
    return Object.keys(kind)[0] as StatusName;
}

export function statusKind(name: StatusName): StatusKind {
    return { [name]: null } as StatusKind;
}

/** A device's hot record: everything a heartbeat reads or writes. */
export type Liveness = {
    status: StatusName;
    lastNonce: bigint;
    /** The last interval a heartbeat counted in, or undefined before the first. */
    lastInterval: bigint | undefined;
    lastHeartbeatAt: bigint | undefined;
    heartbeats: bigint;
    location: bigint | undefined;
    locationChanges: number;
    /** Token units credited by closed epochs, and paid out, over the device's life (u64: 1.8e19 units). */
    earned: bigint;
    claimed: bigint;
};

/** A newly registered device: active, its registration's nonce spent, nothing counted or earned yet. */
export function newLiveness(nonce: bigint): Liveness {
    return {
        status: 'Active',
        lastNonce: nonce,
        lastInterval: undefined,
        lastHeartbeatAt: undefined,
        heartbeats: 0n,
        location: undefined,
        locationChanges: 0,
        earned: 0n,
        claimed: 0n
    };
}

export const LIVENESS_BYTES = 64;

/**
 * Liveness, 64 bytes: status u8 @0, has-location u8 @1, has-heartbeat u8 @2, location changes u32 @4, then
 * u64 BE fields: last nonce @8, last interval @16, last heartbeat @24, heartbeats @32, location @40,
 * earned @48, claimed @56.
 */
export function encodeLiveness(l: Liveness): Uint8Array {
    const out = new Uint8Array(LIVENESS_BYTES);
    const view = new DataView(out.buffer);
    view.setUint8(0, STATUS_CODES.indexOf(l.status));
    view.setUint8(1, l.location === undefined ? 0 : 1);
    view.setUint8(2, l.lastInterval === undefined ? 0 : 1);
    view.setUint32(4, l.locationChanges);
    view.setBigUint64(8, l.lastNonce);
    view.setBigUint64(16, l.lastInterval ?? 0n);
    view.setBigUint64(24, l.lastHeartbeatAt ?? 0n);
    view.setBigUint64(32, l.heartbeats);
    view.setBigUint64(40, l.location ?? 0n);
    view.setBigUint64(48, l.earned);
    view.setBigUint64(56, l.claimed);
    return out;
}

export function decodeLiveness(bytes: Uint8Array): Liveness {
    const view = new DataView(bytes.buffer, bytes.byteOffset, LIVENESS_BYTES);
    const beaten = view.getUint8(2) === 1;
    return {
        status: STATUS_CODES[view.getUint8(0)] as StatusName,
        location: view.getUint8(1) === 1 ? view.getBigUint64(40) : undefined,
        lastInterval: beaten ? view.getBigUint64(16) : undefined,
        lastHeartbeatAt: beaten ? view.getBigUint64(24) : undefined,
        locationChanges: view.getUint32(4),
        lastNonce: view.getBigUint64(8),
        heartbeats: view.getBigUint64(32),
        earned: view.getBigUint64(48),
        claimed: view.getBigUint64(56)
    };
}

/** An epoch's running totals, kept as heartbeats arrive so that closing it needs no second pass. */
export type Tally = { heartbeats: bigint; points: bigint; devices: number };

const coreCodec = valueCodec<RegistryCore>(RegistryCore);
const manufacturerCodec = valueCodec<StoredManufacturer>(StoredManufacturer);
const deviceCodec = valueCodec<StoredDevice>(StoredDevice);
const summaryCodec = valueCodec<EpochSummary>(EpochSummary);
const CORE_KEY = new TextEncoder().encode('core');

function uptimeKey(epoch: bigint, device: Uint8Array): Uint8Array {
    const key = new Uint8Array(8 + device.length);
    key.set(u64be(epoch));
    key.set(device, 8);
    return key;
}

/** The registry's maps, read and written in the encodings above. */
export class RegistryStore {
    constructor(readonly maps: RegistryMaps) {}

    readCore(): RegistryCore | undefined {
        const bytes = this.maps.meta.get(CORE_KEY);
        return bytes === undefined ? undefined : coreCodec.decode(bytes);
    }

    writeCore(core: RegistryCore): void {
        this.maps.meta.insert(CORE_KEY, coreCodec.encode(core));
    }

    manufacturer(id: Uint8Array): StoredManufacturer | undefined {
        const bytes = this.maps.manufacturers.get(id);
        return bytes === undefined ? undefined : manufacturerCodec.decode(bytes);
    }

    writeManufacturer(id: Uint8Array, m: StoredManufacturer): void {
        this.maps.manufacturers.insert(id, manufacturerCodec.encode(m));
    }

    /** Manufacturers in principal order, at most `limit`. */
    manufacturers(limit: number): [Uint8Array, StoredManufacturer][] {
        return this.maps.manufacturers.items(0, limit).map(([id, bytes]) => [id, manufacturerCodec.decode(bytes)]);
    }

    manufacturerCount(): bigint {
        return BigInt(this.maps.manufacturers.len());
    }

    device(id: Uint8Array): StoredDevice | undefined {
        const bytes = this.maps.devices.get(id);
        return bytes === undefined ? undefined : deviceCodec.decode(bytes);
    }

    writeDevice(id: Uint8Array, d: StoredDevice): void {
        this.maps.devices.insert(id, deviceCodec.encode(d));
    }

    liveness(id: Uint8Array): Liveness | undefined {
        const bytes = this.maps.liveness.get(id);
        return bytes === undefined ? undefined : decodeLiveness(bytes);
    }

    writeLiveness(id: Uint8Array, l: Liveness): void {
        this.maps.liveness.insert(id, encodeLiveness(l));
    }

    uptime(epoch: bigint, device: Uint8Array): number {
        const bytes = this.maps.uptime.get(uptimeKey(epoch, device));
        return bytes === undefined ? 0 : new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
    }

    writeUptime(epoch: bigint, device: Uint8Array, beats: number): void {
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, beats);
        this.maps.uptime.insert(uptimeKey(epoch, device), value);
    }

    /**
     * The first `limit` uptime rows of `epoch`. Rows of closed epochs are removed as they are credited, so the
     * oldest open epoch's rows are always at the start of the map and this reads no other row.
     */
    oldestUptime(epoch: bigint, limit: number): { device: Uint8Array; beats: number }[] {
        const out: { device: Uint8Array; beats: number }[] = [];
        for (const [key, value] of this.maps.uptime.items(0, limit)) {
            if (readU64be(key) !== epoch) break;
            out.push({ device: key.slice(8), beats: new DataView(value.buffer, value.byteOffset, 4).getUint32(0) });
        }
        return out;
    }

    removeUptime(epoch: bigint, device: Uint8Array): void {
        this.maps.uptime.remove(uptimeKey(epoch, device));
    }

    tally(epoch: bigint): Tally {
        const bytes = this.maps.tallies.get(u64be(epoch));
        if (bytes === undefined) return { heartbeats: 0n, points: 0n, devices: 0 };
        return {
            heartbeats: readU64be(bytes),
            points: readU64be(bytes, 8),
            devices: new DataView(bytes.buffer, bytes.byteOffset + 16, 4).getUint32(0)
        };
    }

    writeTally(epoch: bigint, tally: Tally): void {
        const value = new Uint8Array(20);
        value.set(u64be(tally.heartbeats));
        value.set(u64be(tally.points), 8);
        new DataView(value.buffer).setUint32(16, tally.devices);
        this.maps.tallies.insert(u64be(epoch), value);
    }

    removeTally(epoch: bigint): void {
        this.maps.tallies.remove(u64be(epoch));
    }

    epochSummary(epoch: bigint): EpochSummary | undefined {
        const bytes = this.maps.epochs.get(u64be(epoch));
        return bytes === undefined ? undefined : summaryCodec.decode(bytes);
    }

    writeEpochSummary(summary: EpochSummary): void {
        this.maps.epochs.insert(u64be(summary.epoch), summaryCodec.encode(summary));
    }
}
