/**
 * One canister: its settings, cycles and memories, its wasm instance, and the execution of one message with
 * the IC's all-or-nothing semantics. A message that traps leaves no trace: heap pages, stable memory, mutable
 * globals, certified data, the global timer, accepted and attached cycles and its outgoing calls are all as
 * they were before it ran.
 */
import { Principal } from '@dfinity/principal';

import type { EnvironmentVariable, Visibility } from '../ic/management';
import {
    DEFAULT_SETTINGS,
    instructionLimitMessage,
    interCanisterCallCost,
    STORAGE_OWED_UNIT,
    storageCost,
    storageOwed
} from './costs';
import { CanisterTrap } from './errors';
import { HeapShadow, type StableCopy, StableMemory } from './memory';
import type { MessageContext } from './message';
import { systemApi, type SystemApiHost } from './system-api';
import { BITMAP_WASM_PAGES, COUNTER_EXPORT, type Instrumented, TABLE_EXPORT, WASM_PAGE } from './wasm/instrument';

export type CanisterStatus = 'running' | 'stopping' | 'stopped';

/** A compiled, instrumented module, shared by every canister that runs the same wasm. */
export type LoadedModule = {
    readonly hash: Uint8Array;
    /** Bytes of the wasm as installed (unzipped, before instrumentation). */
    readonly size: number;
    readonly instrumented: Instrumented;
    readonly compiled: WebAssembly.Module;
    /** The export names `canister_query <name>` and so on, for routing calls. */
    readonly exports: ReadonlySet<string>;
};

export type CanisterSettings = {
    controllers: Principal[];
    freezingThreshold: bigint;
    computeAllocation: bigint;
    memoryAllocation: bigint;
    reservedCyclesLimit: bigint;
    wasmMemoryLimit: bigint;
    wasmMemoryThreshold: bigint;
    logVisibility: Visibility;
    /** Reported; the captured log ({@link Canister.logs}) is the test's and keeps every record. */
    logMemoryLimit: bigint;
    snapshotVisibility: Visibility;
    /** Who besides the controllers may call `canister_status`. */
    statusVisibility: Visibility;
    /** Kept and reported; the local IC does not refuse calls carrying fewer cycles (docs/local-ic.md). */
    minimumIncomingCallCycles: bigint;
    /** Kept and reported as the IC keeps them; the suite's canisters do not read them (Azle 0.33 has no `env_var_*`). */
    environmentVariables: EnvironmentVariable[];
};

export type CanisterLogRecord = { readonly idx: bigint; readonly timestampNanos: bigint; readonly content: string };

export type ExecutionOutcome = {
    /** Set when the message trapped (and was rolled back). */
    readonly trap: CanisterTrap | undefined;
    readonly instructions: bigint;
    readonly message: MessageContext;
};

export type CanisterSnapshot = {
    readonly module: LoadedModule | undefined;
    readonly instance: Instance | undefined;
    readonly version: bigint;
    readonly certifiedData: Uint8Array;
    readonly globalTimer: bigint;
    /** Puts stable memory back as it was. */
    readonly stable: () => void;
};

/**
 * What a canister snapshot holds (interface specification, "IC method take_canister_snapshot"): the module,
 * the heap and the mutable globals, stable memory, certified data, the global timer and the chunk store.
 */
export type SnapshotContent = {
    readonly module: LoadedModule;
    /** The whole linear memory as it was between messages (the local IC's clear bitmap included). */
    readonly heap: Uint8Array;
    readonly globals: readonly unknown[];
    readonly stable: StableCopy;
    readonly certifiedData: Uint8Array;
    readonly globalTimer: bigint;
    readonly chunkStore: ReadonlyMap<string, Uint8Array>;
};

/** A snapshot as the management canister lists it. */
export type StoredSnapshot = {
    readonly id: Uint8Array;
    readonly takenAtNs: bigint;
    /** Bytes it adds to the canister's memory (what `total_size` reports and storage is charged for). */
    readonly size: bigint;
    readonly content: SnapshotContent;
};

type Instance = {
    readonly exports: WebAssembly.Exports;
    readonly memory: WebAssembly.Memory;
    readonly table: WebAssembly.Table | undefined;
    readonly counter: WebAssembly.Global;
    readonly globals: readonly WebAssembly.Global[];
    readonly shadow: HeapShadow;
};

/** What a canister asks of the IC it runs on. */
export interface CanisterEnvironment {
    time(): bigint;
    log(canister: Canister, text: string): void;
}

const NO_MESSAGE = undefined as unknown as MessageContext;

/** How many host-charged instructions may wait before they are taken from the counter and the limit checked. */
const HOST_CHARGE_BATCH = 1_000_000;

