/**
 * What the instrumentation can know, without running a function, about the address each of its stores
 * writes to: whether it is a shadow-stack address (see `shadow-stack.ts`), and whether it is a local plus a
 * constant (so that stores through the same local can share one dirty-page mark, see `write-marks.ts`).
 *
 * The analysis follows the operand stack through each basic block, instruction by instruction, and forgets it
 * at every control instruction: a value that crosses a block boundary is unknown. Unknown is always safe: a
 * store whose address is unknown is marked on its own.
 */
import { type Instruction, Op, type Signature, stackEffect, STORES } from './instructions';
import type { ShadowStack } from './shadow-stack';

/** A local's value between two assignments: the local's index and how many assignments precede it in the code. */
export type LocalValue = { readonly local: number; readonly version: number };

/** What is known of a store's address operand. */
export type StoreAddress = {
    /** The address is on the shadow stack. */
    readonly stack: boolean;
    /** The address is `base` plus `offset` (the store's own static offset not included). */
    readonly base: LocalValue | undefined;
    readonly offset: number;
};

/** An operand-stack value. */
type Value = { readonly stack: boolean; readonly constant?: number; readonly base?: LocalValue; readonly offset?: number };

const UNKNOWN: Value = { stack: false };

export type Signatures = {
    /** By function index, imports first. */
    readonly func: (index: number) => Signature;
    /** By type index. */
    readonly type: (index: number) => Signature;
};

/**
 * The address of every store of a function body, by the store's position in `code`. `params` is the
 * function's parameter count; `stack` the module's shadow stack, if it has one.
 */
export function storeAddresses(
    code: readonly Instruction[],
    params: number,
    stack: ShadowStack | undefined,
    signatures: Signatures
): Map<number, StoreAddress> {
    // Frame locals hold only stack addresses. Start from every assigned local (parameters come from callers,
    // and are never assumed to); each pass drops those assigned anything else, until a pass drops none.
    const frame = new Set<number>();
    if (stack !== undefined)
        for (const ins of code)
            if ((ins.op === Op.localSet || ins.op === Op.localTee) && (ins.index as number) >= params)
                frame.add(ins.index as number);
    for (;;) {
        const { stores, dropped } = simulate(code, frame, stack, signatures);
        if (!dropped) return stores;
    }
}

function simulate(
    code: readonly Instruction[],
    frame: Set<number>,
    stack: ShadowStack | undefined,
    signatures: Signatures
): { stores: Map<number, StoreAddress>; dropped: boolean } {
    const stores = new Map<number, StoreAddress>();
    const versions = new Map<number, number>();
    const versionOf = (local: number) => versions.get(local) ?? 0;
    let dropped = false;
    let values: Value[] = [];
    const pop = (): Value => values.pop() ?? UNKNOWN;
    code.forEach((ins, position) => {
        const effect = stackEffect(ins, signatures.func, signatures.type);
        if (effect === undefined) {
            values = []; // a control instruction: what follows starts a new basic block
            return;
        }
        switch (ins.op) {
            case Op.localGet: {
                const local = ins.index as number;
                values.push({ stack: frame.has(local), base: { local, version: versionOf(local) }, offset: 0 });
                return;
            }
            case Op.globalGet:
                values.push({ stack: stack !== undefined && ins.index === stack.pointer });
                return;
            case Op.i32Const:
                values.push({ stack: false, constant: ins.value as number });
                return;
            case Op.localSet:
            case Op.localTee: {
                const local = ins.index as number;
                const value = pop();
                if (!value.stack && frame.delete(local)) dropped = true;
                versions.set(local, versionOf(local) + 1);
                if (ins.op === Op.localTee)
                    values.push({ stack: value.stack, base: { local, version: versionOf(local) }, offset: 0 });
                return;
            }
            case Op.i32Add:
            case Op.i32Sub:
            case Op.i32And: {
                const b = pop();
                const a = pop();
                values.push(arithmetic(ins.op, a, b));
                return;
            }
        }
        if (STORES[ins.op] !== undefined) {
            pop(); // the value stored
            const address = pop();
            stores.set(position, { stack: address.stack, base: address.base, offset: address.offset ?? 0 });
            return;
        }
        for (let i = 0; i < effect.pops; i++) pop();
        for (let i = 0; i < effect.pushes; i++) values.push(UNKNOWN);
    });
    return { stores, dropped };
}

/**
 * `a op b`. A stack address stays one when a constant is added to it (a field of the frame), anything but
 * another stack address is subtracted from it (an `alloca`), or it is masked by a constant (aligned down). A
 * stack address plus a value that is not a constant is not assumed to stay one: the value could be the
 * difference between a heap and a stack address, which a compiler may form when it rewrites two pointers as
 * one. (Allowing it proved few more of the counter's stores, and none of the hot ones.) A local plus
 * constants stays that local plus their sum.
 */
function arithmetic(op: number, a: Value, b: Value): Value {
    if (a.constant !== undefined && b.constant !== undefined) {
        const constant =
            op === Op.i32Add ? a.constant + b.constant : op === Op.i32Sub ? a.constant - b.constant : a.constant & b.constant;
        return { stack: false, constant: constant | 0 };
    }
    if (op === Op.i32And) return { stack: a.stack && b.constant !== undefined };
    if (op === Op.i32Sub) {
        const stack = a.stack && !b.stack;
        return b.constant !== undefined && a.base !== undefined
            ? { stack, base: a.base, offset: (a.offset ?? 0) - b.constant }
            : { stack };
    }
    const stack = (a.stack && b.constant !== undefined) || (b.stack && a.constant !== undefined);
    if (b.constant !== undefined && a.base !== undefined) return { stack, base: a.base, offset: (a.offset ?? 0) + b.constant };
    if (a.constant !== undefined && b.base !== undefined) return { stack, base: b.base, offset: (b.offset ?? 0) + a.constant };
    return { stack };
}
