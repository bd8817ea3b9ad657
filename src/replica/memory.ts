/**
 * A canister's memories and how a message is committed or rolled back.
 *
 * The heap is the wasm instance's memory. The instrumented code marks each 1 KiB page it writes in a bitmap
 * placed past the module's initial memory (one byte per page, `BITMAP_WASM_PAGES` wasm pages). The host keeps
 * a shadow copy of the heap as of the last commit; at the end of a message it scans the bitmap over the heap's
 * current size and copies only the marked pages: heap to shadow to commit, shadow to heap to roll back. The work
 * per message is proportional to the pages it wrote (plus a scan of about 1 byte per 1 KiB of heap). Stable
 * memory is held here as sparse 64 KiB pages with a journal of its own.
 */
import { BITMAP_WASM_PAGES, JOURNAL_PAGE_SHIFT, TRACKED_PAGES, WASM_PAGE } from './wasm/instrument';

/** A local copy: a module's imported binding is a getter call where the test runner compiles to CommonJS. */
const PAGE_SHIFT = JOURNAL_PAGE_SHIFT;
const PAGE = 1 << PAGE_SHIFT;
/**
 * A store marks only the page of its first byte; the widest store (v128, 16 bytes) reaches at most 15 bytes
 * into the next page, so each marked page is copied with that much of the next.
 */
const STORE_SPILL = 15;
/** One byte per tracked page. */
const BITMAP_BYTES = TRACKED_PAGES;

/** The IC's stable memory limit: 500 GiB (interface specification, "Resource limits"). */
export const MAX_STABLE_PAGES = (500 * 1024 ** 3) / WASM_PAGE;

/**
 * A view of a wasm memory, kept until the memory grows (growing detaches the old buffer, which empties every
 * view of it): the system API reads the heap on nearly every call, and a new view each time was measurable.
 */
export class HeapView {
    private view = new Uint8Array();

    constructor(private readonly memory: WebAssembly.Memory) {}

    get(): Uint8Array {
        if (this.view.length === 0) this.view = new Uint8Array(this.memory.buffer);
        return this.view;
    }
}

/** Stable memory as {@link StableMemory.copy} keeps it: its size in pages and its written pages (holes elsewhere). */
export type StableCopy = { readonly size: number; readonly pages: readonly (Uint8Array | undefined)[] };

export class HeapShadow {
    /** The heap this shadow follows. */
    readonly heap: HeapView;
    private readonly bitmapAddress: number;
    private shadow: Uint8Array;
    /** Pages written by the current message, found by the last scan (for tests and figures). */
    lastDirtyPages = 0;

    constructor(memory: WebAssembly.Memory, bitmapPage: number) {
        if (!LITTLE_ENDIAN) throw new Error('the local IC needs a little-endian host (its commit scan reads marks as words)');
        this.heap = new HeapView(memory);
        this.bitmapAddress = bitmapPage * WASM_PAGE;
        const grown = memory.grow(BITMAP_WASM_PAGES);
        if (grown !== bitmapPage) {
            throw new Error(`the heap had ${grown} pages at instantiation, the instrumentation expected ${bitmapPage}`);
        }
        this.shadow = this.heap.get().slice();
    }

    /** Marks the pages of a range the host writes into the heap (the canister's own writes mark themselves). */
    markRange(address: number, length: number): void {
        if (length <= 0) return;
        const heap = this.heap.get();
        const last = (address + length - 1) >>> PAGE_SHIFT;
        for (let page = address >>> PAGE_SHIFT; page <= last && page < BITMAP_BYTES; page++) heap[this.bitmapAddress + page] = 1;
    }

    /**
     * Makes `bytes` the heap, growing `memory` (the one this shadow follows) to their size, and the shadow
     * the same: for loading a canister snapshot, between messages. `bytes` is a heap of the same module as
     * the snapshot took it, bitmap included (all clear between messages).
     */
    adopt(memory: WebAssembly.Memory, bytes: Uint8Array): void {
        const missing = bytes.length - memory.buffer.byteLength;
        if (missing > 0) memory.grow(Math.ceil(missing / WASM_PAGE));
        this.heap.get().set(bytes);
        this.shadow = this.heap.get().slice();
    }

    /** Keeps what the message wrote. */
    commit(): void {
        const heap = this.heap.get();
        if (heap.length > this.shadow.length) {
            const grown = new Uint8Array(heap.length);
            grown.set(this.shadow);
            this.shadow = grown;
        }
        const shadow = this.shadow;
        this.forEachDirtyRun(heap, (start, end) => shadow.set(heap.subarray(start, end), start));
    }

    /** Restores every page the message wrote. */
    rollback(): void {
        const heap = this.heap.get();
        const shadow = this.shadow;
        this.forEachDirtyRun(heap, (start, end) => {
            if (start >= shadow.length)
                heap.fill(0, start, end); // grown by the message: zero again
            else heap.set(shadow.subarray(start, Math.min(end, shadow.length)), start);
        });
    }