export class Canister implements SystemApiHost {
    readonly selfId: Uint8Array;
    settings: CanisterSettings;
    status: CanisterStatus = 'running';
    cycles: bigint;
    version = 0n;
    certifiedData: Uint8Array = new Uint8Array();
    globalTimer = 0n;
    module: LoadedModule | undefined;
    readonly stable = new StableMemory();
    readonly chunkStore = new Map<string, Uint8Array>();
    /** Where `canister_on_low_wasm_memory` stands (the specification's three states of the hook). */
    lowMemoryHook: 'condition_not_satisfied' | 'ready' | 'executed' = 'condition_not_satisfied';
    /** Snapshots by the hex of their id, oldest first. */
    readonly snapshots = new Map<string, StoredSnapshot>();
    /** Snapshots taken so far: the local part of the next snapshot's id. */
    snapshotsTaken = 0n;
    readonly logs: CanisterLogRecord[] = [];
    lastInstructions = 0n;
    /** Instructions of every replicated message this canister has run (installs, updates, callbacks, timers, queries called as updates). */
    totalInstructions = 0n;
    /** Storage owed but not yet charged, in cycles × GiB × 1e9 (whole cycles are charged as they accrue). */
    private storageOwed = 0n;
    message: MessageContext = NO_MESSAGE;
    private instance: Instance | undefined;
    private limit = 0n;
    /**
     * Instructions the host charged (system API overheads, bytes copied) and not yet taken from the wasm
     * counter: a plain number, so most charges allocate nothing. Applied at the end of the message, when the
     * canister reads its counter, and every HOST_CHARGE_BATCH instructions (so the limit still holds).
     */
    private hostCharged = 0;

    constructor(
        readonly id: Principal,
        controllers: Principal[],
        cycles: bigint,
        private readonly env: CanisterEnvironment
    ) {
        this.selfId = id.toUint8Array();
        this.cycles = cycles;
        this.settings = {
            controllers,
            freezingThreshold: DEFAULT_SETTINGS.freezingThresholdSeconds,
            computeAllocation: 0n,
            memoryAllocation: 0n,
            reservedCyclesLimit: DEFAULT_SETTINGS.reservedCyclesLimit,
            wasmMemoryLimit: DEFAULT_SETTINGS.wasmMemoryLimit,
            wasmMemoryThreshold: 0n,
            logVisibility: { controllers: null },
            logMemoryLimit: DEFAULT_SETTINGS.logMemoryLimit,
            snapshotVisibility: { controllers: null },
            statusVisibility: { controllers: null },
            minimumIncomingCallCycles: 0n,
            environmentVariables: []
        };
    }

    get hasModule(): boolean {
        return this.instance !== undefined;
    }

    /** Replaces the wasm instance with a fresh one of `module` (the heap starts over; stable memory is kept). */
    instantiate(module: LoadedModule): void {
        const wasm = new WebAssembly.Instance(module.compiled, { ic0: systemApi(this) });
        const exports = wasm.exports;
        const memory = exports.memory as WebAssembly.Memory;
        this.instance = {
            exports,
            memory,
            table: exports[TABLE_EXPORT] as WebAssembly.Table | undefined,
            counter: exports[COUNTER_EXPORT] as WebAssembly.Global,
            globals: module.instrumented.mutableGlobals.map((name) => exports[name] as WebAssembly.Global),
            shadow: new HeapShadow(memory, module.instrumented.bitmapPage)
        };
        this.module = module;
    }

    /** Removes the code and the heap (uninstall_code). */
    uninstall(): void {
        this.instance = undefined;
        this.module = undefined;
        this.globalTimer = 0n;
        this.certifiedData = new Uint8Array();
    }

    /** A copy of what a snapshot keeps; undefined for an empty canister (it has nothing to keep). Between messages only. */
    snapshotContent(): SnapshotContent | undefined {
        const instance = this.instance;
        if (instance === undefined || this.module === undefined) return undefined;
        return {
            module: this.module,
            heap: instance.shadow.heap.get().slice(),
            globals: instance.globals.map((g) => g.value as unknown),
            stable: this.stable.copy(),
            certifiedData: this.certifiedData,
            globalTimer: this.globalTimer,
            chunkStore: new Map(this.chunkStore)
        };
    }

    /** Puts a snapshot's content back: a fresh instance of its module, with its heap, globals and the rest. */
    loadSnapshotContent(content: SnapshotContent): void {
        this.instantiate(content.module);
        const instance = this.instance as Instance;
        instance.shadow.adopt(instance.memory, content.heap);
        instance.globals.forEach((g, i) => (g.value = content.globals[i]));
        this.stable.load(content.stable);
        this.certifiedData = content.certifiedData;
        this.globalTimer = content.globalTimer;
        this.chunkStore.clear();
        for (const [hash, chunk] of content.chunkStore) this.chunkStore.set(hash, chunk);
    }

