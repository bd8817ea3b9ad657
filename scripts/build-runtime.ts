/**
 * `npm run build:runtime [-- --check | --apt-packages]`: builds the canisters' runtime (azle-runtime/, scripts/lib/runtime.ts)
 * with Rust: Azle's stable template from node_modules/azle, plus the suite's native functions, into
 * `azle-runtime/stable.wasm` and its manifest. `--check` builds it again and fails unless the bytes are the
 * committed ones (CI runs it): the committed template is what the committed sources make.
 * `--apt-packages` prints the Debian packages at the versions the committed template was built with, for
 * `apt-get install` (CI installs them so).
 *
 * The build is reproducible: the toolchain is Debian's packaged Rust 1.96 for the web targets, clang and
 * wasi-libc (std is built from Debian's rust-web-src, as rustup's wasm32-wasip1 target cannot be downloaded
 * here), every crate comes from Cargo.lock, and every path that could reach the binary (the project folder,
 * CARGO_HOME, std's sources) is remapped to a fixed name in rustc and in clang.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import {
    AZLE_PACKAGE,
    AZLE_TEMPLATE_SOURCES,
    readRuntimeManifest,
    RUNTIME_DIR,
    RUNTIME_MANIFEST,
    RUNTIME_TEMPLATE,
    type RuntimeManifest,
    sha256Hex
} from './lib/runtime';
import { ByteReader, ByteWriter } from '../src/replica/wasm/bytes';
import { readSections, SECTION } from '../src/replica/wasm/instrument';

/** Debian's packages the build needs; their versions go into the manifest. */
const DEBIAN_PACKAGES = ['rustc-web', 'cargo-web', 'rust-web-src', 'lld-22', 'clang-19', 'llvm-19', 'wasi-libc'] as const;
const APT_LINE = `apt-get install -y --no-install-recommends rustc-web cargo-web rust-web-src lld-22 clang-19 llvm-19 wasi-libc`;
/** Debian's Rust for the web targets installs as /usr/bin/{rustc,cargo}; rustup's, earlier on PATH, lacks wasm32-wasip1. */
const CARGO = '/usr/bin/cargo';
const RUSTC = '/usr/bin/rustc';
const RUST_SRC = '/usr/lib/rustlib/src/rust';
const WASI_LIBC = '/usr/lib/wasm32-wasi';
/** Azle's `globalDependencies` name wasi2ic 0.2.15, which turns the WASI module into an IC one. */
const WASI2IC_VERSION = '0.2.15';

const TEMPLATE_COPY = join(RUNTIME_DIR, 'template');
const TARGET = join(RUNTIME_DIR, 'target');
const WASI_SDK = join(TARGET, 'wasi-sdk');
const WASI2IC = join(TARGET, 'tools', 'bin', 'wasi2ic');
const CARGO_HOME = process.env.CARGO_HOME ?? join(homedir(), '.cargo');
/** What each remapped path is called inside the binary. */
const REMAPS: readonly [string, string][] = [
    [RUNTIME_DIR, '/azle-runtime'],
    [CARGO_HOME, '/cargo'],
    [RUST_SRC, '/rust-src']
];

class RuntimeBuildError extends Error {
    override readonly name = 'RuntimeBuildError';
}

function debianVersion(name: string): string | undefined {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' });
    return result.status === 0 && result.stdout !== '' ? result.stdout : undefined;
}

/** The toolchain's versions, or an error naming what is missing and the line that installs it. */
function toolchain(): Record<string, string> {
    const versions: Record<string, string> = {};
    const missing: string[] = [];
    for (const name of DEBIAN_PACKAGES) {
        const version = debianVersion(name);
        if (version === undefined) missing.push(name);
        else versions[name] = version;
    }
    if (missing.length > 0) {
        throw new RuntimeBuildError(`missing Debian packages: ${missing.join(', ')}\n  install them with: ${APT_LINE}`);
    }
    versions.wasi2ic = WASI2IC_VERSION;
    return versions;
}

