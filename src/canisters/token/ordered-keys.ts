/**
 * An ordered set of fixed-length keys kept as a B+ tree in a {@link ByteMap}: each node is its own entry, so adding
 * or removing a key reads one root-to-leaf path and writes one leaf (a split or an emptied node writes a few more),
 * and no entry grows with the number of keys. Listing from a key reads the same path, then leaves in order.
 *
 * Why a tree on top of a stable map that is already ordered: Azle's `StableBTreeMap` answers point look-ups and
 * `items(start, length)` by position, which skips `start` entries one by one (`stable_b_tree_map_items.rs`), so
 * "the entries after this key" costs O(entries before it). This index gives that query in O(log n).
 *
 * Layout in its map: node id u32 BE → node; the one-byte key `META` → root id u32 BE ‖ next free id u32 BE.
 * A leaf is `0` ‖ its keys in order. An internal node is `1` ‖ child count u16 BE ‖ children u32 BE ‖ one
 * separator key per child after the first, each the lowest key its child may hold.
 *
 * Removal does not rebalance: an emptied node is dropped from its parent, and a root with one child is replaced
 * by that child, so every leaf stays at one depth. The height grows only when the root splits, which takes at
 * least (MAX_ENTRIES / 2)^height keys added over the tree's life: at 16 entries a node, a height of 10 needs a
 * billion additions.
 */
import { compareBytes } from '../../ic/bytes';
import type { ByteMap } from '../../ic/stable-maps';

/** Keys in a leaf and children in an internal node, at most; a node's bytes stay about 2 KiB with 124-byte keys. */
export const MAX_ENTRIES = 16;

const META = Uint8Array.of(0xff);
const LEAF = 0;
const INTERNAL = 1;

type Leaf = { readonly leaf: true; keys: Uint8Array[] };
type Internal = { readonly leaf: false; children: number[]; separators: Uint8Array[] };
type Node = Leaf | Internal;

/** What a split hands its parent: the new right sibling and the lowest key it may hold. */
type Split = { readonly separator: Uint8Array; readonly right: number };

/** The root's id, the next id to give a node, and whether the meta entry exists yet. */
type Meta = { root: number; next: number; readonly stored: boolean };

function idKey(id: number): Uint8Array {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, id);
    return key;
}

/** The index of the child of `node` whose range holds `key`: the last child whose separator is at most `key`. */
function childFor(node: Internal, key: Uint8Array): number {
    let at = 0;
    while (at < node.separators.length && compareBytes(node.separators[at] as Uint8Array, key) <= 0) at++;
    return at;
}

/** The position of the first key of `keys` at least `key` (or after it, when not `inclusive`). */
function lowerBound(keys: readonly Uint8Array[], key: Uint8Array, inclusive: boolean): number {
    let at = 0;
    while (at < keys.length) {
        const order = compareBytes(keys[at] as Uint8Array, key);
        if (order > 0 || (order === 0 && inclusive)) break;
        at++;
    }
    return at;
}

export class OrderedKeys {
    constructor(
        private readonly map: ByteMap,
        /** Every key's length in bytes. */
        private readonly keyBytes: number
    ) {}

    /** Adds `key`; adding a key already present changes nothing. */
    add(key: Uint8Array): void {
        this.checkLength(key);
        const meta = this.meta();
        const before = { ...meta };
        const split = this.insertInto(meta.root, key, meta);
        if (split === undefined) {
            // The meta entry changes only when a node was created (or the tree was).
            if (meta.next !== before.next || !meta.stored) this.writeMeta(meta);
            return;
        }
        const root = meta.next++;
        this.write(root, { leaf: false, children: [meta.root, split.right], separators: [split.separator] });
        meta.root = root;
        this.writeMeta(meta);
    }

    /** Removes `key`; removing a key not present changes nothing. */
    delete(key: Uint8Array): void {
        this.checkLength(key);
        if (this.map.get(META) === undefined) return;
        const meta = this.meta();
        if (!this.removeFrom(meta.root, key)) return;
        const rootBefore = meta.root;
        // The root is never dropped: an emptied root stays as an empty node; one child left replaces it.
        let root = this.read(meta.root);
        while (!root.leaf && root.children.length <= 1) {
            const [only] = root.children;
            this.map.remove(idKey(meta.root));
            if (only === undefined) {
                this.write(meta.root, { leaf: true, keys: [] });
                break;
            }
            meta.root = only;
            root = this.read(only);
        }
        if (meta.root !== rootBefore) this.writeMeta(meta);
    }

    /** The keys from `start` on (`start` itself only when `inclusive`), in order; stop iterating to stop reading. */
    *from(start: Uint8Array, inclusive: boolean): Generator<Uint8Array, void, undefined> {
        const stored = this.map.get(META);
        if (stored === undefined) return;
        yield* this.walk(new DataView(stored.buffer, stored.byteOffset).getUint32(0), start, inclusive);
    }

    private *walk(id: number, start: Uint8Array | undefined, inclusive: boolean): Generator<Uint8Array, void, undefined> {
        const node = this.read(id);
        if (node.leaf) {
            for (let at = start === undefined ? 0 : lowerBound(node.keys, start, inclusive); at < node.keys.length; at++)
                yield node.keys[at] as Uint8Array;
            return;
        }
        const first = start === undefined ? 0 : childFor(node, start);
        for (let at = first; at < node.children.length; at++)
            yield* this.walk(node.children[at] as number, at === first ? start : undefined, inclusive);
    }

