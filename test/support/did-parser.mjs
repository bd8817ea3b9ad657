// A child process that parses .did text with @icp-sdk/bindgen (DFINITY's Rust Candid parser, compiled to wasm)
// and answers with the generated JavaScript declarations. It runs outside Jest because bindgen's CommonJS build
// cannot load its own wasm; its ES module build can. Protocol: one JSON request per line on stdin,
// `{ "id": n, "did": "..." }`, one JSON answer per line on stdout, `{ "id": n, "js": "..." }` or
// `{ "id": n, "error": "..." }`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { generate } from '@icp-sdk/bindgen/core';

for await (const line of createInterface({ input: process.stdin })) {
    const { id, did } = JSON.parse(line);
    const dir = mkdtempSync(join(tmpdir(), 'did-'));
    try {
        const didFile = join(dir, 'service.did');
        writeFileSync(didFile, did);
        await generate({ didFile, outDir: dir, output: { actor: { disabled: true }, force: true } });
        const js = readFileSync(join(dir, 'declarations', 'service.did.js'), 'utf8');
        process.stdout.write(`${JSON.stringify({ id, js })}\n`);
    } catch (error) {
        process.stdout.write(`${JSON.stringify({ id, error: String(error) })}\n`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
