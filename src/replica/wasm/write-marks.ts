/**
 * Which dirty-page marks a function's stores need. A mark only says "this page may have changed": a page
 * marked and not written costs a copy, a page written and not marked breaks a rollback. So marks may be made
 * early, but never left out for a page the message writes. Two cases need fewer marks than stores:
 *
 * - Stores into the shadow stack need none: the stack is empty between messages (see `shadow-stack.ts`).
 * - Stores through the same value of a local, at constant offsets less than a page apart, can share the
 *   marks of the first of them (the group's leader), when the leader runs before each of the others every
 *   time they run: the leader marks the page of the group's lowest and highest address, which covers every
 *   address between. The leader must be in a construct that encloses the others and is still open, in the
 *   same loop iteration (no loop between them), so every path to another store passes the leader after the
 *   local's last assignment.
 */
import { type Instruction, Op } from './instructions';
import { type StoreAddress } from './store-addresses';

/**
 * Writes are tracked in 1 KiB pages: finer than the replica's 4 KiB, because QuickJS scatters small writes
 * (reference counts) over the heap, so a counter update copies less than half the bytes at commit. Finer still
 * was slower: 512- and 256-byte pages copy fewer bytes again but scan two and four times the bitmap, and the
 * scan then costs more than the copy saves, even reading 32 marks at a time (`memory.ts`).
 */
export const JOURNAL_PAGE_SHIFT = 10;
const JOURNAL_PAGE = 1 << JOURNAL_PAGE_SHIFT;

/**
 * The marks of each store, by its position: the offsets, from the store's address operand, of the bytes whose
 * pages it marks. An empty list: no mark.
 */
export type MarkPlan = ReadonlyMap<number, readonly number[]>;

/** A group of stores sharing marks: its leader, its offsets' range, and where the leader is (region and depth). */
type Group = { leader: number; leaderOffset: number; low: number; high: number; region: number; depth: number; loop: number };

/** Offsets past this are left to each store's own mark, so every sum stays a safe i32 immediate. */
const MAX_GROUPED_OFFSET = 2 ** 30;

/** The marks of a body's stores, from what `storeAddresses` knows of their addresses. */
export function planMarks(code: readonly Instruction[], addresses: ReadonlyMap<number, StoreAddress>): MarkPlan {
    const plan = new Map<number, number[]>();
    const groups = new Map<string, Group>();
    // the open constructs, outermost first (an else arm is a region of its own, replacing the then arm)
    const regions: { id: number; loop: number }[] = [{ id: 0, loop: -1 }];
    let nextRegion = 1;
    const leaders: Group[] = [];
    code.forEach((ins, position) => {
        const region = regions[regions.length - 1] as { id: number; loop: number };
        switch (ins.op) {
            case Op.block:
            case Op.if:
            case Op.loop: {
                const id = nextRegion++;
                regions.push({ id, loop: ins.op === Op.loop ? id : region.loop });
                return;
            }
            case Op.else:
                // the else arm is not preceded by the then arm: a new region in its place
                regions[regions.length - 1] = { id: nextRegion++, loop: region.loop };
                return;
            case Op.end:
                regions.pop();
                return;
        }
        const address = addresses.get(position);
        if (address === undefined) return;
        const own = ins.offset ?? 0;
        if (address.stack) {
            plan.set(position, []);
            return;
        }
        const offset = address.offset + own; // from the local's value
        if (address.base === undefined || Math.abs(offset) > MAX_GROUPED_OFFSET) {
            plan.set(position, [own]);
            return;
        }
        const key = `${address.base.local}:${address.base.version}`;
        const group = groups.get(key);
        if (
            group !== undefined &&
            regions[group.depth]?.id === group.region && // the leader's region is still open
            group.loop === region.loop &&
            Math.max(group.high, offset) - Math.min(group.low, offset) < JOURNAL_PAGE
        ) {
            group.low = Math.min(group.low, offset);
            group.high = Math.max(group.high, offset);
            plan.set(position, []);
            return;
        }
        const leader: Group = {
            leader: position,
            leaderOffset: address.offset,
            low: offset,
            high: offset,
            region: region.id,
            depth: regions.length - 1,
            loop: region.loop
        };
        groups.set(key, leader);
        leaders.push(leader);
    });
    for (const g of leaders) {
        const low = g.low - g.leaderOffset;
        plan.set(g.leader, g.high === g.low ? [low] : [low, g.high - g.leaderOffset]);
    }
    return plan;
}
