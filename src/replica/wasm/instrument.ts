/**
 * Instruments a canister's wasm module the way the replica does, plus the write tracking the local IC needs to
 * roll a message back.
 *
 * - Instruction metering, with the replica's costs and block boundaries (`inject_metering` in the IC's
 *   `instrumentation.rs`): an exported i64 counter starts each message at the message's limit and ends it
 *   lowered by the static cost of every basic block executed. Within a function the costs are summed in a
 *   local (a register) and subtracted from the counter before calls to imports (the system API) and when
 *   the function returns. Loop headers compare the pending cost with the budget the function last read from
 *   the counter (registers only); past it, they subtract the pending cost from the counter, which makes it
 *   negative, and trap with `unreachable`. A trapping `if` costs the loop a compare and a branch the CPU
 *   predicts, where a call in the loop made the compiler keep registers free for it (about 4 points of the
 *   bookkeeping cost, in an A/B run on the counter while this was built). The host reads a trap with a
 *   negative counter as the instruction limit. The budget can be stale after a call to the module's own code,
 *   which only delays stopping a runaway loop, and the host checks the counter again when the message ends,
 *   so a message over its limit always traps. Bulk memory instructions are also charged their length at run
 *   time.
 * - Write tracking: before every store, the instrumented code marks the 1 KiB page it writes in a dirty-page
 *   bitmap that the host appends to linear memory (`BITMAP_WASM_PAGES` wasm pages at `bitmapPage`): one byte
 *   store, no branch and no call, so the canister's own code stays fast. Stores into the shadow stack make no
 *   mark, and stores through the same local share their marks (see `write-marks.ts`). The host commits or
 *   rolls back exactly the marked pages (see `memory.ts`). A bulk memory write marks its whole range with one
 *   `memory.fill` on the bitmap.
 * - The function table and every mutable global are exported (the host calls callbacks through the table and
 *   saves and restores the globals); a start function is exported as `canister_start` instead of running at
 *   instantiation, as the replica does.
 *
 * Nothing is imported or inserted before the module's own functions, so every function index is unchanged.
 *
 * Tried and not kept (no change in speed could be measured on `examples/counter`): returning a function's
 * pending cost to its caller as one more result, instead of subtracting it from the counter when it returns
 * (2,306 of the counter's 3,355 functions qualify); and merging metering points (see `metering-points.ts`).
 */
import { ByteReader, ByteWriter, WasmFormatError } from './bytes';
import { Op, readInstruction, type Signature, STORES, type Instruction } from './instructions';
import { type Injection, meteringPoints } from './metering-points';
import { findShadowStack, type ShadowStack } from './shadow-stack';
import { storeAddresses } from './store-addresses';
import { JOURNAL_PAGE_SHIFT, planMarks } from './write-marks';

export const COUNTER_EXPORT = '__local_ic_instruction_counter';
export const TABLE_EXPORT = '__local_ic_table';
export const GLOBAL_EXPORT_PREFIX = '__local_ic_global_';
export const WASM_PAGE = 65536;
export { JOURNAL_PAGE_SHIFT } from './write-marks';
/** The tracked pages of a 4 GiB memory, one bitmap byte each: no page index reaches it. */
export const TRACKED_PAGES = 2 ** (32 - JOURNAL_PAGE_SHIFT);
/** The bitmap's size: 4 MiB, 64 wasm pages. */
export const BITMAP_WASM_PAGES = TRACKED_PAGES / WASM_PAGE;

export type Instrumented = {
    readonly wasm: Uint8Array<ArrayBuffer>;
    /** The wasm page, just past the module's initial memory, where the host must place the dirty-page bitmap. */
    readonly bitmapPage: number;
    /** Names of the exported mutable globals the host saves and restores around each message. */
    readonly mutableGlobals: readonly string[];
    /** True when the module had a start function, now exported as `canister_start`. */
    readonly hasStart: boolean;
    /** The top of the shadow stack whose stores are not tracked (see `shadow-stack.ts`), if the module has one. */
    readonly shadowStackTop: number | undefined;
};