/**
 * A fresh copy of Azle's template with the suite's module and its one registration: `glue/native_crypto.rs`
 * becomes `src/ic/native_crypto.rs`, `register` calls it before it publishes `_azleIc`, and the template
 * depends on the `suite_crypto` crate and on `suite_heap` (the `sbrk` Debian's wasi-libc needs, heap/src/lib.rs). Anything in Azle's sources not where it is expected is an error.
 */
function prepareTemplate(): void {
    rmSync(TEMPLATE_COPY, { recursive: true, force: true });
    cpSync(AZLE_TEMPLATE_SOURCES, TEMPLATE_COPY, { recursive: true });
    cpSync(join(RUNTIME_DIR, 'glue', 'native_crypto.rs'), join(TEMPLATE_COPY, 'src', 'ic', 'native_crypto.rs'));
    patch(join(TEMPLATE_COPY, 'src', 'ic', 'mod.rs'), [
        ['mod trap;\n', 'mod trap;\nmod native_crypto;\n'],
        [
            '    ctx.globals().set("_azleIc", ic)?;',
            '    native_crypto::register(ctx.clone(), &ic)?;\n\n    ctx.globals().set("_azleIc", ic)?;'
        ]
    ]);
    patch(join(TEMPLATE_COPY, 'Cargo.toml'), [
        ['[dependencies]\n', '[dependencies]\nsuite_crypto = { path = "../crypto" }\nsuite_heap = { path = "../heap" }\n']
    ]);
}

function patch(file: string, edits: readonly [string, string][]): void {
    let text = readFileSync(file, 'utf8');
    for (const [anchor, replacement] of edits) {
        if (text.split(anchor).length !== 2) {
            throw new RuntimeBuildError(`${file}: expected "${anchor.trim()}" once in Azle's template (has Azle changed?)`);
        }
        text = text.replace(anchor, replacement);
    }
    writeFileSync(file, text);
}

/**
 * The folder rquickjs-sys takes as `WASI_SDK` (its build.rs uses `bin/clang`, `bin/ar` and
 * `share/wasi-sysroot`; without it, it downloads wasi-sdk), made of Debian's clang 19, llvm-ar and wasi-libc
 * (installed under the target's older name, wasm32-wasi). The clang wrapper maps paths out of the objects.
 */
/** Returns the C compiler to give the cc crate. */
function prepareWasiSdk(): string {
    rmSync(WASI_SDK, { recursive: true, force: true });
    mkdirSync(join(WASI_SDK, 'bin'), { recursive: true });
    mkdirSync(join(WASI_SDK, 'share', 'wasi-sysroot', 'include'), { recursive: true });
    mkdirSync(join(WASI_SDK, 'share', 'wasi-sysroot', 'lib'), { recursive: true });
    symlinkSync('/usr/include/wasm32-wasi', join(WASI_SDK, 'share', 'wasi-sysroot', 'include', 'wasm32-wasip1'));
    symlinkSync(WASI_LIBC, join(WASI_SDK, 'share', 'wasi-sysroot', 'lib', 'wasm32-wasip1'));
    symlinkSync('/usr/bin/llvm-ar-19', join(WASI_SDK, 'bin', 'ar'));
    const prefixMaps = REMAPS.map(([from, to]) => `-ffile-prefix-map=${from}=${to}`).join(' ');
    const wrapper = [
        '#!/bin/sh',
        '# written by scripts/build-runtime.ts: Debian clang 19, with the paths that could reach the objects remapped',
        `exec /usr/bin/clang-19 ${prefixMaps} "$@"`,
        ''
    ].join('\n');
    for (const name of ['clang', wrapperName(wrapper)]) {
        writeFileSync(join(WASI_SDK, 'bin', name), wrapper);
        chmodSync(join(WASI_SDK, 'bin', name), 0o755);
    }
    return join(WASI_SDK, 'bin', wrapperName(wrapper));
}

