/**
 * The canisters of this project, as dfx.json names them, and where each one's files live.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { UsageError } from './cli';

export const ROOT = resolve(__dirname, '..', '..');

type DfxCanister = { type?: string; main?: string; custom?: { env?: string[]; candid_gen?: string } };

export type CanisterInfo = {
    readonly name: string;
    /** The project folder: it holds dfx.json, and Azle writes `.azle/` there. */
    readonly root: string;
    /** The entry point Azle bundles, relative to the project root. */
    readonly main: string;
    /** The folder of `main`: it holds `service.ts` and the generated `<name>.did`. */
    readonly dir: string;
    /** dfx.json's entry for the canister, part of the build cache key. */
    readonly config: DfxCanister;
    readonly wasmPath: string;
    /** The `.did` Azle writes from the decorators. */
    readonly builtDidPath: string;
    /** The `.did` `npm run generate` writes from the service description (committed). */
    readonly generatedDidPath: string;
    readonly servicePath: string;
};

export function readCanisters(root = ROOT): CanisterInfo[] {
    const dfx = JSON.parse(readFileSync(join(root, 'dfx.json'), 'utf8')) as { canisters?: Record<string, DfxCanister> };
    return Object.entries(dfx.canisters ?? {})
        .filter(([, config]) => config.type === 'azle')
        .map(([name, config]) => {
            if (config.main === undefined) throw new Error(`dfx.json: canister "${name}" has no "main"`);
            const dir = dirname(config.main);
            return {
                name,
                root,
                main: config.main,
                dir,
                config,
                wasmPath: join(root, '.azle', name, `${name}.wasm`),
                builtDidPath: join(root, '.azle', name, `${name}.did`),
                generatedDidPath: join(root, dir, `${name}.did`),
                servicePath: join(root, dir, 'service.ts')
            };
        });
}

/** The canisters named on the command line (all when none are), or a usage error naming the unknown ones. */
export function selectCanisters(names: readonly string[], root = ROOT, all = readCanisters(root)): CanisterInfo[] {
    if (names.length === 0) return all;
    const unknown = names.filter((n) => !all.some((c) => c.name === n));
    if (unknown.length > 0) {
        throw new UsageError(`not in dfx.json: ${unknown.join(', ')} (known: ${all.map((c) => c.name).join(', ')})`);
    }
    return all.filter((c) => names.includes(c.name));
}
