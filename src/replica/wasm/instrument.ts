/**
 * Instruments a canister's wasm module the way the replica does, plus the write tracking the local IC needs to
 * roll a message back.
 *
 * - Instruction metering, with the replica's costs and block boundaries (`inject_metering` in the IC's
 *   `instrumentation.rs`): an exported i64 counter starts each message at the message's limit and ends it
 *   lowered by the static cost of every basic block executed. Within a function the costs are summed in a
 *   local (a register) and subtracted from the counter where it can be observed: before calls to imports and
 *   indirect calls, and when the function returns. Loop headers compare the pending cost with the budget the
 *   function last read from the counter (registers only) and call `out_of_instructions` when it is exceeded;
 *   the budget can be stale after a direct call, which only delays stopping a runaway loop, and the host
 *   checks the counter again when the message ends, so a message over its limit always traps. Bulk memory instructions are
 *   also charged their length at run time.
 * - Write tracking: before every store, the instrumented code marks the 1 KiB page it writes in a dirty-page
 *   bitmap that the host appends to linear memory (`BITMAP_WASM_PAGES` wasm pages at `bitmapPage`): one byte
 *   store, no branch and no call, so the canister's own code stays fast. The host commits or rolls back
 *   exactly the marked pages (see `memory.ts`). A bulk memory write marks its whole range with one
 *   `memory.fill` on the bitmap.
 * - The function table and every mutable global are exported (the host calls callbacks through the table and
 *   saves and restores the globals); a start function is exported as `canister_start` instead of running at
 *   instantiation, as the replica does.
 *
 * The injected functions are imported first (module `__local_ic`), so every function index of the module
 * shifts by their number.
 */
import { ByteReader, ByteWriter, WasmFormatError } from './bytes';
import { instructionCost, Op, readInstruction, STORES, type Instruction } from './instructions';

export const INJECTED_MODULE = '__local_ic';
export const INJECTED_IMPORTS = ['out_of_instructions'] as const;
const OUT_OF_INSTRUCTIONS = 0;
const SHIFT = INJECTED_IMPORTS.length;

export const COUNTER_EXPORT = '__local_ic_instruction_counter';
export const TABLE_EXPORT = '__local_ic_table';
export const GLOBAL_EXPORT_PREFIX = '__local_ic_global_';
export const WASM_PAGE = 65536;
/**
 * Writes are tracked in 1 KiB pages: finer than the replica's 4 KiB, because QuickJS scatters small writes (reference
 * counts) over the heap; measured, a counter update then copies 440 KiB at commit instead of 1 MiB.
 */
export const JOURNAL_PAGE_SHIFT = 10;
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
};

export type Section = { id: number; content: Uint8Array };
type FuncType = { params: number };

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
    code: 10
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