    /**
     * Calls `f` with the byte range of each run of marked pages, extended by the bytes a store that starts on
     * its last page can reach on the next (`STORE_SPILL`); then clears the marks.
     *
     * The bitmap is read 32 pages at a time, as eight 32-bit words, and a block with a mark becomes a 32-bit
     * mask whose runs are found with bit arithmetic: reading mark by mark, a branch per mark, made the scan
     * about half of a counter update's commit; this way is about twice as fast.
     */
    private forEachDirtyRun(heap: Uint8Array, f: (start: number, end: number) => void): void {
        const blocks = Math.ceil(Math.min(Math.ceil(heap.length / PAGE), BITMAP_BYTES) / SCAN_BLOCK);
        const words = new Int32Array(heap.buffer, this.bitmapAddress, blocks * (SCAN_BLOCK / 4));
        // the bitmap's own pages are never written by the canister's code, nor copied: their marks are not read
        const bitmapBlock = this.bitmapAddress / PAGE / SCAN_BLOCK;
        const afterBitmap = (this.bitmapAddress + BITMAP_BYTES) / PAGE / SCAN_BLOCK;
        let dirty = 0;
        let runFrom = -1; // the pages of the current run, [runFrom, runTo)
        let runTo = -1;
        for (let block = 0; block < blocks; block++) {
            if (block === bitmapBlock) {
                block = afterBitmap - 1;
                continue;
            }
            const w = block * (SCAN_BLOCK / 4);
            let any = 0;
            for (let k = 0; k < SCAN_BLOCK / 4; k++) any |= words[w + k] as number;
            if (any === 0) continue;
            let mask = 0;
            for (let k = 0; k < SCAN_BLOCK / 4; k++) {
                mask |= nibbleOfMarks(words[w + k] as number) << (4 * k);
                words[w + k] = 0;
            }
            const base = block * SCAN_BLOCK;
            while (mask !== 0) {
                const first = lowestSetBit(mask);
                const clear = ~mask & (-1 << first); // the unmarked pages from `first` on
                const end = clear === 0 ? SCAN_BLOCK : lowestSetBit(clear);
                mask = end === SCAN_BLOCK ? 0 : mask & (-1 << end);
                dirty += end - first;
                if (base + first === runTo) runTo = base + end;
                else {
                    if (runFrom >= 0) this.passRun(heap, runFrom, runTo, f);
                    runFrom = base + first;
                    runTo = base + end;
                }
            }
        }
        if (runFrom >= 0) this.passRun(heap, runFrom, runTo, f);
        this.lastDirtyPages = dirty;
    }

    /** Passes the bytes of pages [from, to) and their spill to `f`: never the bitmap itself, nor past the heap. */
    private passRun(heap: Uint8Array, from: number, to: number, f: (start: number, end: number) => void): void {
        const start = from * PAGE;
        const end = to * PAGE + STORE_SPILL;
        const bitmapStart = this.bitmapAddress;
        const bitmapEnd = bitmapStart + BITMAP_BYTES;
        if (start < bitmapStart) f(start, Math.min(end, bitmapStart, heap.length));
        else if (start >= bitmapEnd && start < heap.length) f(start, Math.min(end, heap.length));
    }
}

/** Pages the commit scan reads at a time: one bit each in a 32-bit mask. */
const SCAN_BLOCK = 32;
/** The scan reads marks as 32-bit words, which puts byte j at bits 8j to 8j + 7 on a little-endian host only. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The 4 marks in a 32-bit word as 4 bits (bit j for byte j). Any non-zero byte counts as a mark: the bitmap
 * lies in the canister's own memory, where a stray write could leave a value other than 1.
 */
function nibbleOfMarks(word: number): number {
    let x = word | (word >>> 4); // within each byte, bits 4-7 folded onto 0-3
    x |= x >>> 2;
    x |= x >>> 1; // bit 0 of each byte: whether any of its bits is set
    x &= 0x01010101;
    return (x | (x >>> 7) | (x >>> 14) | (x >>> 21)) & 0xf;
}

/** The index of the lowest set bit of a non-zero 32-bit value. */
function lowestSetBit(x: number): number {
    return 31 - Math.clz32(x & -x);
}

/** The part of a stable page the journal saves before its first write in a message. */
const STABLE_JOURNAL_CHUNK = 4096;
/** The journal's buffer between messages: 64 KiB, room for the pieces of most messages. */
const SAVED_BYTES_KEPT = 16 * STABLE_JOURNAL_CHUNK;

/**
 * Stable memory: sparse 64 KiB pages. Journaled by default: before a message first writes a 4 KiB piece of a
 * page, the piece is saved, so a rollback restores exactly what the message wrote.
 */
