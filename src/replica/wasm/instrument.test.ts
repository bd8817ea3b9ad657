/**
 * The instrumentation on small hand-assembled modules: instruction metering follows the replica's rules to
 * the instruction, the limit traps, and writes are tracked so a rollback restores memory exactly.
 */
import { HeapShadow } from '../memory';
import { ByteWriter } from './bytes';
import { COUNTER_EXPORT, instrument, JOURNAL_PAGE_SHIFT, TRACKED_PAGES, WASM_PAGE } from './instrument';

const I32 = 0x7f;

type Func = { name: string; params: number; body: number[]; locals?: number };

/**
 * A module with one memory page and the given functions (all exported), each `(i32) -> ()` or `(i32, i32) -> ()`
 * with `locals` more i32 locals. With `stackTop`, its first global is a mutable i32 stack pointer starting there
 * (LLVM's stack-first layout); `dataAt` places a one-byte data segment.
 */
function moduleWith(funcs: Func[], layout: { stackTop?: number; dataAt?: number } = {}): Uint8Array {
    const section = (id: number, content: ByteWriter) => out.byte(id).sized(content.toBytes());
    const out = new ByteWriter().bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const types = new ByteWriter().u32(2);
    types.byte(0x60).u32(1).byte(I32).u32(0); // type 0: (i32) -> ()
    types.byte(0x60).u32(2).byte(I32).byte(I32).u32(0); // type 1: (i32, i32) -> ()
    section(1, types);
    const fnSection = new ByteWriter().u32(funcs.length);
    funcs.forEach((f) => fnSection.u32(f.params - 1));
    section(3, fnSection);
    section(5, new ByteWriter().u32(1).byte(0).u32(1)); // one memory, 1 page
    if (layout.stackTop !== undefined) {
        section(6, new ByteWriter().u32(1).byte(I32).byte(1).byte(0x41).sleb(BigInt(layout.stackTop)).byte(0x0b));
    }
    const exports = new ByteWriter()
        .u32(funcs.length + 1)
        .name('memory')
        .byte(2)
        .u32(0);
    funcs.forEach((f, i) => exports.name(f.name).byte(0).u32(i));
    section(7, exports);
    const code = new ByteWriter().u32(funcs.length);
    funcs.forEach((f) => {
        const locals = f.locals === undefined ? new ByteWriter().u32(0) : new ByteWriter().u32(1).u32(f.locals).byte(I32);
        code.sized(locals.bytes(new Uint8Array(f.body)).toBytes());
    });
    section(10, code);
    if (layout.dataAt !== undefined) {
        section(11, new ByteWriter().u32(1).u32(0).byte(0x41).sleb(BigInt(layout.dataAt)).byte(0x0b).u32(1).byte(7));
    }
    return out.toBytes();
}

/** `countdown(n)`: block { loop { if n == 0 break; n = n - 1; continue } } */
const countdown = {
    name: 'countdown',
    params: 1,
    body: [0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x45, 0x0d, 1, 0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0, 0x0b, 0x0b, 0x0b]
};
/** `store(address, value)`: i32.store offset=0 */
const store = { name: 'store', params: 2, body: [0x20, 0, 0x20, 1, 0x36, 2, 0, 0x0b] };
/** `fill(address, length)`: memory.fill with 0xAB */
const fill = { name: 'fill', params: 2, body: [0x20, 0, 0x41, 0xab, 0x01, 0x20, 1, 0xfc, 11, 0, 0x0b] };

function load(wasm: Uint8Array) {
    const instrumented = instrument(wasm);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(instrumented.wasm), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const journal = new HeapShadow(memory, instrumented.bitmapPage);
    const marked = () => {
        const bitmap = new Uint8Array(memory.buffer, instrumented.bitmapPage * WASM_PAGE, 64);
        return [...bitmap.keys()].filter((page) => bitmap[page] === 1);
    };
    const counter = instance.exports[COUNTER_EXPORT] as WebAssembly.Global;
    const fn = (name: string) => instance.exports[name] as (...args: number[]) => void;
    return { fn, counter, memory, journal, marked, bitmapAddress: instrumented.bitmapPage * WASM_PAGE, instrumented };
}

