/**
 * `npm start`: builds every canister of dfx.json, starts a local IC in this process, deploys each canister with
 * its init arguments from deploy.config.ts, and prints the canister ids and a summary.
 */
import { relative } from 'node:path';

import { IDL } from '@dfinity/candid';

import config from '../deploy.config';
import { LocalIc } from '../src/replica';
import { buildCanister } from './lib/build';
import { readCanisters, ROOT } from './lib/canisters';
import { loadService } from './generate';

async function main(): Promise<void> {
    const started = performance.now();
    const canisters = readCanisters();
    console.log(`Building ${canisters.length} canister(s)`);
    for (const [i, canister] of canisters.entries()) {
        const outcome = await buildCanister(canister);
        console.log(
            `  [${i + 1}/${canisters.length}] ${canister.name}: ${outcome.status} (${(outcome.wasmBytes / 1e6).toFixed(2)} MB)`
        );
    }

    console.log('Starting the local IC and deploying');
    const ic = await LocalIc.create();
    const rows: string[][] = [];
    for (const [i, canister] of canisters.entries()) {
        const service = loadService(canister);
        const entry = (config as Record<string, { init: unknown[] } | undefined>)[canister.name];
        if (entry === undefined && service.init.length > 0)
            throw new Error(`deploy.config.ts has no init arguments for ${canister.name}`);
        const deployStarted = performance.now();
        const canisterId = await ic.createCanister();
        await ic.installCode({ canisterId, wasm: canister.wasmPath, arg: service.encodeInit(IDL, (entry?.init ?? []) as never) });
        const initInstructions = ic.lastInstructions(canisterId);
        await ic.tick(2); // timers set at init (Azle seeds its randomness in one)
        const ms = performance.now() - deployStarted;
        console.log(`  [${i + 1}/${canisters.length}] ${canister.name}: ${canisterId.toText()} (${(ms / 1000).toFixed(1)} s)`);
        const status = await ic.canisterStatus({ canisterId });
        rows.push([
            canister.name,
            canisterId.toText(),
            `${Object.keys(service.methods).length}`,
            initInstructions.toLocaleString('en-US'),
            `${(Number(status.memorySize) / 1e6).toFixed(1)} MB`,
            `${(Number(status.cycles) / 1e12).toLocaleString('en-US', { maximumFractionDigits: 4 })} T`,
            relative(ROOT, canister.generatedDidPath)
        ]);
    }

    const header = ['canister', 'id', 'methods', 'init instructions', 'memory', 'cycles', 'interface'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
    const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ');
    console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    rows.forEach((r) => console.log(line(r)));
    console.log(
        `\n${rows.length} canister(s) deployed on the local IC in ${((performance.now() - started) / 1000).toFixed(1)} s`
    );
    await ic.tearDown();
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
});