    private checkLength(key: Uint8Array): void {
        if (key.length !== this.keyBytes) throw new Error(`an ordered key is ${this.keyBytes} bytes, not ${key.length}`);
    }

    private insertInto(id: number, key: Uint8Array, meta: { next: number }): Split | undefined {
        const node = this.read(id);
        if (node.leaf) {
            const at = lowerBound(node.keys, key, true);
            const present = node.keys[at];
            if (present !== undefined && compareBytes(present, key) === 0) return undefined;
            node.keys.splice(at, 0, key.slice());
            if (node.keys.length <= MAX_ENTRIES) {
                this.write(id, node);
                return undefined;
            }
            const rightKeys = node.keys.splice(node.keys.length >> 1);
            const right = meta.next++;
            this.write(id, node);
            this.write(right, { leaf: true, keys: rightKeys });
            return { separator: rightKeys[0] as Uint8Array, right };
        }
        const at = childFor(node, key);
        const split = this.insertInto(node.children[at] as number, key, meta);
        if (split === undefined) return undefined;
        node.children.splice(at + 1, 0, split.right);
        node.separators.splice(at, 0, split.separator);
        if (node.children.length <= MAX_ENTRIES) {
            this.write(id, node);
            return undefined;
        }
        // Children [0, half) stay; [half, …) move right; the separator between them moves up.
        const half = node.children.length >> 1;
        const rightChildren = node.children.splice(half);
        const moved = node.separators.splice(half - 1);
        const separator = moved.shift() as Uint8Array;
        const right = meta.next++;
        this.write(id, node);
        this.write(right, { leaf: false, children: rightChildren, separators: moved });
        return { separator, right };
    }

    /** Removes `key` below node `id`; true when something was removed. An emptied non-root node is deleted. */
    private removeFrom(id: number, key: Uint8Array): boolean {
        const node = this.read(id);
        if (node.leaf) {
            const at = lowerBound(node.keys, key, true);
            const present = node.keys[at];
            if (present === undefined || compareBytes(present, key) !== 0) return false;
            node.keys.splice(at, 1);
            this.write(id, node);
            return true;
        }
        const at = childFor(node, key);
        const child = node.children[at] as number;
        if (!this.removeFrom(child, key)) return false;
        const after = this.read(child);
        if ((after.leaf ? after.keys.length : after.children.length) > 0) return true;
        this.map.remove(idKey(child));
        node.children.splice(at, 1);
        // The emptied child's lower bound goes; for the first child, its right neighbour's bound goes instead,
        // as the first child has no separator (it takes every key below the next one).
        node.separators.splice(at === 0 ? 0 : at - 1, 1);
        this.write(id, node);
        return true;
    }

    private meta(): Meta {
        const stored = this.map.get(META);
        if (stored === undefined) {
            // An empty tree: leaf 0 is the root.
            this.write(0, { leaf: true, keys: [] });
            return { root: 0, next: 1, stored: false };
        }
        const view = new DataView(stored.buffer, stored.byteOffset, 8);
        return { root: view.getUint32(0), next: view.getUint32(4), stored: true };
    }

    private writeMeta(meta: Meta): void {
        const bytes = new Uint8Array(8);
        const view = new DataView(bytes.buffer);
        view.setUint32(0, meta.root);
        view.setUint32(4, meta.next);
        this.map.insert(META, bytes);
    }

    private read(id: number): Node {
        const bytes = this.map.get(idKey(id));
        if (bytes === undefined) throw new Error(`ordered index: node ${id} is missing`);
        const k = this.keyBytes;
        if (bytes[0] === LEAF) {
            const keys: Uint8Array[] = [];
            for (let at = 1; at < bytes.length; at += k) keys.push(bytes.subarray(at, at + k));
            return { leaf: true, keys };
        }
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        const count = view.getUint16(1);
        const children: number[] = [];
        for (let i = 0; i < count; i++) children.push(view.getUint32(3 + 4 * i));
        const separators: Uint8Array[] = [];
        for (let at = 3 + 4 * count; at < bytes.length; at += k) separators.push(bytes.subarray(at, at + k));
        return { leaf: false, children, separators };
    }

    private write(id: number, node: Node): void {
        const k = this.keyBytes;
        if (node.leaf) {
            const bytes = new Uint8Array(1 + k * node.keys.length);
            bytes[0] = LEAF;
            node.keys.forEach((key, i) => bytes.set(key, 1 + k * i));
            this.map.insert(idKey(id), bytes);
            return;
        }
        const count = node.children.length;
        const bytes = new Uint8Array(3 + 4 * count + k * node.separators.length);
        const view = new DataView(bytes.buffer);
        bytes[0] = INTERNAL;
        view.setUint16(1, count);
        node.children.forEach((child, i) => view.setUint32(3 + 4 * i, child));
        node.separators.forEach((separator, i) => bytes.set(separator, 3 + 4 * count + k * i));
        this.map.insert(idKey(id), bytes);
    }
}