export type Section = { id: number; content: Uint8Array };

export const SECTION = {
    custom: 0,
    type: 1,
    import: 2,
    function: 3,
    table: 4,
    memory: 5,
    global: 6,
    export: 7,
    start: 8,
    element: 9,
    code: 10,
    data: 11
};
const KIND = { func: 0, table: 1, memory: 2, global: 3 };
const I32 = 0x7f;
const I64 = 0x7e;
const F32 = 0x7d;
const F64 = 0x7c;

/** A module's sections in order, each its id and its content. */
export function readSections(wasm: Uint8Array): Section[] {
    const r = new ByteReader(wasm);
    const magic = r.take(8);
    if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d || magic[4] !== 1) {
        throw new WasmFormatError('not a WebAssembly 1.0 module');
    }
    const sections: Section[] = [];
    while (!r.done) {
        const id = r.byte();
        sections.push({ id, content: r.take(r.u32()) });
    }
    return sections;
}

function vec<T>(r: ByteReader, item: (r: ByteReader) => T): T[] {
    const n = r.u32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(r));
    return out;
}

function readLimits(r: ByteReader): { min: number; max?: number } {
    const flag = r.byte();
    const min = r.u32();
    return flag & 1 ? { min, max: r.u32() } : { min };
}

/**
 * What to inject. Both are on for a canister; the benchmark turns them off one at a time to measure what
 * each costs.
 */
export type InstrumentOptions = { readonly metering?: boolean; readonly writeTracking?: boolean };

