/**
 * The journals on their own, without a canister:
 * - the heap shadow commits and rolls back exactly the marked pages, wherever their runs start and end in the
 *   bitmap's 32-page blocks, with the bytes a store on a marked page spills into the next;
 * - stable memory's journal restores exactly what a message wrote, however much it wrote (the pieces it saves
 *   outgrow the journal's buffer between messages), and the next message journals afresh.
 */
import { HeapShadow, StableMemory } from './memory';
import { JOURNAL_PAGE_SHIFT, WASM_PAGE } from './wasm/instrument';

function filled(length: number, seed: number): Uint8Array {
    return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

const PAGE = 1 << JOURNAL_PAGE_SHIFT;
/** Wasm pages of heap below the bitmap, as a module's initial memory would be. */
const HEAP_WASM_PAGES = 2;

/** A heap with its shadow, and a way to write as instrumented code does: mark the first byte's page, then store. */
function shadowedHeap() {
    const memory = new WebAssembly.Memory({ initial: HEAP_WASM_PAGES });
    const shadow = new HeapShadow(memory, HEAP_WASM_PAGES);
    const heap = () => new Uint8Array(memory.buffer);
    const bitmap = HEAP_WASM_PAGES * WASM_PAGE;
    const store = (address: number, bytes: Uint8Array, mark = 1) => {
        heap()[bitmap + (address >> JOURNAL_PAGE_SHIFT)] = mark;
        heap().set(bytes, address);
    };
    return { memory, shadow, heap, store };
}

/** Pages written: runs that start and end on both sides of the scan's 32-page blocks, below and above the bitmap. */
function writtenPages(memory: WebAssembly.Memory): number[] {
    const above = (memory.buffer.byteLength - WASM_PAGE) / PAGE; // the first page of the last wasm page
    return [0, 1, 2, 30, 31, 32, 33, 63, 64, 65, 100, above, above + 31, above + 32, above + 63];
}

describe('heap shadow', () => {
    it('rolls back exactly the pages a message wrote, the spill into the next page included', () => {
        const { memory, shadow, heap, store } = shadowedHeap();
        memory.grow(1); // heap above the bitmap too
        const size = memory.buffer.byteLength;
        heap().fill(7);
        shadow.markRange(0, size);
        shadow.commit();
        const committed = heap().slice();

        const pages = writtenPages(memory);
        pages.forEach((page, i) => store(page * PAGE + 3, filled(16, i)));
        store(5 * PAGE - 4, filled(16, 99)); // a 16-byte store on page 4 that spills 12 bytes into page 5
        expect(Buffer.compare(heap(), committed)).not.toBe(0);
        shadow.rollback();
        expect(Buffer.compare(heap(), committed)).toBe(0);
        expect(shadow.lastDirtyPages).toBe(pages.length + 1);
    });

    it('commits the pages a message wrote, so the next rollback keeps them', () => {
        const { memory, shadow, heap, store } = shadowedHeap();
        memory.grow(1);
        const pages = writtenPages(memory);
        pages.forEach((page, i) => store(page * PAGE, filled(16, i), 0x80)); // any non-zero byte is a mark
        shadow.commit();
        expect(shadow.lastDirtyPages).toBe(pages.length);
        const committed = heap().slice();

        pages.slice(0, 3).forEach((page, i) => store(page * PAGE + 8, filled(16, i + 50)));
        shadow.rollback();
        expect(Buffer.compare(heap(), committed)).toBe(0);
        expect(shadow.lastDirtyPages).toBe(3); // the commit cleared its marks
    });

    it('zeroes again the memory a rolled-back message grew', () => {
        const { memory, shadow, heap, store } = shadowedHeap();
        shadow.commit();
        const grownAt = memory.grow(1) * WASM_PAGE;
        store(grownAt + 10, filled(100, 3));
        shadow.rollback();
        expect(
            heap()
                .subarray(grownAt, grownAt + WASM_PAGE)
                .every((b) => b === 0)
        ).toBe(true);
    });
});

describe('stable memory journal', () => {
    it('rolls back a write of 3 pages, then rolls back a small write after a commit', () => {
        const stable = new StableMemory();
        stable.grow(4);
        const before = filled(4 * WASM_PAGE, 1);
        stable.write(0, before);
        stable.commit();

        stable.write(100, filled(3 * WASM_PAGE, 2)); // 49 pieces of 4 KiB: more than the buffer kept between messages
        stable.rollback();
        expect(Buffer.compare(stable.read(0, 4 * WASM_PAGE), before)).toBe(0);

        stable.write(5, filled(10, 3));
        stable.commit();
        const committed = stable.read(0, 4 * WASM_PAGE);
        stable.write(4090, filled(20, 4)); // two pieces
        stable.rollback();
        expect(Buffer.compare(stable.read(0, 4 * WASM_PAGE), committed)).toBe(0);
    });

    it('gives back the size a rolled-back message grew', () => {
        const stable = new StableMemory();
        stable.grow(1);
        stable.commit();
        stable.grow(2);
        stable.write(WASM_PAGE, filled(10, 5));
        stable.rollback();
        expect(stable.sizeInPages).toBe(1);
    });
});
