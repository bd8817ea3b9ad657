/**
 * Where a module's shadow stack is, so the write tracking can leave out the stores into it.
 *
 * LLVM's wasm32 target keeps a C or Rust program's address-taken locals in a "shadow stack" in linear memory,
 * addressed through a mutable i32 global (`__stack_pointer`). With `--stack-first` (Rust's default for
 * wasm32) the stack is laid out first: it occupies [0, top), grows down from `top` (the global's initial
 * value), and the static data starts at `top`. Every message starts with an empty stack and ends with an
 * empty stack, so nothing a message writes there is read by a later message: a rollback need not restore it,
 * and a commit need not keep it. Nearly half of an Azle canister's stores write the stack; the analysis proves
 * a part of them, the rest go through pointers it cannot follow (parameters, values loaded from memory,
 * QuickJS's value stack, which can also live in the heap).
 *
 * A store counts as a stack store only when its address is derived, within the function, from the stack
 * pointer alone (see `store-addresses.ts`); anything else, including an address loaded from memory or passed
 * as a parameter, is tracked.
 */
import { type Instruction, Op } from './instructions';

/** Where the shadow stack is: the stack pointer's global index and the stack's top (its initial value). */
export type ShadowStack = { readonly pointer: number; readonly top: number };

/**
 * The stack layout of a module, when it is the stack-first layout described above: the first defined global
 * is a mutable i32 whose initial value `top` is a 16-byte-aligned address inside the initial memory, and no
 * data segment starts below `top`. Otherwise `undefined`, and every store is tracked.
 */
export function findShadowStack(module: {
    importedGlobals: number;
    firstGlobal: { valueType: number; mutable: boolean; init: Instruction | undefined } | undefined;
    dataOffsets: readonly (number | undefined)[];
    initialMemoryBytes: number;
}): ShadowStack | undefined {
    const g = module.firstGlobal;
    if (g === undefined || g.valueType !== 0x7f || !g.mutable || g.init?.op !== Op.i32Const) return undefined;
    const top = g.init.value as number;
    if (top <= 0 || top % 16 !== 0 || top > module.initialMemoryBytes) return undefined;
    if (module.dataOffsets.some((offset) => offset === undefined || offset < top)) return undefined;
    return { pointer: module.importedGlobals, top };
}
