/**
 * Builds Azle canisters offline, skipping the ones whose inputs did not change.
 *
 * The cache key is a hash of everything the wasm depends on: every file esbuild pulls into the canister's
 * bundle (its own sources, the library folders under `src/`, the npm packages it imports), the canister's dfx.json entry, the
 * values of the environment variables it bakes in, Azle's version and the template it builds on. Azle is
 * run with `CANISTER_CANDID_PATH` and `AZLE_DFX_ROOT` set, the two things dfx would otherwise provide.
 *
 * Canisters are built on the suite's runtime (azle-runtime/, with native crypto: scripts/lib/runtime.ts). A
 * build on the template Azle ships (`runtime: 'azle'`) is kept beside it, for the benchmarks' JS-path figures
 * and the local IC's calibration against Azle's published figures.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { build as esbuild, type Message } from 'esbuild';

import { type CanisterInfo, readCanisters, ROOT } from './canisters';
import { azleCli, type RuntimeName, sha256Hex, templateBytes } from './runtime';

export type BuildOutcome = {
    readonly name: string;
    readonly status: 'built' | 'cached';
    readonly ms: number;
    readonly wasmBytes: number;
};

/** A failed build, naming the canister and, where esbuild or Azle gave one, the file. */
export class CanisterBuildError extends Error {
    override readonly name = 'CanisterBuildError';
}

const AZLE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/azle/package.json'), 'utf8')) as { version: string })
    .version;

/** The esbuild options Azle 0.33 bundles a canister with (its `javascript.ts`), for tools that mirror its bundle. */
export const AZLE_BUNDLE_OPTIONS = {
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2024',
    treeShaking: true,
    logLevel: 'silent',
    preserveSymlinks: true
} as const;

function formatEsbuildMessage(m: Message): string {
    const where = m.location === null ? '' : `${m.location.file}:${m.location.line}:${m.location.column}: `;
    return `${where}${m.text}`;
}

/** The files the canister's bundle is made of, as esbuild resolves them from `main`. */
async function bundleInputs(canister: CanisterInfo): Promise<string[]> {
    try {
        const result = await esbuild({
            entryPoints: [join(canister.root, canister.main)],
            absWorkingDir: canister.root,
            ...AZLE_BUNDLE_OPTIONS,
            metafile: true
        });
        return Object.keys(result.metafile.inputs).sort();
    } catch (error) {
        const errors = (error as { errors?: Message[] }).errors ?? [];
        const detail = errors.length > 0 ? errors.map(formatEsbuildMessage).join('\n  ') : String(error);
        throw new CanisterBuildError(`canister "${canister.name}" (${canister.main}) does not compile:\n  ${detail}`);
    }
}

export async function cacheKey(canister: CanisterInfo, runtime: RuntimeName = 'suite'): Promise<string> {
    const hash = createHash('sha256');
    hash.update(`azle ${AZLE_VERSION}\n`);
    hash.update(`template ${sha256Hex(templateBytes(runtime))}\n`);
    hash.update(JSON.stringify(canister.config));
    for (const name of canister.config.custom?.env ?? []) hash.update(`${name}=${process.env[name] ?? ''}\n`);
    for (const file of await bundleInputs(canister)) {
        hash.update(`${file}\n`);
        hash.update(readFileSync(join(canister.root, file)));
    }
    return hash.digest('hex');
}

/**
 * Where a build on `runtime` is kept. Azle writes (and first empties) `.azle/<name>/`, which holds the suite
 * runtime's build; a build on Azle's template is moved to `.azle/on-azle-template/`.
 */
export function wasmPathOf(canister: CanisterInfo, runtime: RuntimeName = 'suite'): string {
    return runtime === 'suite' ? canister.wasmPath : join(canister.root, '.azle', 'on-azle-template', `${canister.name}.wasm`);
}

function keyPath(canister: CanisterInfo, runtime: RuntimeName): string {
    return runtime === 'suite' ? join(dirname(canister.wasmPath), 'build-key') : `${wasmPathOf(canister, runtime)}.build-key`;
}