/**
 * The wrapper is also given to the cc crate by a name that changes with its text (`CC_wasm32_wasip1`, which
 * cc reads before the `CC` rquickjs-sys sets and tells cargo to watch): otherwise cargo would keep QuickJS's
 * objects from a wrapper that has since changed.
 */
function wrapperName(text: string): string {
    return `clang-${sha256Hex(Buffer.from(text)).slice(0, 12)}`;
}

/** wasi2ic, built from crates.io with the host's cargo (rustup's) into target/tools. */
function ensureWasi2ic(): void {
    if (existsSync(WASI2IC)) return;
    console.log(`  installing wasi2ic ${WASI2IC_VERSION} from crates.io into ${join(TARGET, 'tools')}`);
    const result = spawnSync(
        'cargo',
        ['install', 'wasi2ic', '--version', WASI2IC_VERSION, '--locked', '--root', join(TARGET, 'tools')],
        { stdio: 'inherit' }
    );
    if (result.status !== 0) throw new RuntimeBuildError('cargo install wasi2ic failed (see above)');
}

/** Runs cargo for the template, showing a live count of the crates compiled. */
function cargoBuild(cc: string): Promise<void> {
    const rustflags = [`-L native=${WASI_LIBC}`, ...REMAPS.map(([from, to]) => `--remap-path-prefix=${from}=${to}`)].join(' ');
    const env = {
        ...process.env,
        RUSTC,
        // -Zbuild-std builds std for wasm32-wasip1 from Debian's rust-web-src: the one unstable flag used
        RUSTC_BOOTSTRAP: '1',
        RUSTFLAGS: rustflags,
        WASI_SDK,
        CC_wasm32_wasip1: cc,
        CARGO_TARGET_DIR: TARGET,
        CARGO_TERM_COLOR: 'never'
    };
    const args = [
        'build',
        '--target',
        'wasm32-wasip1',
        '-Zbuild-std=std,panic_abort',
        '--release',
        '--locked',
        '-p',
        'stable_canister_template'
    ];
    return new Promise((resolve, reject) => {
        const child = spawn(CARGO, args, { cwd: RUNTIME_DIR, env, stdio: ['ignore', 'inherit', 'pipe'] });
        let compiled = 0;
        let log = '';
        const live = process.stdout.isTTY === true;
        child.stderr.on('data', (chunk: Buffer) => {
            const text = chunk.toString();
            log += text;
            for (const line of text.split('\n')) {
                if (!line.trimStart().startsWith('Compiling ')) continue;
                compiled++;
                const what = line.trim().slice('Compiling '.length);
                if (live) process.stdout.write(`\r\x1b[K  cargo: ${compiled} crates compiled (${what})`);
                else if (compiled % 25 === 0) console.log(`  cargo: ${compiled} crates compiled`);
            }
        });
        child.on('error', reject);
        child.on('close', (code) => {
            if (live) process.stdout.write('\n');
            if (code === 0) {
                console.log(`  cargo: ${compiled} crates compiled`);
                resolve();
            } else reject(new RuntimeBuildError(`cargo build failed (exit ${code}):\n${log.slice(-6000)}`));
        });
    });
}

/**
 * Rust exports every `#[no_mangle]` function of a cdylib, so the runtime's `sbrk` (azle-runtime/heap) would be
 * an export of every canister, which the IC ignores but ic-wasm's endpoint check refuses (`npm run
 * check-wasm`). It is a symbol for the C code linked in, not an entry point: its export is dropped here.
 */
const LINK_ONLY_EXPORTS = new Set(['sbrk']);

