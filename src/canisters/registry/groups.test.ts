/**
 * The group indexes without a network: after any sequence of adds, moves and removals, paging a group from
 * the start with any page size yields exactly its devices, once each, and its count is their number.
 */
import fc from 'fast-check';

import { MemoryByteMap } from '../../ic/stable-maps';
import { GroupIndex } from './groups';

const groupsOf = () =>
    new GroupIndex({ groupEntries: new MemoryByteMap(), groupCounts: new MemoryByteMap(), groupPositions: new MemoryByteMap() });

const GROUPS = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3, 3)];
const device = (n: number) => Uint8Array.of(9, n);

describe('GroupIndex', () => {
    it('lists and counts each group exactly, through any sequence of changes', () => {
        const op = fc.record({ device: fc.integer({ min: 0, max: 30 }), group: fc.integer({ min: 0, max: 2 }) });
        fc.assert(
            fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 7 }), (ops, take) => {
                const index = groupsOf();
                const model = new Map<number, number>(); // device -> group
                for (const { device: d, group } of ops) {
                    const current = model.get(d);
                    if (current === undefined) index.add('owner', GROUPS[group] as Uint8Array, device(d));
                    else if (current === group) index.remove('owner', GROUPS[group] as Uint8Array, device(d));
                    else index.move('owner', GROUPS[current] as Uint8Array, GROUPS[group] as Uint8Array, device(d));
                    if (current === group) model.delete(d);
                    else model.set(d, group);
                }
                GROUPS.forEach((group, g) => {
                    const expected = [...model].filter(([, m]) => m === g).map(([d]) => d);
                    const seen: number[] = [];
                    let prev: Uint8Array | undefined;
                    for (;;) {
                        const page = index.page('owner', group, prev, take);
                        if (page === undefined) throw new Error('prev vanished');
                        if (page.length === 0) break;
                        seen.push(...page.map((d) => d[1] as number));
                        prev = page[page.length - 1];
                    }
                    expect(seen.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
                    expect(index.count('owner', group)).toBe(expected.length);
                });
            })
        );
    });

    it('refuses a prev that is not in the group', () => {
        const index = groupsOf();
        index.add('owner', GROUPS[0] as Uint8Array, device(1));
        index.add('status', GROUPS[1] as Uint8Array, device(2));
        expect(index.page('owner', GROUPS[1] as Uint8Array, device(1), 5)).toBeUndefined();
        expect(index.page('owner', GROUPS[0] as Uint8Array, device(2), 5)).toBeUndefined();
    });
});