export function instrument(wasm: Uint8Array, options: InstrumentOptions = {}): Instrumented {
    const metering = options.metering ?? true;
    const writeTracking = options.writeTracking ?? true;
    const sections = readSections(wasm);
    const find = (id: number) => sections.find((s) => s.id === id);

    // Types: each one's parameter and result counts, for the stack analysis and the local numbering.
    const typeSection = find(SECTION.type);
    const types: Signature[] =
        typeSection === undefined
            ? []
            : vec(new ByteReader(typeSection.content), (r) => {
                  if (r.byte() !== 0x60) throw new WasmFormatError('only function types are supported');
                  const params = vec(r, (x) => x.byte()).length;
                  return { params, results: vec(r, (x) => x.byte()).length };
              });
    const typeSignature = (index: number): Signature => {
        const type = types[index];
        if (type === undefined) throw new WasmFormatError(`type ${index} does not exist`);
        return type;
    };

    // Imports: the type of each imported function, and how many globals are imported.
    const funcTypes: number[] = [];
    const importedGlobalsMutable: boolean[] = [];
    const importSection = find(SECTION.import);
    if (importSection !== undefined) {
        const r = new ByteReader(importSection.content);
        const n = r.u32();
        for (let i = 0; i < n; i++) {
            r.name();
            r.name();
            const kind = r.byte();
            if (kind === KIND.func) funcTypes.push(r.u32());
            else if (kind === KIND.table) {
                r.byte();
                readLimits(r);
            } else if (kind === KIND.memory) {
                throw new WasmFormatError('an imported memory is not supported');
            } else if (kind === KIND.global) {
                r.byte();
                importedGlobalsMutable.push(r.byte() === 1);
            } else throw new WasmFormatError(`unknown import kind ${kind}`);
        }
    }
    const importedFuncs = funcTypes.length;
    const functionSection = find(SECTION.function);
    if (functionSection !== undefined) funcTypes.push(...vec(new ByteReader(functionSection.content), (r) => r.u32()));
    const funcSignature = (index: number): Signature => typeSignature(funcTypes[index] ?? -1);

    // Memory: its initial size decides where the bitmap page goes.
    const memorySection = find(SECTION.memory);
    if (memorySection === undefined) throw new WasmFormatError('the module defines no memory');
    const memories = vec(new ByteReader(memorySection.content), readLimits);
    const memory = memories[0];
    if (memory === undefined || memories.length !== 1) throw new WasmFormatError('the module must define exactly one memory');
    if (memory.max !== undefined && memory.max < memory.min + BITMAP_WASM_PAGES) {
        throw new WasmFormatError('the memory has no room above its initial size for the dirty-page bitmap');
    }
    const bitmapAddress = memory.min * WASM_PAGE;

    // Globals: the module's, then the instruction counter.
    const globalSection = find(SECTION.global);
    const mutableDefined: boolean[] = [];
    let firstGlobal: { valueType: number; mutable: boolean; init: Instruction | undefined } | undefined;
    let definedGlobals: Uint8Array = new Uint8Array();
    if (globalSection !== undefined) {
        const r = new ByteReader(globalSection.content);
        const n = r.u32();
        const start = r.pos;
        for (let i = 0; i < n; i++) {
            const valueType = r.byte();
            const mutable = r.byte() === 1;
            mutableDefined.push(mutable);
            const init = skipConstExpr(r);
            firstGlobal ??= { valueType, mutable, init };
        }
        definedGlobals = globalSection.content.subarray(start, r.pos);
    }
    const allGlobalsMutable = [...importedGlobalsMutable, ...mutableDefined];
    const counterGlobal = allGlobalsMutable.length;
    const newGlobals = new ByteWriter()
        .u32(mutableDefined.length + 1)
        .bytes(definedGlobals)
        .byte(I64)
        .byte(1)
        .byte(0x42)
        .sleb(0n)
        .byte(Op.end);

    // The shadow stack, when the module has LLVM's stack-first layout: its stores need no tracking.
    const dataSection = find(SECTION.data);
    const shadowStack = writeTracking
        ? findShadowStack({
              importedGlobals: importedGlobalsMutable.length,
              firstGlobal,
              dataOffsets: dataSection === undefined ? [] : activeDataOffsets(dataSection.content),
              initialMemoryBytes: memory.min * WASM_PAGE
          })
        : undefined;

    // Exports: the module's, then the table, the counter and the mutable globals.
    const exportSection = find(SECTION.export);
    const exportWriter = new ByteWriter();
    const exportedGlobals = new Map<number, string>();
    let exportCount = 0;
    let tableExported = false;
    if (exportSection !== undefined) {
        const r = new ByteReader(exportSection.content);
        const n = r.u32();
        for (let i = 0; i < n; i++) {
            const name = r.name();
            const kind = r.byte();
            const index = r.u32();
            if (kind === KIND.global) exportedGlobals.set(index, name);
            if (kind === KIND.table && index === 0) tableExported = true;
            exportWriter
                .name(kind === KIND.table && index === 0 ? TABLE_EXPORT : name)
                .byte(kind)
                .u32(index);
            exportCount++;
        }
    }
    if (!tableExported && find(SECTION.table) !== undefined) {
        exportWriter.name(TABLE_EXPORT).byte(KIND.table).u32(0);
        exportCount++;
    }
    exportWriter.name(COUNTER_EXPORT).byte(KIND.global).u32(counterGlobal);
    exportCount++;
    const mutableGlobals: string[] = [];
    allGlobalsMutable.forEach((mutable, index) => {
        if (!mutable) return;
        const existing = exportedGlobals.get(index);
        if (existing !== undefined) {
            mutableGlobals.push(existing);
            return;
        }
        const name = `${GLOBAL_EXPORT_PREFIX}${index}`;
        exportWriter.name(name).byte(KIND.global).u32(index);
        exportCount++;
        mutableGlobals.push(name);
    });

    // The start function becomes the export `canister_start`.
    const startSection = find(SECTION.start);
    if (startSection !== undefined) {
        exportWriter.name('canister_start').byte(KIND.func).u32(new ByteReader(startSection.content).u32());
        exportCount++;
    }
    const newExports = new ByteWriter().u32(exportCount).bytes(exportWriter.toBytes());

    const out = new ByteWriter(wasm.length + wasm.length / 2);
    out.bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const emit = (id: number, content: Uint8Array) => out.byte(id).sized(content);
    for (const section of sections) {
        switch (section.id) {
            case SECTION.custom: {
                const name = new ByteReader(section.content).name();
                if (name !== 'name') emit(section.id, section.content); // the name section's local indices would be stale
                break;
            }
            case SECTION.global:
                emit(section.id, newGlobals.toBytes());
                break;
            case SECTION.export:
                emit(section.id, newExports.toBytes());
                break;
            case SECTION.start:
                break;
            case SECTION.code:
                emit(
                    section.id,
                    instrumentCode(section.content, {
                        definedFuncs: funcTypes.length - importedFuncs,
                        funcSignature,
                        typeSignature,
                        importedFuncs,
                        counterGlobal,
                        metering,
                        writeTracking,
                        bitmapAddress,
                        shadowStack
                    })
                );
                break;
            default:
                emit(section.id, section.content);
        }
        // Sections the module lacks but the instrumentation needs are inserted in their place in the order.
        if (section.id === SECTION.memory && globalSection === undefined) emit(SECTION.global, newGlobals.toBytes());
        if (section.id === SECTION.global && exportSection === undefined) emit(SECTION.export, newExports.toBytes());
    }
    return {
        wasm: out.toBytes(),
        bitmapPage: memory.min,
        mutableGlobals,
        hasStart: startSection !== undefined,
        shadowStackTop: shadowStack?.top
    };
}