    /** Bytes a snapshot of the canister as it is now would take (heap without the bitmap, stable memory, module, ...). */
    snapshotSize(content: SnapshotContent): bigint {
        const heap = content.heap.length - BITMAP_WASM_PAGES * WASM_PAGE;
        const stable = content.stable.size * WASM_PAGE;
        const chunks = [...content.chunkStore.values()].reduce((n, c) => n + c.length, 0);
        return BigInt(heap + stable + content.module.size + content.certifiedData.length + chunks + 8 * content.globals.length);
    }

    hasExport(name: string): boolean {
        return this.module?.exports.has(name) ?? false;
    }

    /** Everything an install or upgrade may change, to put back if one of its hooks traps. */
    snapshot(): CanisterSnapshot {
        return {
            module: this.module,
            instance: this.instance,
            version: this.version,
            certifiedData: this.certifiedData,
            globalTimer: this.globalTimer,
            stable: this.stable.checkpoint()
        };
    }

    restore(snapshot: CanisterSnapshot): void {
        this.module = snapshot.module;
        this.instance = snapshot.instance;
        this.version = snapshot.version;
        this.certifiedData = snapshot.certifiedData;
        this.globalTimer = snapshot.globalTimer;
        snapshot.stable();
    }

    /**
     * Runs one message: `invoke` calls into the instance. On a trap everything the message did is undone.
     * `rollback: 'always'` (queries) undoes it even when it succeeds; `'heap'` (pre_upgrade) undoes the heap
     * but keeps stable memory, which is what an upgrade carries to the new code.
     */
    run(
        message: MessageContext,
        invoke: (exports: WebAssembly.Exports, table: WebAssembly.Table | undefined) => void,
        rollback: 'on-trap' | 'always' | 'heap' = 'on-trap'
    ): ExecutionOutcome {
        const instance = this.instance;
        if (instance === undefined) throw new Error(`canister ${this.id.toText()} has no code`);
        const saved = {
            globals: instance.globals.map((g) => g.value as unknown),
            certifiedData: this.certifiedData,
            globalTimer: this.globalTimer
        };
        this.message = message;
        this.limit = message.instructionLimit;
        instance.counter.value = message.instructionLimit;
        this.hostCharged = 0;
        let trap: CanisterTrap | undefined;
        try {
            invoke(instance.exports, instance.table);
            this.applyHostCharges();
            // the instrumented code checks the budget at loop headers; a message that ends over it still traps
            if ((instance.counter.value as bigint) < 0n) throw new CanisterTrap(instructionLimitMessage(this.limit), 'IC0522');
        } catch (error) {
            // a loop header past the budget subtracts its pending cost, leaving the counter negative, and traps
            const overLimit = error instanceof WebAssembly.RuntimeError && (instance.counter.value as bigint) < 0n;
            trap = overLimit ? new CanisterTrap(instructionLimitMessage(this.limit), 'IC0522') : asTrap(error);
            this.hostCharged = 0; // what the trap left uncharged is not counted, as for a trap inside the wasm
        }
        // a message over its limit is counted at the limit, the most the replica lets it run
        const left = instance.counter.value as bigint;
        const instructions = message.instructionLimit - (left < 0n ? 0n : left);
        this.lastInstructions = instructions;
        if (message.replicated) this.totalInstructions += instructions; // what the canister pays for
        if (message.callContext !== undefined) message.callContext.instructions += instructions;
        this.message = NO_MESSAGE;
        if (trap !== undefined || rollback === 'always') {
            instance.shadow.rollback();
            this.stable.rollback();
            instance.globals.forEach((g, i) => (g.value = saved.globals[i]));
            this.certifiedData = saved.certifiedData;
            this.globalTimer = saved.globalTimer;
            if (message.callContext !== undefined) message.callContext.cyclesAvailable += message.cyclesAccepted;
        } else if (rollback === 'heap') {
            instance.shadow.rollback();
            this.stable.commit();
            instance.globals.forEach((g, i) => (g.value = saved.globals[i]));
        } else {
            instance.shadow.commit();
            this.stable.commit();
            const attached = message.performed.reduce((sum, call) => sum + call.cycles, 0n);
            this.cycles += message.cyclesAccepted - message.cyclesBurned - attached;
        }
        return { trap, instructions, message };
    }

    // --- SystemApiHost ---

    heap(): Uint8Array {
        return (this.instance as Instance).shadow.heap.get();
    }

    writeHeap(address: number, bytes: Uint8Array): void {
        (this.instance as Instance).shadow.markRange(address, bytes.length);
        this.heap().set(bytes, address);
    }

    charge(instructions: number | bigint): void {
        this.hostCharged += Number(instructions);
        if (this.hostCharged >= HOST_CHARGE_BATCH) this.applyHostCharges();
    }

