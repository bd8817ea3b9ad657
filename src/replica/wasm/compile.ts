/**
 * Compiling canister wasm in this process's V8, with one V8 setting changed from Node 20's default.
 *
 * V8 compiles a function it finds huge with a simpler register allocator, the "mid-tier" one. An Azle
 * module's QuickJS interpreter function is under that size as built, but not once it is instrumented, and
 * the simpler allocator stores the metering's running cost to the stack at every block. Chrome turns this
 * fallback off by default (Chromium's `V8MidtierRegallocFallback` feature, disabled, whose comment says V8
 * wants to remove it), so the local IC turns it off too. On `examples/counter` it lowers the bookkeeping cost
 * (docs/benchmarks.md) for a slower compile of the interpreter function, once per module (seen with
 * `--trace-wasm-compilation-times`). Only that function changes: no other function of the module is large enough.
 *
 * The setting is the process's: it applies to every huge function compiled after the first canister module,
 * JavaScript included, which then compiles a little slower and runs faster. It is applied on V8 11 and
 * older (Node 20 and 18), where the flag exists; `LOCAL_IC_V8_DEFAULTS=1` keeps V8's defaults.
 */
import { setFlagsFromString } from 'node:v8';

const V8_MAJOR = Number(process.versions.v8.split('.')[0]);
const TOP_TIER_ALLOCATOR_FOR_HUGE_FUNCTIONS = '--no-turbo-use-mid-tier-regalloc-for-huge-functions';

/** Whether this process compiles huge functions with V8's full register allocator (see above). */
export const FULL_ALLOCATOR_FOR_HUGE_FUNCTIONS = V8_MAJOR <= 11 && process.env.LOCAL_IC_V8_DEFAULTS !== '1';

let tuned = false;

/** Compiles a wasm module, after making sure huge functions get V8's full register allocator. */
export function compileWasm(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
    if (!tuned) {
        tuned = true;
        if (FULL_ALLOCATOR_FOR_HUGE_FUNCTIONS) setFlagsFromString(TOP_TIER_ALLOCATOR_FOR_HUGE_FUNCTIONS);
    }
    return new WebAssembly.Module(bytes);
}