/** Reads a constant expression; returns its first instruction. */
function skipConstExpr(r: ByteReader): Instruction | undefined {
    let first: Instruction | undefined;
    for (;;) {
        const ins = readInstruction(r);
        first ??= ins;
        if (ins.op === Op.end) return first;
    }
}

/** The start address of each active data segment: a number for an `i32.const` offset, else `undefined`. */
function activeDataOffsets(content: Uint8Array): (number | undefined)[] {
    const r = new ByteReader(content);
    const offsets: (number | undefined)[] = [];
    const n = r.u32();
    for (let i = 0; i < n; i++) {
        const flags = r.u32(); // 0: active in memory 0; 1: passive; 2: active with a memory index
        if (flags === 2) r.u32();
        if (flags !== 1) {
            const first = skipConstExpr(r);
            offsets.push(first?.op === Op.i32Const ? first.value : undefined);
        }
        r.take(r.u32());
    }
    return offsets;
}

type CodeContext = {
    definedFuncs: number;
    /** By function index, imports first. */
    funcSignature: (index: number) => Signature;
    typeSignature: (index: number) => Signature;
    importedFuncs: number;
    counterGlobal: number;
    bitmapAddress: number;
    metering: boolean;
    writeTracking: boolean;
    shadowStack: ShadowStack | undefined;
};

function instrumentCode(content: Uint8Array, ctx: CodeContext): Uint8Array {
    const r = new ByteReader(content);
    const count = r.u32();
    if (count !== ctx.definedFuncs) throw new WasmFormatError('function and code sections disagree');
    const w = new ByteWriter(content.length * 2);
    w.u32(count);
    for (let f = 0; f < count; f++) {
        const size = r.u32();
        const body = new ByteReader(content, r.pos, r.pos + size);
        w.sized(instrumentBody(body, ctx.funcSignature(ctx.importedFuncs + f).params, ctx));
        r.pos += size;
    }
    return w.toBytes();
}

const BULK_WRITES = new Set<number>([Op.memoryInit, Op.memoryCopy, Op.memoryFill]);
const NO_MARKS: ReadonlyMap<number, readonly number[]> = new Map();

