/**
 * The instrumentation on small hand-assembled modules: instruction metering follows the replica's rules to
 * the instruction, the limit traps, and writes are tracked so a rollback restores memory exactly.
 */
import { HeapShadow } from '../memory';
import { ByteWriter } from './bytes';
import { COUNTER_EXPORT, instrument, INJECTED_MODULE, JOURNAL_PAGE_SHIFT, TRACKED_PAGES, WASM_PAGE } from './instrument';

const I32 = 0x7f;

/** A module with one memory page and the given functions (all exported), each `(i32, i32) -> ()` or `(i32) -> ()`. */
function moduleWith(funcs: { name: string; params: number; body: number[] }[]): Uint8Array {
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
    const exports = new ByteWriter()
        .u32(funcs.length + 1)
        .name('memory')
        .byte(2)
        .u32(0);
    funcs.forEach((f, i) => exports.name(f.name).byte(0).u32(i));
    section(7, exports);
    const code = new ByteWriter().u32(funcs.length);
    funcs.forEach((f) => code.sized(new ByteWriter().u32(0).bytes(new Uint8Array(f.body)).toBytes()));
    section(10, code);
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
    const calls = { outOfInstructions: 0 };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(instrumented.wasm), {
        [INJECTED_MODULE]: {
            out_of_instructions: () => {
                calls.outOfInstructions++;
                throw new Error('out of instructions');
            }
        }
    });
    const memory = instance.exports.memory as WebAssembly.Memory;
    const journal = new HeapShadow(memory, instrumented.bitmapPage);
    const marked = () => {
        const bitmap = new Uint8Array(memory.buffer, instrumented.bitmapPage * WASM_PAGE, 64);
        return [...bitmap.keys()].filter((page) => bitmap[page] === 1);
    };
    const counter = instance.exports[COUNTER_EXPORT] as WebAssembly.Global;
    const fn = (name: string) => instance.exports[name] as (...args: number[]) => void;
    return { fn, counter, memory, journal, calls, marked, bitmapAddress: instrumented.bitmapPage * WASM_PAGE };
}

describe('instruction metering', () => {
    it.each([0, 1, 10, 1000])('charges countdown(%i) 5 + 10n instructions, as the replica counts', (n) => {
        const { fn, counter } = load(moduleWith([countdown]));
        counter.value = 1_000_000n;
        fn('countdown')(n);
        // entry 1; loop head (local.get, i32.eqz, br_if) 4, n + 1 times; body (local.get, i32.const, i32.sub, local.set, br) 6, n times
        expect(1_000_000n - (counter.value as bigint)).toBe(BigInt(5 + 10 * n));
    });

    it('calls out_of_instructions when the budget runs out in a loop', () => {
        const { fn, counter, calls } = load(moduleWith([countdown]));
        counter.value = 50n;
        expect(() => fn('countdown')(1000)).toThrow('out of instructions');
        expect(calls.outOfInstructions).toBe(1);
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
