/**
 * Secondary indexes (devices by owner, by manufacturer, by status) over ordered byte maps that can only be
 * read by key or by position from the start. Each group keeps its devices at positions 0 .. count-1, so a
 * page after a given device is a run of point reads from that device's position, a count is one read, and
 * adding or removing a device is a few writes, whatever the registry's size. Removing a device moves the
 * group's last device into the freed position: a listing read while the group changes may miss or repeat a
 * device that moved, which ICRC-7's `prev`/`take` paging allows for a changing collection.
 */
import { concat, uint8Equals } from '@dfinity/candid';

import type { ByteMap } from '../../ic/stable-maps';

export const GROUP_KIND = { owner: 1, manufacturer: 2, status: 3 } as const;
export type GroupKind = keyof typeof GROUP_KIND;

export type GroupMaps = {
    /** kind ‖ group ‖ position u32 BE → device */
    readonly groupEntries: ByteMap;
    /** kind ‖ group → count u32 BE */
    readonly groupCounts: ByteMap;
    /** kind ‖ device → position u32 BE (a device is in at most one group of each kind) */
    readonly groupPositions: ByteMap;
};

function u32be(n: number): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, n);
    return out;
}

function readU32be(bytes: Uint8Array): number {
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
}

function groupKey(kind: GroupKind, group: Uint8Array): Uint8Array {
    return concat(Uint8Array.of(GROUP_KIND[kind], group.length), group);
}

export class GroupIndex {
    constructor(private readonly maps: GroupMaps) {}

    count(kind: GroupKind, group: Uint8Array): number {
        const bytes = this.maps.groupCounts.get(groupKey(kind, group));
        return bytes === undefined ? 0 : readU32be(bytes);
    }

    add(kind: GroupKind, group: Uint8Array, device: Uint8Array): void {
        const key = groupKey(kind, group);
        const position = this.count(kind, group);
        this.maps.groupEntries.insert(concat(key, u32be(position)), device);
        this.maps.groupPositions.insert(concat(Uint8Array.of(GROUP_KIND[kind]), device), u32be(position));
        this.maps.groupCounts.insert(key, u32be(position + 1));
    }

    remove(kind: GroupKind, group: Uint8Array, device: Uint8Array): void {
        const key = groupKey(kind, group);
        const positionKey = concat(Uint8Array.of(GROUP_KIND[kind]), device);
        const at = this.maps.groupPositions.get(positionKey);
        if (at === undefined) return;
        const position = readU32be(at);
        const last = this.count(kind, group) - 1;
        if (position !== last) {
            const moved = this.maps.groupEntries.get(concat(key, u32be(last))) as Uint8Array;
            this.maps.groupEntries.insert(concat(key, u32be(position)), moved);
            this.maps.groupPositions.insert(concat(Uint8Array.of(GROUP_KIND[kind]), moved), u32be(position));
        }
        this.maps.groupEntries.remove(concat(key, u32be(last)));
        this.maps.groupPositions.remove(positionKey);
        if (last === 0) this.maps.groupCounts.remove(key);
        else this.maps.groupCounts.insert(key, u32be(last));
    }

    move(kind: GroupKind, from: Uint8Array, to: Uint8Array, device: Uint8Array): void {
        this.remove(kind, from, device);
        this.add(kind, to, device);
    }

    /**
     * Up to `take` devices of the group after `prev` (from the first when there is no `prev`), or `undefined`
     * when `prev` is not in the group.
     */
    page(kind: GroupKind, group: Uint8Array, prev: Uint8Array | undefined, take: number): Uint8Array[] | undefined {
        const key = groupKey(kind, group);
        let start = 0;
        if (prev !== undefined) {
            const at = this.maps.groupPositions.get(concat(Uint8Array.of(GROUP_KIND[kind]), prev));
            if (at === undefined) return undefined;
            const position = readU32be(at);
            const there = this.maps.groupEntries.get(concat(key, u32be(position)));
            if (there === undefined || !uint8Equals(there, prev)) return undefined;
            start = position + 1;
        }
        const end = Math.min(this.count(kind, group), start + take);
        const out: Uint8Array[] = [];
        for (let p = start; p < end; p++) out.push(this.maps.groupEntries.get(concat(key, u32be(p))) as Uint8Array);
        return out;
    }
}