describe('instruction metering', () => {
    it.each([0, 1, 10, 1000])('charges countdown(%i) 5 + 10n instructions, as the replica counts', (n) => {
        const { fn, counter } = load(moduleWith([countdown]));
        counter.value = 1_000_000n;
        fn('countdown')(n);
        // entry 1; loop head (local.get, i32.eqz, br_if) 4, n + 1 times; body (local.get, i32.const, i32.sub, local.set, br) 6, n times
        expect(1_000_000n - (counter.value as bigint)).toBe(BigInt(5 + 10 * n));
    });

    it('traps in a loop that runs past the budget, leaving the counter negative (how the host tells the limit from a trap)', () => {
        const { fn, counter } = load(moduleWith([countdown]));
        counter.value = 50n;
        expect(() => fn('countdown')(1000)).toThrow(WebAssembly.RuntimeError);
        expect(counter.value as bigint).toBeLessThan(0n);
        // the loop stopped at the first header past the budget: 5 instructions before it, 10 per iteration
        expect(counter.value as bigint).toBeGreaterThan(50n - 5n - 10n * 6n);
    });

    it('does not trap a loop that stays within the budget', () => {
        const { fn, counter } = load(moduleWith([countdown]));
        counter.value = 5n + 10n * 4n;
        fn('countdown')(4);
        expect(counter.value).toBe(0n);
    });
});

describe('write tracking', () => {
    it('marks the page of every store in the bitmap, and a commit clears the marks', () => {
        const { fn, counter, journal, marked } = load(moduleWith([store]));
        counter.value = 1_000_000n;
        fn('store')(5000, 1);
        fn('store')(5004, 2);
        fn('store')(100, 3);
        expect(marked()).toEqual([0, 5000 >> JOURNAL_PAGE_SHIFT]);
        journal.commit();
        expect(marked()).toEqual([]);
        expect(journal.lastDirtyPages).toBe(2);
    });

    it('restores exactly the bytes a rolled-back message wrote, including a write across a page boundary', () => {
        const { fn, counter, memory, journal } = load(moduleWith([store, fill]));
        counter.value = 1_000_000n;
        const heap = () => new Uint8Array(memory.buffer).slice(0, 65536);
        fn('store')(10, 0x11111111);
        journal.commit();
        const before = heap();
        fn('store')(4094, 0x22222222); // bytes 4094..4097: pages 0 and 1
        fn('fill')(20_000, 30_000); // pages 4..12
        expect(heap()).not.toEqual(before);
        journal.rollback();
        expect(Buffer.compare(heap(), before)).toBe(0);
    });

    it('charges memory.fill its length on top of its static cost, and marks every page of its range', () => {
        const { fn, counter, marked } = load(moduleWith([fill]));
        counter.value = 1_000_000n;
        fn('fill')(1000, 2000); // bytes 1000..2999: pages 0, 1 and 2
        expect(marked()).toEqual([0, 1, 2]);
        // entry 1 + local.get 1 + i32.const 1 + local.get 1 + memory.fill 100, plus the 2000 bytes
        expect(1_000_000n - (counter.value as bigint)).toBe(104n + 2000n);
    });

    it('marks nothing for an empty fill at a page boundary, and a fill past 4 GiB traps without marking past the bitmap', () => {
        const { fn, counter, marked, memory, bitmapAddress } = load(moduleWith([fill]));
        counter.value = 1_000_000n;
        fn('fill')(2048, 0);
        expect(marked()).toEqual([]);
        memory.grow(1); // heap past the bitmap, where an unclamped mark would land
        expect(() => fn('fill')(0xffff_ff00, 0x200)).toThrow(WebAssembly.RuntimeError);
        expect(marked()).toEqual([]);
        expect(new Uint8Array(memory.buffer)[bitmapAddress + TRACKED_PAGES]).toBe(0);
    });
});

/** `threeStores(p)`: stores at p, p + 4 and p + 8, all through the parameter: one group. */
const threeStores: Func = {
    name: 'threeStores',
    params: 1,
    body: [0x20, 0, 0x41, 1, 0x36, 2, 0, 0x20, 0, 0x41, 2, 0x36, 2, 4, 0x20, 0, 0x41, 3, 0x36, 2, 8, 0x0b]
};
/** `armThenAfter(p, cond)`: if (cond) store at p; then store at p + 512. */
const armThenAfter: Func = {
    name: 'armThenAfter',
    params: 2,
    body: [0x20, 1, 0x04, 0x40, 0x20, 0, 0x41, 1, 0x36, 2, 0, 0x0b, 0x20, 0, 0x41, 2, 0x36, 2, 0x80, 0x04, 0x0b]
};
/** `loopStores(p, n)`: store at p; then n times: store at p + 4, p += 4096. */
const loopStores: Func = {
    name: 'loopStores',
    params: 2,
    body: [
        ...[0x20, 0, 0x41, 1, 0x36, 2, 0], // store at p
        ...[0x03, 0x40, 0x20, 0, 0x41, 2, 0x36, 2, 4], // loop { store at p + 4
        ...[0x20, 0, 0x41, 0x80, 0x20, 0x6a, 0x21, 0], // p += 4096
        ...[0x20, 1, 0x41, 1, 0x6b, 0x22, 1, 0x0d, 0, 0x0b, 0x0b] // n -= 1; continue while n }
    ]
};

