/**
 * `npm start`: builds every canister of dfx.json and prints a summary of each: its wasm and its Candid
 * interface. (The local IC, issue 3, turns this into deploying the suite and running it.)
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

import { buildCanister } from './lib/build';
import { readCanisters, ROOT } from './lib/canisters';

async function main(): Promise<void> {
    const canisters = readCanisters();
    for (const [i, canister] of canisters.entries()) {
        const outcome = await buildCanister(canister);
        const did = readFileSync(canister.generatedDidPath, 'utf8');
        const methods = did.split('\n').filter((l) => /^ {2}\S/.test(l)).length;
        console.log(
            `[${i + 1}/${canisters.length}] ${canister.name}: ${outcome.status} in ${(outcome.ms / 1000).toFixed(1)} s; ` +
                `${(outcome.wasmBytes / 1e6).toFixed(2)} MB wasm; ${methods} methods (${relative(ROOT, canister.generatedDidPath)})`
        );
    }
    console.log(`\n${canisters.length} canister(s) built into .azle/`);
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
});
