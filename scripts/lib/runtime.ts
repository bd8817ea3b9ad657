/**
 * The canisters' runtime: Azle 0.33.0's stable canister template rebuilt with the suite's native functions
 * (`azle-runtime/`, README "The canisters' runtime"). The built template is committed
 * (`azle-runtime/stable.wasm`, with `stable.wasm.json` saying what made it), so building a canister needs
 * only Node; `npm run build:runtime` rebuilds it with Rust.
 *
 * Azle reads its template from a fixed path inside its package (`dist/canister_templates/stable.wasm`, from
 * its `src/stable/build/utils/global_paths.ts`). The installed package is never changed: canisters are built
 * by a copy of Azle's build tool (its `package.json` and `src/`, into `.azle/azle-with-runtime/`) beside the
 * suite's template. Canister code still imports `azle` from node_modules, which esbuild resolves from the
 * canister's folder, so the canister's bundle is the same either way.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './canisters';

export const AZLE_PACKAGE = join(ROOT, 'node_modules', 'azle');
export const RUNTIME_DIR = join(ROOT, 'azle-runtime');
/** The committed template the suite's canisters are built on. */
export const RUNTIME_TEMPLATE = join(RUNTIME_DIR, 'stable.wasm');
/** What made {@link RUNTIME_TEMPLATE}: its hash, Azle's version and the toolchain (written by build:runtime). */
export const RUNTIME_MANIFEST = join(RUNTIME_DIR, 'stable.wasm.json');
/** Azle's own template sources, as its npm package ships them. */
export const AZLE_TEMPLATE_SOURCES = join(
    AZLE_PACKAGE,
    'src/stable/build/commands/build/wasm_binary/rust/stable_canister_template'
);

/** Which template a canister is built on: the suite's (native crypto) or the one Azle ships (JS only). */
export type RuntimeName = 'suite' | 'azle';

export type RuntimeManifest = {
    readonly sha256: string;
    readonly bytes: number;
    readonly azle: string;
    readonly toolchain: Readonly<Record<string, string>>;
};

export function sha256Hex(bytes: Uint8Array): string {
    return createHash('sha256').update(bytes).digest('hex');
}

export function readRuntimeManifest(): RuntimeManifest {
    return JSON.parse(readFileSync(RUNTIME_MANIFEST, 'utf8')) as RuntimeManifest;
}

/** The bytes of a runtime's template (Azle's own for 'azle'). */
export function templateBytes(runtime: RuntimeName): Uint8Array {
    return readFileSync(runtime === 'suite' ? RUNTIME_TEMPLATE : join(AZLE_PACKAGE, 'dist/canister_templates/stable.wasm'));
}

/**
 * The path of the Azle CLI that builds on `runtime`'s template. For the suite's, a copy of Azle's build tool
 * with the suite's template in place, made again when the template or Azle changed (its folder is named by
 * both hashes, so a stale copy is never used).
 */
export function azleCli(runtime: RuntimeName): string {
    if (runtime === 'azle') return join(AZLE_PACKAGE, 'src', 'build.ts');
    const template = templateBytes('suite');
    const azleVersion = (JSON.parse(readFileSync(join(AZLE_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
    const key = sha256Hex(Buffer.concat([Buffer.from(`azle ${azleVersion}\n`), template])).slice(0, 16);
    const copy = join(ROOT, '.azle', 'azle-with-runtime', key);
    const cli = join(copy, 'src', 'build.ts');
    if (existsSync(cli)) return cli;
    // made beside its final place and renamed, so a concurrent build (Jest's workers) never sees half a copy
    const partial = `${copy}.${process.pid}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(join(partial, 'dist', 'canister_templates'), { recursive: true });
    cpSync(join(AZLE_PACKAGE, 'package.json'), join(partial, 'package.json'));
    cpSync(join(AZLE_PACKAGE, 'src'), join(partial, 'src'), { recursive: true });
    writeFileSync(join(partial, 'dist', 'canister_templates', 'stable.wasm'), template);
    try {
        renameSync(partial, copy);
    } catch (error) {
        rmSync(partial, { recursive: true, force: true });
        if (!existsSync(cli)) throw error;
    }
    return cli;
}
