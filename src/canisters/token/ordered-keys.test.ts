/**
 * The B+ tree index against a sorted array: random adds and removes of short keys (so that they collide and the
 * tree splits, empties and shrinks), then every listing from every start agrees; no node grows past its bound.
 */
import fc from 'fast-check';

import { compareBytes } from '../../ic/bytes';
import { MAX_ENTRIES, OrderedKeys } from './ordered-keys';
import { MemoryByteMap } from '../../ic/stable-maps';

const KEY_BYTES = 2;
const key = fc.integer({ min: 0, max: 700 }).map((n) => Uint8Array.of(n >> 8, n & 0xff));
const op = fc.record({ add: fc.boolean(), key });

function listFrom(index: OrderedKeys, start: Uint8Array, inclusive: boolean): number[] {
    return [...index.from(start, inclusive)].map((k) => ((k[0] as number) << 8) | (k[1] as number));
}

it('lists what a sorted set holds, from any key, after any adds and removes', () => {
    fc.assert(
        fc.property(fc.array(op, { minLength: 300, maxLength: 1_500 }), (ops) => {
            const map = new MemoryByteMap();
            const index = new OrderedKeys(map, KEY_BYTES);
            const model = new Set<number>();
            for (const { add, key } of ops) {
                const n = ((key[0] as number) << 8) | (key[1] as number);
                if (add) {
                    index.add(key);
                    model.add(n);
                } else {
                    index.delete(key);
                    model.delete(n);
                }
            }
            const sorted = [...model].sort((a, b) => a - b);
            expect(listFrom(index, new Uint8Array(0), true)).toEqual(sorted);
            for (const start of [0, 1, 99, 350, 351, 700]) {
                const s = Uint8Array.of(start >> 8, start & 0xff);
                expect(listFrom(index, s, true)).toEqual(sorted.filter((n) => n >= start));
                expect(listFrom(index, s, false)).toEqual(sorted.filter((n) => n > start));
            }
            for (const [, value] of map.items())
                expect(value.length).toBeLessThanOrEqual(3 + 4 * MAX_ENTRIES + KEY_BYTES * MAX_ENTRIES);
        }),
        { numRuns: 60 }
    );
});

it('keeps a shallow tree for many keys, and frees its nodes when they are removed', () => {
    const map = new MemoryByteMap();
    const index = new OrderedKeys(map, 4);
    const keys = Array.from({ length: 5_000 }, (_, i) => Uint8Array.of(0, i >> 16, (i >> 8) & 0xff, i & 0xff));
    // Out of order, so that splits happen everywhere in the tree.
    for (let i = 0; i < keys.length; i++) index.add(keys[(i * 7_919) % keys.length] as Uint8Array);
    const sorted = [...keys].sort(compareBytes);
    expect([...index.from(new Uint8Array(0), true)]).toEqual(sorted);
    // 5,000 keys in nodes of at least 8: well under 1,000 nodes.
    expect(map.len()).toBeLessThan(1_000);
    for (const k of keys) index.delete(k);
    expect([...index.from(new Uint8Array(0), true)]).toEqual([]);
    expect(map.len()).toBe(2); // the meta entry and the empty root
});

it('refuses a key of the wrong length', () => {
    const index = new OrderedKeys(new MemoryByteMap(), 4);
    expect(() => index.add(Uint8Array.of(1))).toThrow('an ordered key is 4 bytes, not 1');
});