    /** Takes the pending host charges from the counter; traps if the message is then over its limit. */
    private applyHostCharges(): void {
        if (this.hostCharged === 0) return;
        const counter = (this.instance as Instance).counter;
        const left = (counter.value as bigint) - BigInt(this.hostCharged);
        this.hostCharged = 0;
        counter.value = left;
        if (left < 0n) throw new CanisterTrap(instructionLimitMessage(this.limit), 'IC0522');
    }

    instructionsExecuted(): bigint {
        this.applyHostCharges();
        return this.limit - ((this.instance as Instance).counter.value as bigint);
    }

    time(): bigint {
        return this.env.time();
    }

    cycleBalance(): bigint {
        const m = this.message;
        if (m === NO_MESSAGE) return this.cycles;
        const attached = [...m.performed, ...(m.building ? [m.building] : [])].reduce((sum, call) => sum + call.cycles, 0n);
        return this.cycles + m.cyclesAccepted - m.cyclesBurned - attached;
    }

    liquidCycleBalance(): bigint {
        const liquid = this.cycleBalance() - this.freezingReserve();
        return liquid > 0n ? liquid : 0n;
    }

    isController(principal: Uint8Array): boolean {
        const text = Principal.fromUint8Array(principal).toText();
        return this.settings.controllers.some((c) => c.toText() === text);
    }

    canisterVersion(): bigint {
        return this.version;
    }

    setCertifiedData(data: Uint8Array): void {
        this.certifiedData = data;
    }

    setGlobalTimer(ns: bigint): bigint {
        const previous = this.globalTimer;
        this.globalTimer = ns;
        return previous;
    }

    debugPrint(text: string): void {
        this.logs.push({ idx: BigInt(this.logs.length), timestampNanos: this.env.time(), content: text });
        this.env.log(this, text);
    }

    /** The bytes the IC's log store would hold of this canister's log: its newest records, up to `limit`. */
    logBytes(limit: bigint): bigint {
        let total = 0n;
        for (let i = this.logs.length - 1; i >= 0 && total < limit; i--)
            total += BigInt(Buffer.byteLength(this.logs[i]?.content ?? ''));
        return total < limit ? total : limit;
    }

    costCall(methodNameSize: bigint, payloadSize: bigint): bigint {
        return interCanisterCallCost(methodNameSize, payloadSize);
    }

    // --- accounting ---

    /** Bytes of memory the canister uses: its heap (without the local IC's bitmap), its stable memory and its snapshots. */
    memorySize(): bigint {
        return this.wasmMemorySize() + BigInt(this.stable.sizeInPages * WASM_PAGE) + this.snapshotsSize();
    }

    /** Bytes of the canister's Wasm memory (its heap, without the local IC's bitmap). */
    wasmMemorySize(): bigint {
        return this.instance === undefined ? 0n : BigInt(this.instance.memory.buffer.byteLength - BITMAP_WASM_PAGES * WASM_PAGE);
    }

    /** Bytes the canister's snapshots take. */
    snapshotsSize(): bigint {
        let total = 0n;
        for (const snapshot of this.snapshots.values()) total += snapshot.size;
        return total;
    }

    /**
     * Charges the storage the canister held for `elapsedNs` (memory × price per GiB per second). Returns false
     * when the canister ran out of cycles: the IC then uninstalls its code, and so does the caller.
     */
    chargeStorage(elapsedNs: bigint): boolean {
        this.storageOwed += storageOwed(this.memorySize(), elapsedNs);
        const due = this.storageOwed / STORAGE_OWED_UNIT;
        this.storageOwed %= STORAGE_OWED_UNIT;
        if (due <= this.cycles) {
            this.cycles -= due;
            return true;
        }
        this.cycles = 0n;
        return false;
    }

    /** What holding the canister's memory costs for `seconds` (storage; compute allocation is not modelled). */
    private storageCost(seconds: bigint): bigint {
        return storageCost(this.memorySize(), seconds);
    }

    /** Cycles the canister burns per day while idle. */
    idleCyclesPerDay(): bigint {
        return this.storageCost(86_400n);
    }

    /** Cycles that must stay in the canister: the idle burn over the freezing threshold. */
    freezingReserve(): bigint {
        return this.storageCost(this.settings.freezingThreshold);
    }
}

/** Turns what a message threw into the trap the caller sees. */
function asTrap(error: unknown): CanisterTrap {
    if (error instanceof CanisterTrap) return error;
    if (error instanceof WebAssembly.RuntimeError) return new CanisterTrap(`Canister trapped: ${error.message}`, 'IC0502');
    if (error instanceof RangeError && /call stack/i.test(error.message))
        return new CanisterTrap('Canister trapped: stack overflow', 'IC0502');
    return new CanisterTrap(`Canister trapped: ${error instanceof Error ? error.message : String(error)}`, 'IC0502');
}
