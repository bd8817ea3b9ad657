/**
 * `npm run build [-- <canister>... [--force]]`: builds the canisters dfx.json names into
 * `.azle/<name>/<name>.wasm` and `.did`, offline, skipping those whose inputs did not change.
 */
import { buildCanister, CanisterBuildError } from './lib/build';
import { selectCanisters } from './lib/canisters';
import { parseCommandLine, runTool } from './lib/cli';

const USAGE = `usage: npm run build [-- NAME... [--force]]

  NAME       a canister of dfx.json (default: every one)
  --force    build even when the inputs did not change
  -h, --help this text`;

async function main(argv: string[]): Promise<void> {
    const { values, positionals } = parseCommandLine({
        args: argv,
        allowPositionals: true,
        options: { force: { type: 'boolean', default: false } }
    });
    const force = values.force;
    const canisters = selectCanisters(positionals);
    const started = performance.now();
    let failed = 0;
    // On a terminal the "building..." line is replaced by its outcome; in a log each outcome is one line.
    const live = process.stdout.isTTY === true;
    for (const [i, canister] of canisters.entries()) {
        const prefix = `[${i + 1}/${canisters.length}] ${canister.name}:`;
        if (live) process.stdout.write(`${prefix} building...`);
        const line = (text: string) => process.stdout.write(`${live ? '\r\x1b[K' : ''}${prefix} ${text}\n`);
        try {
            const outcome = await buildCanister(canister, { force });
            const what = outcome.status === 'cached' ? 'up to date' : 'built';
            line(`${what} in ${(outcome.ms / 1000).toFixed(1)} s, ${(outcome.wasmBytes / 1e6).toFixed(2)} MB wasm`);
        } catch (error) {
            failed++;
            line('FAILED');
            console.error(error instanceof CanisterBuildError ? error.message : error);
        }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${canisters.length - failed} of ${canisters.length} canister(s) ready in ${seconds} s`);
    if (failed > 0) process.exitCode = 1;
}

runTool(USAGE, main);
