/**
 * Loading canister wasm: instrumenting and compiling a module once per wasm hash. Instrumented modules are
 * kept in memory for the process and on disk (`node_modules/.cache/local-ic/`) for the next one, so a second
 * install of the same wasm, in this test file or the next, skips the instrumentation.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { LoadedModule } from './canister';
import { compileWasm } from './wasm/compile';
import { instrument, type Instrumented } from './wasm/instrument';

/** Bumped whenever the instrumentation changes, so stale cache entries are never used. */
const INSTRUMENTATION_VERSION = 14;

const CACHE_DIR = resolve(__dirname, '..', '..', 'node_modules', '.cache', 'local-ic');
const loaded = new Map<string, LoadedModule>();

function readCache(key: string): Instrumented | undefined {
    const base = join(CACHE_DIR, key);
    if (!existsSync(`${base}.wasm`) || !existsSync(`${base}.json`)) return undefined;
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Omit<Instrumented, 'wasm'>;
    return { ...meta, wasm: new Uint8Array(readFileSync(`${base}.wasm`)) };
}

function writeCache(key: string, instrumented: Instrumented): void {
    try {
        mkdirSync(CACHE_DIR, { recursive: true });
        const base = join(CACHE_DIR, key);
        const { wasm, ...meta } = instrumented;
        // write then rename, so a concurrent reader (another Jest worker) never sees half a file
        writeFileSync(`${base}.wasm.tmp${process.pid}`, wasm);
        renameSync(`${base}.wasm.tmp${process.pid}`, `${base}.wasm`);
        writeFileSync(`${base}.json`, JSON.stringify(meta));
    } catch {
        // the cache is an optimisation: a read-only checkout still works, only slower
    }
}

/** The instrumented, compiled module for a wasm binary (not gzipped). */
export function loadModule(wasm: Uint8Array): LoadedModule {
    const hash = new Uint8Array(createHash('sha256').update(wasm).digest());
    const key = `${Buffer.from(hash).toString('hex')}-v${INSTRUMENTATION_VERSION}`;
    const known = loaded.get(key);
    if (known !== undefined) return known;
    let instrumented = readCache(key);
    if (instrumented === undefined) {
        instrumented = instrument(wasm);
        writeCache(key, instrumented);
    }
    const compiled = compileWasm(instrumented.wasm);
    const module: LoadedModule = {
        hash,
        size: wasm.length,
        instrumented,
        compiled,
        exports: new Set(WebAssembly.Module.exports(compiled).map((e) => e.name))
    };
    loaded.set(key, module);
    return module;
}
