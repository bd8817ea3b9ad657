/**
 * A canister's memories and the journal that lets a message be rolled back.
 *
 * The heap is the wasm instance's memory. The instrumented code marks a 4 KiB page in the bitmap (placed
 * past the module's initial memory) and calls `journalPage` before its first write to it in a message; the
 * old contents are saved then, so a rollback restores exactly the pages the message wrote, and a commit just
 * clears their marks. Stable memory is held here as sparse 64 KiB pages with a journal of its own.
 */
import { BITMAP_WASM_PAGES, JOURNAL_PAGE_SHIFT, WASM_PAGE } from './wasm/instrument';

const JOURNAL_PAGE = 1 << JOURNAL_PAGE_SHIFT;

/** The IC's stable memory limit: 500 GiB (interface specification, "Resource limits"). */
export const MAX_STABLE_PAGES = (500 * 1024 ** 3) / WASM_PAGE;

export class HeapJournal {
    private readonly saved = new Map<number, Uint8Array>();
    private readonly bitmapAddress: number;

    constructor(
        private readonly memory: WebAssembly.Memory,
        bitmapPage: number
    ) {
        this.bitmapAddress = bitmapPage * WASM_PAGE;
        const grown = memory.grow(BITMAP_WASM_PAGES);
        if (grown !== bitmapPage) {
            throw new Error(`the heap had ${grown} pages at instantiation, the instrumentation expected ${bitmapPage}`);
        }
    }

    /** The number of 4 KiB pages written by the current message. */
    get dirtyPages(): number {
        return this.saved.size;
    }

    /**
     * Saves the page and the next one (a store that starts on a page may end on the next) before the first
     * write to either in this message.
     */
    journalPage(page: number): void {
        this.save(page);
        this.save(page + 1);
    }

    journalRange(address: number, length: number): void {
        if (length <= 0) return;
        const first = address >>> JOURNAL_PAGE_SHIFT;
        const last = (address + length - 1) >>> JOURNAL_PAGE_SHIFT;
        for (let page = first; page <= last + 1; page++) this.save(page);
    }

    private save(page: number): void {
        if (this.saved.has(page)) return;
        const heap = new Uint8Array(this.memory.buffer);
        const start = page * JOURNAL_PAGE;
        if (start >= this.bitmapAddress && start < this.bitmapAddress + BITMAP_WASM_PAGES * WASM_PAGE) return;
        this.saved.set(page, start < heap.length ? heap.slice(start, start + JOURNAL_PAGE) : new Uint8Array(0));
        if (page < BITMAP_WASM_PAGES * WASM_PAGE) heap[this.bitmapAddress + page] = 1;
    }

    commit(): void {
        this.clearMarks();
        this.saved.clear();
    }

    rollback(): void {
        const heap = new Uint8Array(this.memory.buffer);
        for (const [page, bytes] of this.saved) {
            const start = page * JOURNAL_PAGE;
            if (bytes.length > 0) heap.set(bytes, start);
            // a page past the heap's end when saved was grown into by the message: it is zero again
            else if (start < heap.length) heap.fill(0, start, start + JOURNAL_PAGE);
        }
        this.clearMarks();
        this.saved.clear();
    }

    private clearMarks(): void {
        const heap = new Uint8Array(this.memory.buffer);
        for (const page of this.saved.keys()) heap[this.bitmapAddress + page] = 0;
    }
}

/** Stable memory: sparse 64 KiB pages, journaled per page. */
export class StableMemory {
    private pages: (Uint8Array | undefined)[] = [];
    private size = 0;
    private journal: { size: number; pages: Map<number, Uint8Array | undefined> } | undefined;

    get sizeInPages(): number {
        return this.size;
    }

    /** Grows by `delta` pages; returns the old size, or -1 when the limit would be passed. */
    grow(delta: number): number {
        const old = this.size;
        if (old + delta > MAX_STABLE_PAGES) return -1;
        this.begin();
        this.size = old + delta;
        return old;
    }

    read(offset: number, length: number): Uint8Array {
        const out = new Uint8Array(length);
        this.forEachChunk(offset, length, (page, pageOffset, outOffset, n) => {
            const bytes = this.pages[page];
            if (bytes !== undefined) out.set(bytes.subarray(pageOffset, pageOffset + n), outOffset);
        });
        return out;
    }

    write(offset: number, data: Uint8Array): void {
        this.begin();
        this.forEachChunk(offset, data.length, (page, pageOffset, dataOffset, n) => {
            const journal = this.journal as NonNullable<typeof this.journal>;
            if (!journal.pages.has(page)) journal.pages.set(page, this.pages[page]?.slice());
            const bytes = (this.pages[page] ??= new Uint8Array(WASM_PAGE));
            bytes.set(data.subarray(dataOffset, dataOffset + n), pageOffset);
        });
    }

    /** True when [offset, offset + length) lies within the current size. */
    inBounds(offset: number, length: number): boolean {
        return offset >= 0 && length >= 0 && offset + length <= this.size * WASM_PAGE;
    }

    /** The whole stable memory as one buffer (pic-js `getStableMemory`). */
    snapshot(): Uint8Array {
        return this.read(0, this.size * WASM_PAGE);
    }

    /** Replaces the contents (pic-js `setStableMemory`), growing to fit. */
    restore(bytes: Uint8Array): void {
        this.pages = [];
        this.size = Math.ceil(bytes.length / WASM_PAGE);
        this.journal = undefined;
        this.write(0, bytes);
        this.journal = undefined;
    }

    /** A copy of the contents; calling the result puts them back (for a failed install or upgrade). */
    checkpoint(): () => void {
        const pages = this.pages.map((p) => p?.slice());
        const size = this.size;
        return () => {
            this.pages = pages;
            this.size = size;
            this.journal = undefined;
        };
    }

    clear(): void {
        this.pages = [];
        this.size = 0;
        this.journal = undefined;
    }

    commit(): void {
        this.journal = undefined;
    }

    rollback(): void {
        if (this.journal === undefined) return;
        for (const [page, bytes] of this.journal.pages) this.pages[page] = bytes;
        this.size = this.journal.size;
        this.journal = undefined;
    }

    private begin(): void {
        this.journal ??= { size: this.size, pages: new Map() };
    }

    private forEachChunk(
        offset: number,
        length: number,
        f: (page: number, pageOffset: number, dataOffset: number, n: number) => void
    ): void {
        let done = 0;
        while (done < length) {
            const at = offset + done;
            const page = Math.floor(at / WASM_PAGE);
            const pageOffset = at % WASM_PAGE;
            const n = Math.min(WASM_PAGE - pageOffset, length - done);
            f(page, pageOffset, done, n);
            done += n;
        }
    }
}