function instrumentBody(body: ByteReader, paramCount: number, ctx: CodeContext): Uint8Array {
    const localGroups: [number, number][] = vec(body, (r) => [r.u32(), r.byte()]);
    const code: Instruction[] = [];
    while (!body.done) code.push(readInstruction(body));

    // The dirty-page marks each store makes (see `write-marks.ts`).
    const marks = ctx.writeTracking
        ? planMarks(code, storeAddresses(code, paramCount, ctx.shadowStack, { func: ctx.funcSignature, type: ctx.typeSignature }))
        : NO_MARKS;
    const needsTemps = code.some((ins) => STORES[ins.op] !== undefined || BULK_WRITES.has(ins.op));
    const base = paramCount + localGroups.reduce((sum, [n]) => sum + n, 0);
    // Temporaries: address, length and an i32 value; then an i64, an f32 and an f64 value.
    const A = base;
    const N = base + 1;
    const valueLocal = { i32: base + 2, i64: base + 3, f32: base + 4, f64: base + 5 } as const;
    /** The cost of the basic blocks run since the last flush, kept in a local (a register) rather than the global. */
    const C = needsTemps ? base + 6 : base;
    /** The budget left as this function last saw the counter (read at entry and at each flush). */
    const B = C + 1;

    const w = new ByteWriter(body.end - body.pos + code.length * 8);
    const temps: [number, number][] = needsTemps
        ? [
              [3, I32],
              [1, I64],
              [1, F32],
              [1, F64]
          ]
        : [];
    const groups: [number, number][] = [...localGroups, ...temps, [2, I64]];
    w.u32(groups.length);
    groups.forEach(([n, t]) => w.u32(n).byte(t));

    const G = ctx.counterGlobal;
    // Only loop headers read the budget: a function without loops neither reads nor refreshes it.
    const hasLoops = code.some((ins) => ins.op === Op.loop);
    // counter -= pending; [budget = counter;] pending = 0
    const flush = () => {
        w.byte(0x23).u32(G).byte(0x20).u32(C).byte(0x7d);
        if (hasLoops) w.byte(0x22).u32(B);
        w.byte(0x24).u32(G).byte(0x42).sleb(0n).byte(0x21).u32(C);
    };
    const points = ctx.metering ? meteringPoints(code) : [];
    let next = 0;
    let depth = 0; // blocks open inside the function body; a branch to label `depth` leaves the function
    const src = body.bytes;
    for (let i = 0; i < code.length; i++) {
        while (next < points.length && (points[next] as Injection).position === i) {
            const point = points[next++] as Injection;
            if (point.reentrant && point.position > 0) {
                // a loop header: pending += cost; if (pending > budget) { counter -= pending; unreachable }
                w.byte(0x20).u32(C).byte(0x42).sleb(BigInt(point.cost)).byte(0x7c).byte(0x22).u32(C);
                w.byte(0x20).u32(B).byte(0x55).byte(Op.if).byte(0x40);
                w.byte(0x23).u32(G).byte(0x20).u32(C).byte(0x7d).byte(0x24).u32(G).byte(Op.unreachable);
                w.byte(Op.end);
            } else {
                // function entry: budget = counter; then (and at every block) pending += cost
                if (point.reentrant && hasLoops) w.byte(0x23).u32(G).byte(0x21).u32(B);
                w.byte(0x20).u32(C).byte(0x42).sleb(BigInt(point.cost)).byte(0x7c).byte(0x21).u32(C);
            }
        }
        const ins = code[i] as Instruction;
        // The counter takes this function's pending cost before it calls the system API, and the pending cost
        // must not be lost when control leaves the function. Calls to the module's own functions, direct or
        // indirect, need no flush: the callee keeps its own pending cost, and the caller's reaches the counter
        // when it returns or calls the system API itself (so `performance_counter` in a callee reads a little
        // low). Flushing before indirect calls too cost about a point of the bookkeeping in an A/B run: QuickJS
        // makes many.
        const leavesFunction =
            ins.op === Op.return ||
            ins.op === Op.returnCall ||
            ins.op === Op.returnCallIndirect ||
            i === code.length - 1 ||
            (ins.labels !== undefined && ins.labels.some((label) => label === depth));
        const reachesHost = ins.op === Op.call && ins.funcIndex !== undefined && ins.funcIndex < ctx.importedFuncs;
        if (ctx.metering && (reachesHost || leavesFunction)) flush();
        const store = STORES[ins.op];
        const storeMarks = store === undefined ? undefined : marks.get(i);
        if (store !== undefined && storeMarks !== undefined && storeMarks.length > 0) {
            // value -> V, address -> A; bitmap[(A + mark) >> JOURNAL_PAGE_SHIFT] = 1 for each mark (no branch,
            // no call); then store A, V.
            const V = valueLocal[store.type];
            w.byte(0x21).u32(V).byte(0x22).u32(A);
            storeMarks.forEach((mark, k) => {
                if (k > 0) w.byte(0x20).u32(A);
                if (mark !== 0)
                    w.byte(0x41)
                        .sleb(BigInt(mark | 0))
                        .byte(0x6a);
                w.byte(0x41).sleb(BigInt(JOURNAL_PAGE_SHIFT)).byte(0x76);
                w.byte(0x41).sleb(1n).byte(0x3a).u32(0).u32(ctx.bitmapAddress);
            });
            w.byte(0x20).u32(A).byte(0x20).u32(V);
        } else if (BULK_WRITES.has(ins.op) && (ctx.writeTracking || ctx.metering)) {
            // (dst, x, len): marks dst's pages and charges len, inline (no call to the host, so no flush either).
            const X = valueLocal.i32;
            w.byte(0x21).u32(N).byte(0x21).u32(X).byte(0x21).u32(A);
            if (ctx.writeTracking) markPages(w, A, N, valueLocal.i64, ctx.bitmapAddress);
            if (ctx.metering) w.byte(0x20).u32(C).byte(0x20).u32(N).byte(0xad).byte(0x7c).byte(0x21).u32(C);
            w.byte(0x20).u32(A).byte(0x20).u32(X).byte(0x20).u32(N);
        }
        w.bytes(src.subarray(ins.start, ins.end));
        if (ins.op === Op.block || ins.op === Op.loop || ins.op === Op.if) depth++;
        else if (ins.op === Op.end) depth--;
    }
    return w.toBytes();
}