/** Copies a constant expression, shifting the function index of any `ref.func` in it. */
function copyConstExpr(r: ByteReader, w: ByteWriter): void {
    for (;;) {
        const ins = readInstruction(r);
        if (ins.funcIndex !== undefined) w.byte(ins.op).u32(ins.funcIndex + SHIFT);
        else w.bytes(r.bytes.subarray(ins.start, ins.end));
        if (ins.op === Op.end) return;
    }
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

    // Types: the module's, then the injected function's.
    const types: FuncType[] = [];
    const typeSection = find(SECTION.type);
    const typeWriter = new ByteWriter();
    let typeCount = 0;
    if (typeSection !== undefined) {
        const r = new ByteReader(typeSection.content);
        typeCount = r.u32();
        for (let i = 0; i < typeCount; i++) {
            const start = r.pos;
            if (r.byte() !== 0x60) throw new WasmFormatError('only function types are supported');
            const params = vec(r, (x) => x.byte());
            vec(r, (x) => x.byte());
            types.push({ params: params.length });
            typeWriter.bytes(typeSection.content.subarray(start, r.pos));
        }
    }
    const injectedTypes = [[[], []]] as const;
    const newTypes = new ByteWriter().u32(typeCount + injectedTypes.length).bytes(typeWriter.toBytes());
    injectedTypes.forEach(([params, results]) => {
        newTypes.byte(0x60).u32(params.length);
        params.forEach((p) => newTypes.byte(p));
        newTypes.u32(results.length);
    });

    // Imports: the injected functions first, then the module's.
    let importedGlobals: boolean[] = [];
    let importedFuncs = 0;
    const importSection = find(SECTION.import);
    const newImports = new ByteWriter();
    const importEntries: Uint8Array[] = [];
    if (importSection !== undefined) {
        const r = new ByteReader(importSection.content);
        const n = r.u32();
        for (let i = 0; i < n; i++) {
            const start = r.pos;
            r.name();
            r.name();
            const kind = r.byte();
            if (kind === KIND.func) {
                r.u32();
                importedFuncs++;
            } else if (kind === KIND.table) {
                r.byte();
                readLimits(r);
            } else if (kind === KIND.memory) {
                throw new WasmFormatError('an imported memory is not supported');
            } else if (kind === KIND.global) {
                r.byte();
                importedGlobals = [...importedGlobals, r.byte() === 1];
            } else throw new WasmFormatError(`unknown import kind ${kind}`);
            importEntries.push(importSection.content.subarray(start, r.pos));
        }
    }
    newImports.u32(INJECTED_IMPORTS.length + importEntries.length);
    INJECTED_IMPORTS.forEach((name, i) =>
        newImports
            .name(INJECTED_MODULE)
            .name(name)
            .byte(KIND.func)
            .u32(typeCount + i)
    );
    importEntries.forEach((e) => newImports.bytes(e));

    // Function types of the defined functions, for their parameter counts.
    const functionSection = find(SECTION.function);
    const funcTypeIndices = functionSection === undefined ? [] : vec(new ByteReader(functionSection.content), (r) => r.u32());

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

    // Globals: the module's (with ref.func shifted), then the instruction counter.
    const globalSection = find(SECTION.global);
    const mutableDefined: boolean[] = [];
    const globalsWriter = new ByteWriter();
    if (globalSection !== undefined) {
        const r = new ByteReader(globalSection.content);
        const n = r.u32();
        for (let i = 0; i < n; i++) {
            const valueType = r.byte();
            const mutable = r.byte();
            mutableDefined.push(mutable === 1);
            globalsWriter.byte(valueType).byte(mutable);
            copyConstExpr(r, globalsWriter);
        }
    }
    const allGlobalsMutable = [...importedGlobals, ...mutableDefined];
    const counterGlobal = allGlobalsMutable.length;
    const newGlobals = new ByteWriter()
        .u32(mutableDefined.length + 1)
        .bytes(globalsWriter.toBytes())
        .byte(I64)
        .byte(1)
        .byte(0x42)
        .sleb(0n)
        .byte(Op.end);

    // Exports: the module's (function indices shifted), then the table, the counter and the mutable globals.
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
                .u32(kind === KIND.func ? index + SHIFT : index);
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
        const startIndex = new ByteReader(startSection.content).u32();
        exportWriter
            .name('canister_start')
            .byte(KIND.func)
            .u32(startIndex + SHIFT);
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
                if (name !== 'name') emit(section.id, section.content); // the name section's indices would be stale
                break;
            }
            case SECTION.type:
                emit(section.id, newTypes.toBytes());
                break;
            case SECTION.import:
                emit(section.id, newImports.toBytes());
                break;
            case SECTION.global:
                emit(section.id, newGlobals.toBytes());
                break;
            case SECTION.export:
                emit(section.id, newExports.toBytes());
                break;
            case SECTION.start:
                break;
            case SECTION.element:
                emit(section.id, shiftElements(section.content));
                break;
            case SECTION.code:
                emit(
                    section.id,
                    instrumentCode(section.content, {
                        paramCounts: funcTypeIndices.map((t) => types[t]?.params ?? 0),
                        importedFuncs,
                        counterGlobal,
                        metering,
                        writeTracking,
                        bitmapAddress
                    })
                );
                break;
            default:
                emit(section.id, section.content);
        }
        // Sections the module lacks but the instrumentation needs are inserted in their place in the order.
        if (section.id === SECTION.type && importSection === undefined) emit(SECTION.import, newImports.toBytes());
        if (section.id === SECTION.memory && globalSection === undefined) emit(SECTION.global, newGlobals.toBytes());
        if (section.id === SECTION.global && exportSection === undefined) emit(SECTION.export, newExports.toBytes());
    }
    return { wasm: out.toBytes(), bitmapPage: memory.min, mutableGlobals, hasStart: startSection !== undefined };
}

/** Rewrites the element section with every function index shifted. */
function shiftElements(content: Uint8Array): Uint8Array {
    const r = new ByteReader(content);
    const w = new ByteWriter(content.length + 64);
    const n = r.u32();
    w.u32(n);
    for (let i = 0; i < n; i++) {
        const flags = r.u32();
        w.u32(flags);
        const explicitTable = (flags & 2) !== 0 && (flags & 1) === 0;
        if (explicitTable) w.u32(r.u32());
        if ((flags & 1) === 0) copyConstExpr(r, w); // active: offset expression
        const usesExpressions = (flags & 4) !== 0;
        if ((flags & 3) !== 0) w.byte(r.byte()); // elemkind or reftype
        const count = r.u32();
        w.u32(count);
        for (let j = 0; j < count; j++) {
            if (usesExpressions) copyConstExpr(r, w);
            else w.u32(r.u32() + SHIFT);
        }
    }
    return w.toBytes();
}