export class StableMemory {
    private pages: (Uint8Array | undefined)[] = [];
    private size = 0;
    /** Per page written in this message: whether it existed, and where in `saved` each saved 4 KiB piece is. */
    private journal: { size: number; pages: Map<number, { existed: boolean; pieces: Map<number, number> }> } | undefined;
    /**
     * The saved pieces, one after another in one buffer that every message reuses: allocating a buffer per
     * piece cost more than copying it.
     */
    private saved = new Uint8Array(SAVED_BYTES_KEPT);
    private savedBytes = 0;

    /** `journaled: false` gives a plain memory (no rollback), for a benchmark's do-nothing host. */
    constructor(private readonly journaled = true) {}

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

    /** The bytes at [offset, offset + length): a view into the page when they lie in one that exists, else a copy. */
    view(offset: number, length: number): Uint8Array {
        const bytes = this.pages[Math.floor(offset / WASM_PAGE)];
        const at = offset % WASM_PAGE;
        return bytes !== undefined && at + length <= WASM_PAGE ? bytes.subarray(at, at + length) : this.read(offset, length);
    }

    write(offset: number, data: Uint8Array): void {
        this.begin();
        this.forEachChunk(offset, data.length, (page, pageOffset, dataOffset, n) => {
            if (this.journal !== undefined) this.save(this.journal, page, pageOffset, n);
            const bytes = (this.pages[page] ??= new Uint8Array(WASM_PAGE));
            bytes.set(data.subarray(dataOffset, dataOffset + n), pageOffset);
        });
    }

    /** Saves the 4 KiB pieces of `page` that [pageOffset, pageOffset + n) touches, if not saved yet. */
    private save(journal: NonNullable<typeof this.journal>, page: number, pageOffset: number, n: number): void {
        let entry = journal.pages.get(page);
        const bytes = this.pages[page];
        if (entry === undefined) {
            entry = { existed: bytes !== undefined, pieces: new Map() };
            journal.pages.set(page, entry);
        }
        if (bytes === undefined) return; // a page that did not exist is simply dropped on rollback
        const last = Math.floor((pageOffset + n - 1) / STABLE_JOURNAL_CHUNK);
        for (let piece = Math.floor(pageOffset / STABLE_JOURNAL_CHUNK); piece <= last; piece++) {
            if (entry.pieces.has(piece)) continue;
            if (this.savedBytes + STABLE_JOURNAL_CHUNK > this.saved.length) {
                const grown = new Uint8Array(this.saved.length * 2);
                grown.set(this.saved.subarray(0, this.savedBytes));
                this.saved = grown;
            }
            const start = piece * STABLE_JOURNAL_CHUNK;
            this.saved.set(bytes.subarray(start, start + STABLE_JOURNAL_CHUNK), this.savedBytes);
            entry.pieces.set(piece, this.savedBytes);
            this.savedBytes += STABLE_JOURNAL_CHUNK;
        }
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
        this.endJournal();
        this.write(0, bytes);
        this.endJournal();
    }

    /** A copy of the contents; calling the result puts them back (for a failed install or upgrade). */
    checkpoint(): () => void {
        const saved = this.copy();
        return () => this.load(saved);
    }

    /**
     * A copy of the contents that nothing done to this memory afterwards changes (a canister snapshot keeps
     * one). Pages never written stay holes: an Azle canister's stable memory is mostly reserved, not written.
     */
    copy(): StableCopy {
        return { size: this.size, pages: this.pages.map((p) => p?.slice()) };
    }

    /** Replaces the contents with a copy's; the copy stays usable (a snapshot can be loaded again). */
    load(copy: StableCopy): void {
        this.pages = copy.pages.map((p) => p?.slice());
        this.size = copy.size;
        this.endJournal();
    }

    clear(): void {
        this.pages = [];
        this.size = 0;
        this.endJournal();
    }

    commit(): void {
        this.endJournal();
    }

    rollback(): void {
        if (this.journal === undefined) return;
        for (const [page, { existed, pieces }] of this.journal.pages) {
            const bytes = this.pages[page];
            if (!existed || bytes === undefined) {
                this.pages[page] = undefined;
                continue;
            }
            for (const [piece, at] of pieces)
                bytes.set(this.saved.subarray(at, at + STABLE_JOURNAL_CHUNK), piece * STABLE_JOURNAL_CHUNK);
        }
        this.size = this.journal.size;
        this.endJournal();
    }

    private endJournal(): void {
        this.journal = undefined;
        this.savedBytes = 0;
        // a message that wrote much of stable memory does not leave its copy held for the canister's life
        if (this.saved.length > SAVED_BYTES_KEPT) this.saved = new Uint8Array(SAVED_BYTES_KEPT);
    }

    private begin(): void {
        if (this.journaled) this.journal ??= { size: this.size, pages: new Map() };
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
