/**
 * Where a function body's instruction costs are added up, and how much at each place: as the replica does
 * (`injections` in the IC's `instrumentation.rs`), at the start of every basic block, after every `if`,
 * `else`, branch, `end`, `return` and `unreachable`, and at loop headers and the function's entry, which are
 * re-entrant and also check the budget.
 *
 * Tried and not kept: merging the point after a construct that nothing leaves early into the point before
 * it. It removed a quarter of the points the counter's interpreter loop runs, with the same sums, and no
 * change in speed could be measured: an add to a register is not what metering costs.
 */
import { instructionCost, type Instruction, Op } from './instructions';

/** Add `cost` at `position` (before the instruction there); a re-entrant point also checks the budget. */
export type Injection = { position: number; cost: number; readonly reentrant: boolean };

/** The metering points of a body: those of its basic blocks that cost something, and every re-entrant one. */
export function meteringPoints(code: readonly Instruction[]): Injection[] {
    return blockPoints(code).filter((p) => p.reentrant || p.cost > 0);
}

/** One point at the start of every basic block, with the block's static cost, as the replica places them. */
function blockPoints(code: readonly Instruction[]): Injection[] {
    const points: Injection[] = [];
    let current: Injection = { position: 0, cost: 1, reentrant: true };
    code.forEach((ins, position) => {
        current.cost += instructionCost(ins.op);
        switch (ins.op) {
            case Op.loop:
                points.push(current);
                current = { position: position + 1, cost: 0, reentrant: true };
                break;
            case Op.if:
            case Op.else:
            case Op.br:
            case Op.brIf:
            case Op.brTable:
            case Op.end:
            case Op.return:
            case Op.unreachable:
            case Op.returnCall:
            case Op.returnCallIndirect:
                points.push(current);
                current = { position: position + 1, cost: 0, reentrant: false };
                break;
        }
    });
    return points;
}