function withoutLinkOnlyExports(wasm: Uint8Array): Uint8Array {
    const out = new ByteWriter(wasm.length).bytes(wasm.subarray(0, 8));
    let dropped = 0;
    for (const section of readSections(wasm)) {
        let content = section.content;
        if (section.id === SECTION.export) {
            const r = new ByteReader(content);
            const kept: Uint8Array[] = [];
            const count = r.u32();
            for (let i = 0; i < count; i++) {
                const start = r.pos;
                const name = r.name();
                r.byte(); // kind
                r.u32(); // index
                if (LINK_ONLY_EXPORTS.has(name)) dropped++;
                else kept.push(content.subarray(start, r.pos));
            }
            const w = new ByteWriter(content.length).u32(kept.length);
            for (const entry of kept) w.bytes(entry);
            content = w.toBytes();
        }
        out.byte(section.id).sized(content);
    }
    if (dropped !== LINK_ONLY_EXPORTS.size) {
        throw new RuntimeBuildError(`expected the exports ${[...LINK_ONLY_EXPORTS].join(', ')} in the linked template`);
    }
    return out.toBytes();
}

async function buildTemplate(): Promise<Uint8Array> {
    prepareTemplate();
    const cc = prepareWasiSdk();
    ensureWasi2ic();
    await cargoBuild(cc);
    const out = join(TARGET, 'stable.wasm');
    const result = spawnSync(WASI2IC, [join(TARGET, 'wasm32-wasip1', 'release', 'stable_canister_template.wasm'), out], {
        encoding: 'utf8'
    });
    if (result.status !== 0) throw new RuntimeBuildError(`wasi2ic failed:\n${result.stderr}`);
    return withoutLinkOnlyExports(readFileSync(out));
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const unknown = args.filter((a) => a !== '--check' && a !== '--apt-packages');
    if (unknown.length > 0 || args.length > 1) {
        console.error(
            `usage: npm run build:runtime [-- --check | --apt-packages]${unknown.length > 0 ? `\n  unknown: ${unknown.join(' ')}` : ''}`
        );
        process.exitCode = 2;
        return;
    }
    if (args.includes('--apt-packages')) {
        const { toolchain } = readRuntimeManifest();
        console.log(DEBIAN_PACKAGES.map((name) => `${name}=${toolchain[name] ?? ''}`).join(' '));
        return;
    }
    const check = args.includes('--check');
    const started = performance.now();
    const versions = toolchain();
    console.log(
        `building the canisters' runtime (Azle's stable template + suite_crypto) with ${Object.entries(versions)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`
    );
    const bytes = await buildTemplate();
    const azle = (JSON.parse(readFileSync(join(AZLE_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
    const manifest: RuntimeManifest = { sha256: sha256Hex(bytes), bytes: bytes.byteLength, azle, toolchain: versions };
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    if (!check) {
        writeFileSync(RUNTIME_TEMPLATE, bytes);
        writeFileSync(RUNTIME_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
        console.log(
            `wrote ${RUNTIME_TEMPLATE}: ${bytes.byteLength.toLocaleString('en-US')} bytes, sha256 ${manifest.sha256} (${seconds} s)`
        );
        return;
    }
    const committed = readRuntimeManifest();
    const same = sha256Hex(readFileSync(RUNTIME_TEMPLATE)) === manifest.sha256 && committed.sha256 === manifest.sha256;
    const toolchainDiffers = JSON.stringify(committed.toolchain) !== JSON.stringify(manifest.toolchain);
    console.log(`  rebuilt:   sha256 ${manifest.sha256} (${bytes.byteLength.toLocaleString('en-US')} bytes, ${seconds} s)`);
    console.log(`  committed: sha256 ${committed.sha256} (${committed.bytes.toLocaleString('en-US')} bytes)`);
    if (same) {
        console.log('the committed runtime is what the committed sources build');
        return;
    }
    console.error(
        toolchainDiffers
            ? `the rebuilt runtime differs, and so does the toolchain: committed ${JSON.stringify(committed.toolchain)}, here ${JSON.stringify(manifest.toolchain)}`
            : 'the rebuilt runtime differs from the committed one: run `npm run build:runtime` and commit azle-runtime/stable.wasm{,.json}'
    );
    process.exitCode = 1;
}

main().catch((error: unknown) => {
    console.error(error instanceof RuntimeBuildError ? error.message : error);
    process.exitCode = 1;
});
