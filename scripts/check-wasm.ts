/**
 * `npm run check-wasm`: the checks a canister module can pass offline before it goes to mainnet, for every
 * canister of dfx.json and the template. Each module is built (or taken from the build cache), given its
 * public `candid:service` metadata with ic-wasm (as dfx does, and as icp.yaml's build step does), gzipped as
 * the deploy script sends it, and checked:
 *
 * - ic-wasm `check-endpoints`: the module exports exactly the `.did`'s methods, besides Azle's runtime exports;
 * - the embedded `candid:service` is the committed `.did`;
 * - the gzipped module fits one `install_code` ingress message, and the code section the IC's limit.
 *
 * The checked artifacts are written to `.azle/<name>/<name>.checked.wasm.gz`. `npm run check-wasm -- <name>...`
 * checks only the canisters named; with `--out <path>` one canister, whose artifact it copies there: icp.yaml's
 * build step.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

import { readSections, SECTION } from '../src/replica/wasm/instrument';
import { wasmOf } from './lib/build';
import { type CanisterInfo, readCanisters, ROOT, selectCanisters } from './lib/canisters';
import { parseCommandLine, runTool, UsageError } from './lib/cli';

const IC_WASM = join(ROOT, 'node_modules', '@icp-sdk', 'ic-wasm-linux-x64', 'bin', 'ic-wasm');
const MiB = 1024 * 1024;
/** An ingress message carries at most 2 MiB (IC resource limits); the install argument needs room beside the module. */
const MAX_GZIPPED_BYTES = 2 * MiB - 64 * 1024;
/** The replica refuses a module whose code section exceeds this (IC resource limits: "Wasm code section"). */
const MAX_CODE_SECTION_BYTES = 10 * MiB;

