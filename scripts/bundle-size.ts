/**
 * `npm run size`: what the schema layer adds to a canister's JavaScript bundle, with `zod/mini` (what the
 * layer uses) and with classic `zod` (the same code with `zod/mini` aliased to `zod`). Bundled with the
 * options Azle 0.33 uses (ESM, es2024, tree-shaken, unminified), and attributed to its sources by esbuild's
 * metafile. Every install and upgrade parses the whole bundle, so its size is paid in instructions each time.
 */
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

import { build } from 'esbuild';

import { AZLE_BUNDLE_OPTIONS } from './lib/build';
import { ROOT } from './lib/canisters';

export type BundleFigures = { flavour: string; totalBytes: number; gzipBytes: number; zodBytes: number; layerBytes: number };

async function measure(entry: string, flavour: 'zod/mini' | 'zod'): Promise<BundleFigures> {
    const result = await build({
        entryPoints: [join(ROOT, entry)],
        absWorkingDir: ROOT,
        ...AZLE_BUNDLE_OPTIONS,
        metafile: true,
        alias: flavour === 'zod' ? { 'zod/mini': 'zod' } : {}
    });
    const output = result.metafile === undefined ? undefined : Object.values(result.metafile.outputs)[0];
    const file = result.outputFiles?.[0];
    if (output === undefined || file === undefined) throw new Error('esbuild produced no output');
    let zodBytes = 0;
    let layerBytes = 0;
    for (const [path, input] of Object.entries(output.inputs)) {
        if (path.includes('node_modules/zod/')) zodBytes += input.bytesInOutput;
        if (path.startsWith('src/candid/')) layerBytes += input.bytesInOutput;
    }
    return { flavour, totalBytes: file.contents.byteLength, gzipBytes: gzipSync(file.contents).byteLength, zodBytes, layerBytes };
}

export async function bundleFigures(entry = 'examples/counter/index.ts'): Promise<BundleFigures[]> {
    return [await measure(entry, 'zod/mini'), await measure(entry, 'zod')];
}

export function bundleTable(figures: readonly BundleFigures[]): string {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const rows = figures.map(
        (f) =>
            `| ${f.flavour} | ${kb(f.zodBytes)} | ${kb(f.layerBytes)} | ${kb(f.zodBytes + f.layerBytes)} | ${kb(f.totalBytes)} | ${kb(f.gzipBytes)} |`
    );
    return [
        '| Zod flavour | zod in bundle | schema layer (src/candid) | layer + zod | whole bundle | whole bundle, gzip |',
        '|---|---|---|---|---|---|',
        ...rows
    ].join('\n');
}

if (require.main === module) {
    bundleFigures()
        .then((figures) => console.log(`examples/counter bundle:\n\n${bundleTable(figures)}`))
        .catch((error: unknown) => {
            console.error(error);
            process.exitCode = 1;
        });
}