type CodeContext = {
    paramCounts: readonly number[];
    importedFuncs: number;
    counterGlobal: number;
    bitmapAddress: number;
    metering: boolean;
    writeTracking: boolean;
};

function instrumentCode(content: Uint8Array, ctx: CodeContext): Uint8Array {
    const r = new ByteReader(content);
    const count = r.u32();
    if (count !== ctx.paramCounts.length) throw new WasmFormatError('function and code sections disagree');
    const w = new ByteWriter(content.length * 2);
    w.u32(count);
    for (let f = 0; f < count; f++) {
        const size = r.u32();
        const body = new ByteReader(content, r.pos, r.pos + size);
        w.sized(instrumentBody(body, ctx.paramCounts[f] as number, ctx));
        r.pos += size;
    }
    return w.toBytes();
}

type Injection = { position: number; cost: number; reentrant: boolean };

/**
 * The metering points of a body, as the replica's `injections`: one at the start of every basic block,
 * with the block's static cost; function entries and loop headers are re-entrant and also check the counter.
 */
function meteringPoints(code: readonly Instruction[]): Injection[] {
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
    return points.filter((p) => p.reentrant || p.cost > 0);
}

const BULK_WRITES = new Set<number>([Op.memoryInit, Op.memoryCopy, Op.memoryFill]);

function instrumentBody(body: ByteReader, paramCount: number, ctx: CodeContext): Uint8Array {
    const localGroups: [number, number][] = vec(body, (r) => [r.u32(), r.byte()]);
    const code: Instruction[] = [];
    while (!body.done) code.push(readInstruction(body));

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
                // a loop header: pending += cost; if (pending > budget) out_of_instructions() (registers only)
                w.byte(0x20).u32(C).byte(0x42).sleb(BigInt(point.cost)).byte(0x7c).byte(0x22).u32(C);
                w.byte(0x20).u32(B).byte(0x55).byte(0x04).byte(0x40).byte(Op.call).u32(OUT_OF_INSTRUCTIONS).byte(Op.end);
            } else {
                // function entry: budget = counter; then (and at every block) pending += cost
                if (point.reentrant && hasLoops) w.byte(0x23).u32(G).byte(0x21).u32(B);
                w.byte(0x20).u32(C).byte(0x42).sleb(BigInt(point.cost)).byte(0x7c).byte(0x21).u32(C);
            }
        }
        const ins = code[i] as Instruction;
        // The counter must be exact wherever it can be read: in the system API (calls to imports, and indirect
        // calls, which may reach one), and the pending cost must not be lost when control leaves the function.
        // Direct calls between the module's own functions need no flush: the callee keeps its own pending cost.
        const leavesFunction =
            ins.op === Op.return ||
            ins.op === Op.returnCall ||
            i === code.length - 1 ||
            (ins.labels !== undefined && ins.labels.some((label) => label === depth));
        const reachesHost =
            ins.op === Op.callIndirect ||
            ins.op === Op.returnCallIndirect ||
            (ins.op === Op.call && ins.funcIndex !== undefined && ins.funcIndex < ctx.importedFuncs);
        if (ctx.metering && (reachesHost || leavesFunction)) flush();
        const store = STORES[ins.op];
        if (store !== undefined && ctx.writeTracking) {
            // value -> V, address -> A; bitmap[(A + offset) >> JOURNAL_PAGE_SHIFT] = 1 (no branch, no call); then store A, V.
            const V = valueLocal[store.type];
            w.byte(0x21).u32(V).byte(0x22).u32(A);
            if (ins.offset !== undefined && ins.offset !== 0)
                w.byte(0x41)
                    .sleb(BigInt(ins.offset | 0))
                    .byte(0x6a);
            w.byte(0x41).sleb(BigInt(JOURNAL_PAGE_SHIFT)).byte(0x76);
            w.byte(0x41).sleb(1n).byte(0x3a).u32(0).u32(ctx.bitmapAddress);
            w.byte(0x20).u32(A).byte(0x20).u32(V);
        } else if (BULK_WRITES.has(ins.op) && (ctx.writeTracking || ctx.metering)) {
            // (dst, x, len): marks dst's pages and charges len, inline (no call to the host, so no flush either).
            const X = valueLocal.i32;
            w.byte(0x21).u32(N).byte(0x21).u32(X).byte(0x21).u32(A);
            if (ctx.writeTracking) markPages(w, A, N, valueLocal.i64, ctx.bitmapAddress);
            if (ctx.metering) w.byte(0x20).u32(C).byte(0x20).u32(N).byte(0xad).byte(0x7c).byte(0x21).u32(C);
            w.byte(0x20).u32(A).byte(0x20).u32(X).byte(0x20).u32(N);
        }
        if (ins.funcIndex !== undefined) w.byte(ins.op).u32(ins.funcIndex + SHIFT);
        else w.bytes(src.subarray(ins.start, ins.end));
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
