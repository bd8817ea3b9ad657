/** The bare side of the bookkeeping benchmark, and a way for tests to run a real module's instrumented code. */
import { Principal } from '@dfinity/principal';

import { HeapShadow, HeapView, StableMemory } from './memory';
import { type MessageContext, newMessage } from './message';
import { systemApi, type SystemApiHost } from './system-api';
import { compileWasm } from './wasm/compile';
import { COUNTER_EXPORT, instrument, type Instrumented, type InstrumentOptions } from './wasm/instrument';

/**
 * A wasm module under a host that does only what a call needs: no rollback or accounting. With `options`, the
 * module is instrumented first: the injected code runs and marks pages, which nothing commits unless a caller
 * uses `journal`.
 */
export class BareHost implements SystemApiHost {
    readonly selfId = Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai').toUint8Array();
    readonly stable = new StableMemory(false); // no journal: a do-nothing host keeps no undo information
    message: MessageContext = newMessage({
        kind: 'init',
        methodName: '',
        caller: new Uint8Array(),
        arg: new Uint8Array(),
        instructionLimit: 0n,
        replicated: true
    });
    exports: WebAssembly.Exports;
    private readonly heapView: HeapView;
    /** The instrumented module's journal (its marks are what a test checks); none for the bare wasm. */
    readonly journal: HeapShadow | undefined;
    /** What the instrumentation made of the module; undefined for the bare wasm. */
    readonly instrumented: Instrumented | undefined;

    constructor(wasm: Uint8Array<ArrayBuffer>, options?: InstrumentOptions) {
        const instrumented = options === undefined ? undefined : instrument(wasm, options);
        this.instrumented = instrumented;
        const imports: WebAssembly.Imports = { ic0: systemApi(this) };
        this.exports = new WebAssembly.Instance(compileWasm(instrumented?.wasm ?? wasm), imports).exports;
        this.heapView = new HeapView(this.exports.memory as WebAssembly.Memory);
        if (instrumented !== undefined) {
            this.journal = new HeapShadow(this.exports.memory as WebAssembly.Memory, instrumented.bitmapPage); // places the bitmap
            (this.exports[COUNTER_EXPORT] as WebAssembly.Global).value = 2n ** 62n;
        }
    }

    run(message: MessageContext, entry: string): void {
        this.message = message;
        (this.exports[entry] as () => void)();
        this.stable.commit();
    }

    heap(): Uint8Array {
        return this.heapView.get(); // kept as the local IC keeps it, so the comparison is of bookkeeping alone
    }
    writeHeap(address: number, bytes: Uint8Array): void {
        this.heap().set(bytes, address);
    }
    charge(): void {}
    instructionsExecuted(): bigint {
        return 0n;
    }
    time(): bigint {
        return 1_700_000_000_000_000_000n;
    }
    cycleBalance(): bigint {
        return 10n ** 15n;
    }
    liquidCycleBalance(): bigint {
        return 10n ** 15n;
    }
    isController(): boolean {
        return true;
    }
    canisterVersion(): bigint {
        return 1n;
    }
    setCertifiedData(): void {}
    setGlobalTimer(): bigint {
        return 0n;
    }
    debugPrint(): void {}
    costCall(): bigint {
        return 0n;
    }
}
