/**
 * The one storage shape the ledger needs: an ordered map from bytes to bytes. In the canister it is Azle's
 * `StableBTreeMap` (keys ordered bytewise, in stable memory, kept across upgrades); in unit tests and the
 * reference model it is {@link MemoryByteMap}, so the ledger's rules run without a network.
 */

export interface ByteMap {
    get(key: Uint8Array): Uint8Array | undefined;
    insert(key: Uint8Array, value: Uint8Array): unknown;
    remove(key: Uint8Array): unknown;
    /** Entries in key order, from the `start`-th, at most `length` of them. */
    items(start?: number, length?: number): [Uint8Array, Uint8Array][];
    len(): number | bigint;
}

/** The identity serializer, for a `StableBTreeMap<Uint8Array, Uint8Array>` whose callers give the bytes. */
export const RAW_BYTES = { toBytes: (b: Uint8Array): Uint8Array => b, fromBytes: (b: Uint8Array): Uint8Array => b };

function hex(bytes: Uint8Array): string {
    let s = '';
    for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
    return s;
}

function unhex(s: string): Uint8Array {
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    return out;
}

/** A ByteMap on the heap; hex keys sort as their bytes do. */
export class MemoryByteMap implements ByteMap {
    private readonly entries = new Map<string, Uint8Array>();

    get(key: Uint8Array): Uint8Array | undefined {
        return this.entries.get(hex(key));
    }

    insert(key: Uint8Array, value: Uint8Array): void {
        this.entries.set(hex(key), value.slice());
    }

    remove(key: Uint8Array): void {
        this.entries.delete(hex(key));
    }

    items(start = 0, length = Infinity): [Uint8Array, Uint8Array][] {
        return [...this.entries.keys()]
            .sort()
            .slice(start, start + length)
            .map((k) => [unhex(k), this.entries.get(k) as Uint8Array]);
    }

    len(): number {
        return this.entries.size;
    }

    /** An independent copy: a test keeps one to undo what a trapped call wrote, as the IC does for a canister. */
    copy(): MemoryByteMap {
        const copy = new MemoryByteMap();
        for (const [key, value] of this.entries) copy.entries.set(key, value);
        return copy;
    }
}

/** One map per memory a canister's layout names, each opened by `open` on its memory id. */
export function mapsOf<K extends string, M extends ByteMap>(
    memory: Readonly<Record<K, number>>,
    open: (id: number) => M
): Record<K, M> {
    const maps = {} as Record<K, M>;
    for (const name of Object.keys(memory) as K[]) maps[name] = open(memory[name]);
    return maps;
}

/** One heap map per memory: a canister's rules run in Node on these (unit and model tests). */
export function heapMapsOf<K extends string>(memory: Readonly<Record<K, number>>): Record<K, MemoryByteMap> {
    return mapsOf(memory, () => new MemoryByteMap());
}