const AZLE_INTERNAL_QUERIES = [
    'actions_len',
    'get_benchmarks',
    'heap_allocation',
    'inter_canister_call_futures_len',
    'is_job_queue_empty',
    'reject_callbacks_len',
    'resolve_callbacks_len',
    'timer_callbacks_len'
];
const AZLE_ENTRY_POINTS = [
    'execute_method_js',
    'get_candid_and_method_meta_pointer',
    'init',
    'init_js_passive_data',
    'init_seed',
    'init_wasm_data_passive_data',
    'js_passive_data_size',
    'post_upgrade',
    'raw_init',
    'raw_init_seed',
    'wasm_data_passive_data_size'
];
/** The WASI functions Azle's runtime implements over the IC's system API, exported with a prefix. */
const WASI_FUNCTIONS = [
    ...['args_get', 'args_sizes_get', 'clock_res_get', 'clock_time_get', 'environ_get', 'environ_sizes_get'],
    ...['fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags'],
    ...['fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread'],
    ...['fd_prestat_dir_name', 'fd_prestat_get', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek'],
    ...['fd_sync', 'fd_tell', 'fd_write', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times'],
    ...['path_link', 'path_open', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink'],
    ...['path_unlink_file', 'poll_oneoff', 'proc_exit', 'proc_raise', 'random_get', 'sched_yield'],
    ...['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown']
];

/**
 * What every Azle 0.33 module exports besides the service's methods: the runtime's entry points and internal
 * queries, the canister lifecycle hooks, and its WASI shims. An export not here and not in the `.did` fails.
 */
const AZLE_RUNTIME_EXPORTS = [
    'canister_update:<ic-cdk internal> timer_executor',
    'canister_update:_azle_chunk',
    'canister_global_timer',
    'canister_init',
    'canister_post_upgrade',
    ...AZLE_INTERNAL_QUERIES.map((name) => `canister_query:_azle_${name}`),
    ...AZLE_ENTRY_POINTS,
    ...WASI_FUNCTIONS.map((name) => `__ic_custom_${name}`)
];

/** Hooks a module exports only when the canister declares them (`@inspectMessage`, `@preUpgrade`). */
const OPTIONAL_HOOKS = ['canister_inspect_message', 'canister_pre_upgrade'];

export type WasmCheck = {
    readonly name: string;
    readonly wasmBytes: number;
    readonly gzippedBytes: number;
    readonly codeSectionBytes: number;
    readonly problems: readonly string[];
    /** The checked module, with its metadata, gzipped: what `npm run deploy` and icp.yaml install. */
    readonly artifactPath: string;
};

function icWasm(...args: string[]): string {
    return execFileSync(IC_WASM, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The size of a module's code section, read with the local IC's section reader. */
export function codeSectionBytes(wasm: Uint8Array): number {
    return readSections(wasm).find((section) => section.id === SECTION.code)?.content.length ?? 0;
}

/** Builds, embeds the metadata, gzips and checks one canister. */
export async function checkCanister(canister: CanisterInfo, project: 'suite' | 'template'): Promise<WasmCheck> {
    const built = await wasmOf(canister.name, project);
    const did = canister.generatedDidPath;
    const withMetadata = built.replace(/\.wasm$/, '.checked.wasm');
    icWasm(built, '-o', withMetadata, 'metadata', 'candid:service', '-f', did, '-v', 'public', '--keep-name-section');
    const problems: string[] = [];
    const wasm = readFileSync(withMetadata);
    const module = new WebAssembly.Module(wasm);
    const hidden = join(ROOT, '.azle', `${canister.name}.hidden-exports.txt`);
    const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const hooks = OPTIONAL_HOOKS.filter((hook) => exported.has(hook));
    writeFileSync(hidden, `${[...AZLE_RUNTIME_EXPORTS, ...hooks].join('\n')}\n`);
    try {
        icWasm(withMetadata, 'check-endpoints', '--candid', did, '--hidden', hidden);
    } catch (error) {
        const output = String((error as { stderr?: string }).stderr ?? error);
        problems.push(...output.split('\n').filter((line) => line.startsWith('ERROR')));
        if (problems.length === 0) problems.push(`check-endpoints failed: ${output.split('\n')[0] ?? ''}`);
    }
    const [metadata] = WebAssembly.Module.customSections(module, 'icp:public candid:service');
    if (metadata === undefined || Buffer.from(metadata).toString('utf8') !== readFileSync(did, 'utf8')) {
        problems.push('the embedded candid:service is missing or differs from the .did');
    }
    const gzipped = gzipSync(wasm, { level: 9 });
    const artifactPath = `${withMetadata}.gz`;
    writeFileSync(artifactPath, gzipped);
    const code = codeSectionBytes(wasm);
    if (gzipped.length > MAX_GZIPPED_BYTES) problems.push(`gzipped ${gzipped.length} bytes > ${MAX_GZIPPED_BYTES}`);
    if (code > MAX_CODE_SECTION_BYTES) problems.push(`code section ${code} bytes > ${MAX_CODE_SECTION_BYTES}`);
    return {
        name: canister.name,
        wasmBytes: wasm.length,
        gzippedBytes: gzipped.length,
        codeSectionBytes: code,
        problems,
        artifactPath
    };
}

const USAGE = `usage: npm run check-wasm [-- NAME... [--out FILE]]

  NAME        a canister of dfx.json or of the template (default: every one)
  --out FILE  copy the one named canister's checked artifact to FILE (icp.yaml's build step)
  -h, --help  this text`;

async function main(argv: string[]): Promise<void> {
    const { values, positionals } = parseCommandLine({
        args: argv,
        allowPositionals: true,
        options: { out: { type: 'string' } }
    });
    const out = values.out;
    const suite = readCanisters();
    const template = readCanisters(join(ROOT, 'examples', 'template'));
    const selected = selectCanisters(positionals, ROOT, [...suite, ...template]);
    const canisters = selected.map((c) => [c, template.includes(c) ? 'template' : 'suite'] as const);
    if (out !== undefined && canisters.length !== 1) throw new UsageError('--out takes exactly one canister name');
    const mb = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;
    let failed = 0;
    for (const [index, [canister, project]] of canisters.entries()) {
        process.stdout.write(`[${index + 1}/${canisters.length}] ${canister.name}: `);
        const check = await checkCanister(canister, project);
        const figures = `wasm ${mb(check.wasmBytes)}, gzipped ${mb(check.gzippedBytes)}, code section ${mb(check.codeSectionBytes)}`;
        console.log(`${check.problems.length === 0 ? 'ok' : 'FAILED'} (${figures})`);
        check.problems.forEach((problem) => console.log(`    ${problem}`));
        if (check.problems.length > 0) failed++;
        else if (out !== undefined) copyFileSync(check.artifactPath, out);
    }
    console.log(
        failed === 0
            ? `All ${canisters.length} modules pass; checked artifacts in ${relative(ROOT, join(ROOT, '.azle'))}/<name>/`
            : `${failed} of ${canisters.length} modules failed`
    );
    if (failed > 0) process.exitCode = 1;
}

if (require.main === module) runTool(USAGE, main);