/**
 * Marks the pages of [A, A + N) with one `memory.fill` on the bitmap. The end is computed in i64 and clamped to
 * the bitmap, so a range past 4 GiB (which makes the bulk instruction itself trap) never writes past the bitmap.
 */
function markPages(w: ByteWriter, A: number, N: number, T: number, bitmapAddress: number): void {
    const shift = BigInt(JOURNAL_PAGE_SHIFT);
    // destination: bitmap + (A >> shift); value: 1
    w.byte(0x20)
        .u32(A)
        .byte(0x41)
        .sleb(shift)
        .byte(0x76)
        .byte(0x41)
        .sleb(BigInt(bitmapAddress | 0))
        .byte(0x6a);
    w.byte(0x41).sleb(1n);
    // T = (u64 A + u64 N + page - 1) >> shift; count = min(T, TRACKED_PAGES) - (A >> shift)
    w.byte(0x20).u32(A).byte(0xad).byte(0x20).u32(N).byte(0xad).byte(0x7c);
    w.byte(0x42)
        .sleb(BigInt((1 << JOURNAL_PAGE_SHIFT) - 1))
        .byte(0x7c)
        .byte(0x42)
        .sleb(shift)
        .byte(0x88)
        .byte(0x22)
        .u32(T);
    w.byte(0x42).sleb(BigInt(TRACKED_PAGES)).byte(0x20).u32(T).byte(0x42).sleb(BigInt(TRACKED_PAGES)).byte(0x54).byte(0x1b);
    w.byte(0xa7).byte(0x20).u32(A).byte(0x41).sleb(shift).byte(0x76).byte(0x6b);
    w.byte(0xfc).u32(11).byte(0);
}
