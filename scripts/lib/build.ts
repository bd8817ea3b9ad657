/**
 * Builds Azle canisters offline, skipping the ones whose inputs did not change.
 *
 * The cache key is a hash of everything the wasm depends on: every file esbuild pulls into the canister's
 * bundle (its own sources, `src/shared`, the npm packages it imports), the canister's dfx.json entry, the
 * values of the environment variables it bakes in, and Azle's version. Azle is run with
 * `CANISTER_CANDID_PATH` and `AZLE_DFX_ROOT` set, the two things dfx would otherwise provide.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { build as esbuild, type Message } from 'esbuild';

import { type CanisterInfo, readCanisters, ROOT } from './canisters';

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

export async function cacheKey(canister: CanisterInfo): Promise<string> {
    const hash = createHash('sha256');
    hash.update(`azle ${AZLE_VERSION}\n`);
    hash.update(JSON.stringify(canister.config));
    for (const name of canister.config.custom?.env ?? []) hash.update(`${name}=${process.env[name] ?? ''}\n`);
    for (const file of await bundleInputs(canister)) {
        hash.update(`${file}\n`);
        hash.update(readFileSync(join(canister.root, file)));
    }
    return hash.digest('hex');
}

function keyPath(canister: CanisterInfo): string {
    return join(dirname(canister.wasmPath), 'build-key');
}

function runAzle(canister: CanisterInfo): Promise<void> {
    const tsx = require.resolve('tsx/cli');
    const azleCli = join(ROOT, 'node_modules/azle/src/build.ts');
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [tsx, azleCli, 'build', canister.name], {
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

/** Builds one canister unless its cache key is unchanged and its outputs exist. */
export async function buildCanister(canister: CanisterInfo, options: { force?: boolean } = {}): Promise<BuildOutcome> {
    const started = performance.now();
    const key = await cacheKey(canister);
    const isUpToDate = () =>
        options.force !== true &&
        existsSync(canister.wasmPath) &&
        existsSync(canister.builtDidPath) &&
        existsSync(keyPath(canister)) &&
        readFileSync(keyPath(canister), 'utf8') === key;
    // checked again under the lock: another process may have built it while this one waited
    const upToDate =
        isUpToDate() ||
        (await withBuildLock(canister, async () => {
            if (isUpToDate()) return true;
            await mkdir(dirname(canister.wasmPath), { recursive: true });
            await runAzle(canister);
            writeFileSync(keyPath(canister), key);
            return false;
        }));
    return {
        name: canister.name,
        status: upToDate ? 'cached' : 'built',
        ms: performance.now() - started,
        wasmBytes: readFileSync(canister.wasmPath).byteLength
    };
}

/** The folders with a dfx.json of their own: the suite, the test fixtures, and the template a user copies. */
const PROJECTS = {
    suite: ROOT,
    fixtures: join(ROOT, 'test', 'fixtures'),
    template: join(ROOT, 'examples', 'template')
} as const;

/** Builds (or reuses) a canister of one of the {@link PROJECTS}; returns its wasm path. */
export async function wasmOf(name: string, project: keyof typeof PROJECTS = 'suite'): Promise<string> {
    const canister = readCanisters(PROJECTS[project]).find((c) => c.name === name);
    if (canister === undefined) throw new Error(`no canister "${name}" in the ${project} dfx.json`);
    await buildCanister(canister);
    return canister.wasmPath;
}