function runAzle(canister: CanisterInfo, runtime: RuntimeName): Promise<void> {
    const tsx = require.resolve('tsx/cli');
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [tsx, azleCli(runtime), 'build', canister.name], {
            cwd: canister.root,
            env: { ...process.env, CANISTER_CANDID_PATH: canister.builtDidPath, AZLE_DFX_ROOT: canister.root },
            stdio: ['ignore', 'pipe', 'pipe']
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
            if (code === 0) resolve();
            else
                reject(
                    new CanisterBuildError(`canister "${canister.name}" (${canister.main}): azle build failed:\n${output.trim()}`)
                );
        });
    });
}

/** A lock older than this was left by a build that died: a build of the suite's largest canister takes ~40 s. */
const STALE_LOCK_MS = 10 * 60_000;
const LOCK_POLL_MS = 200;

/**
 * Runs `build` holding the canister's build lock, a directory (`mkdir` is atomic): Jest's workers build the
 * canisters their tests need, and two of them building one canister at once would write the same files.
 */
async function withBuildLock<T>(canister: CanisterInfo, build: () => Promise<T>): Promise<T> {
    const lock = `${dirname(canister.wasmPath)}.lock`;
    await mkdir(dirname(lock), { recursive: true });
    for (;;) {
        try {
            mkdirSync(lock);
            break;
        } catch {
            const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0;
            if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
            else await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
        }
    }
    try {
        return await build();
    } finally {
        rmSync(lock, { recursive: true, force: true });
    }
}

/**
 * Runs Azle for a build on Azle's own template, keeping the suite runtime's build: Azle empties and writes
 * `.azle/<name>/`, so that folder is set aside and put back around it.
 */
async function runAzleBeside(canister: CanisterInfo): Promise<void> {
    const folder = dirname(canister.wasmPath);
    const aside = `${folder}.aside`;
    rmSync(aside, { recursive: true, force: true });
    if (existsSync(folder)) renameSync(folder, aside);
    try {
        await runAzle(canister, 'azle');
        await mkdir(dirname(wasmPathOf(canister, 'azle')), { recursive: true });
        renameSync(canister.wasmPath, wasmPathOf(canister, 'azle'));
    } finally {
        rmSync(folder, { recursive: true, force: true });
        if (existsSync(aside)) renameSync(aside, folder);
    }
}

/** Builds one canister on `runtime` unless its cache key is unchanged and its outputs exist. */
export async function buildCanister(
    canister: CanisterInfo,
    options: { force?: boolean; runtime?: RuntimeName } = {}
): Promise<BuildOutcome> {
    const started = performance.now();
    const runtime = options.runtime ?? 'suite';
    const wasmPath = wasmPathOf(canister, runtime);
    const key = await cacheKey(canister, runtime);
    const isUpToDate = () =>
        options.force !== true &&
        existsSync(wasmPath) &&
        (runtime === 'azle' || existsSync(canister.builtDidPath)) &&
        existsSync(keyPath(canister, runtime)) &&
        readFileSync(keyPath(canister, runtime), 'utf8') === key;
    // checked again under the lock: another process may have built it while this one waited
    const upToDate =
        isUpToDate() ||
        (await withBuildLock(canister, async () => {
            if (isUpToDate()) return true;
            await mkdir(dirname(canister.wasmPath), { recursive: true });
            if (runtime === 'suite') await runAzle(canister, 'suite');
            else await runAzleBeside(canister);
            writeFileSync(keyPath(canister, runtime), key);
            return false;
        }));
    return {
        name: canister.name,
        status: upToDate ? 'cached' : 'built',
        ms: performance.now() - started,
        wasmBytes: readFileSync(wasmPath).byteLength
    };
}

/** The folders with a dfx.json of their own: the suite, the test fixtures, and the template a user copies. */
const PROJECTS = {
    suite: ROOT,
    fixtures: join(ROOT, 'test', 'fixtures'),
    template: join(ROOT, 'examples', 'template')
} as const;

/** Builds (or reuses) a canister of one of the {@link PROJECTS} on `runtime`; returns its wasm path. */
export async function wasmOf(
    name: string,
    project: keyof typeof PROJECTS = 'suite',
    runtime: RuntimeName = 'suite'
): Promise<string> {
    const canister = readCanisters(PROJECTS[project]).find((c) => c.name === name);
    if (canister === undefined) throw new Error(`no canister "${name}" in the ${project} dfx.json`);
    await buildCanister(canister, { runtime });
    return wasmPathOf(canister, runtime);
}