describe('marks shared by stores through one local', () => {
    it.each([
        [2000, [1]],
        [1020, [0, 1]]
    ])('marks exactly the pages of stores at p, p + 4 and p + 8 for p = %i', (p, pages) => {
        const { fn, counter, marked } = load(moduleWith([threeStores]));
        counter.value = 1_000_000n;
        fn('threeStores')(p);
        expect(marked()).toEqual(pages);
    });

    it('does not let a store in an if arm that did not run stand for a store after the if', () => {
        const { fn, counter, marked } = load(moduleWith([armThenAfter]));
        counter.value = 1_000_000n;
        fn('armThenAfter')(1000, 0); // only the store at 1512 runs
        expect(marked()).toEqual([1]);
    });

    it('does not let a store before a loop stand for a store inside it, where the local changes between iterations', () => {
        const { fn, counter, marked } = load(moduleWith([loopStores]));
        counter.value = 1_000_000n;
        fn('loopStores')(0, 2); // stores at 0, 4 and 4100
        expect(marked()).toEqual([0, 4]);
    });
});

/** The stack pointer (global 0) of the stack-first modules below, and the top of their 16 KiB stack. */
const STACK_TOP = 16384;
/** `frameStore(value)`: sp -= 16; store value at sp + 4; sp += 16 (a function's frame in the shadow stack). */
const frameStore: Func = {
    name: 'frameStore',
    params: 1,
    locals: 1,
    body: [
        ...[0x23, 0, 0x41, 16, 0x6b, 0x22, 1, 0x24, 0], // sp - 16 -> local 1, global 0
        ...[0x20, 1, 0x20, 0, 0x36, 2, 4], // i32.store offset=4 (local 1) (value)
        ...[0x20, 1, 0x41, 16, 0x6a, 0x24, 0, 0x0b] // sp = local 1 + 16
    ]
};
/** `mixedStore(address, value)`: a local that holds the stack pointer on one path and the address on the other. */
const mixedStore: Func = {
    name: 'mixedStore',
    params: 2,
    locals: 1,
    body: [
        ...[0x23, 0, 0x21, 2], // local 2 = sp
        ...[0x20, 0, 0x04, 0x40, 0x20, 0, 0x21, 2, 0x0b], // if (address) local 2 = address
        ...[0x20, 2, 0x20, 1, 0x36, 2, 0, 0x0b] // i32.store (local 2) (value)
    ]
};

describe('write tracking of the shadow stack', () => {
    it('finds the stack of a stack-first module, and no stack when static data lies below the stack pointer', () => {
        expect(instrument(moduleWith([frameStore], { stackTop: STACK_TOP, dataAt: STACK_TOP })).shadowStackTop).toBe(STACK_TOP);
        expect(instrument(moduleWith([frameStore], { stackTop: STACK_TOP, dataAt: 1024 })).shadowStackTop).toBeUndefined();
        expect(instrument(moduleWith([frameStore], { stackTop: 1000 })).shadowStackTop).toBeUndefined(); // not 16-byte aligned
        expect(instrument(moduleWith([store])).shadowStackTop).toBeUndefined();
    });

    it('does not mark stores into a frame on the shadow stack, and still marks stores through other addresses', () => {
        const { fn, counter, marked, memory } = load(moduleWith([frameStore, store], { stackTop: STACK_TOP }));
        counter.value = 1_000_000n;
        fn('frameStore')(0x5eed);
        expect(new DataView(memory.buffer).getUint32(STACK_TOP - 16 + 4, true)).toBe(0x5eed);
        expect(marked()).toEqual([]);
        fn('store')(STACK_TOP - 16, 1); // the same address, but from a parameter: tracked
        expect(marked()).toEqual([(STACK_TOP - 16) >> JOURNAL_PAGE_SHIFT]);
    });

    it('marks a store through a local that is not always a stack address', () => {
        const { fn, counter, marked } = load(moduleWith([mixedStore], { stackTop: STACK_TOP }));
        counter.value = 1_000_000n;
        fn('mixedStore')(40_000, 1);
        expect(marked()).toEqual([40_000 >> JOURNAL_PAGE_SHIFT]);
    });

    it('marks every store of a module without the stack-first layout, the frame stores included', () => {
        const { fn, counter, marked } = load(moduleWith([frameStore], { stackTop: STACK_TOP, dataAt: 1024 }));
        counter.value = 1_000_000n;
        fn('frameStore')(1);
        expect(marked()).toEqual([(STACK_TOP - 16 + 4) >> JOURNAL_PAGE_SHIFT]);
    });
});
