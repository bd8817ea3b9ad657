/**
 * `npm run build`: every canister of dfx.json builds offline; the `.did` Azle emits from the decorators is the
 * same service as the one generated from the service description; an unchanged canister is not rebuilt; a
 * failed build names the canister and the file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type IDL } from '@dfinity/candid';

import { buildCanister, CanisterBuildError } from '../scripts/lib/build';
import { readCanisters, ROOT } from '../scripts/lib/canisters';
import { loadService } from '../scripts/generate';
import { parseDid, sameType, serviceDifference, stopDidParser } from './support/candid-types';

afterAll(stopDidParser);

describe.each(readCanisters().map((c) => [c.name, c] as const))('canister %s', (_, canister) => {
    beforeAll(async () => {
        await buildCanister(canister);
    }, 300_000);

    it('has a wasm module', () => {
        const wasm = readFileSync(canister.wasmPath);
        expect(WebAssembly.validate(wasm)).toBe(true);
    });

    it('emits, from its decorators, the same Candid service as its service description', async () => {
        const emitted = await parseDid(readFileSync(canister.builtDidPath, 'utf8'));
        const generated = await parseDid(readFileSync(canister.generatedDidPath, 'utf8'));
        expect(serviceDifference(emitted.service, generated.service)).toBeUndefined();
        expect(emitted.init).toHaveLength(generated.init.length);
        emitted.init.forEach((t, i) => expect(sameType(t, generated.init[i] as IDL.Type)).toBe(true));
    });

    it('has a committed .did equal to what npm run generate writes', () => {
        const service = loadService(canister);
        expect(readFileSync(canister.generatedDidPath, 'utf8')).toBe(service.did());
    });

    it('is not rebuilt when nothing it depends on changed', async () => {
        const outcome = await buildCanister(canister);
        expect(outcome.status).toBe('cached');
    });
});

describe('a failed build', () => {
    /** A throwaway project inside this one (so `azle` and `src/candid` resolve), with one canister. */
    function projectWith(source: string): { root: string; cleanup: () => void } {
        mkdirSync(join(ROOT, '.azle'), { recursive: true });
        const root = mkdtempSync(join(ROOT, '.azle', 'project-'));
        mkdirSync(join(root, 'broken'));
        writeFileSync(join(root, 'broken', 'index.ts'), source);
        writeFileSync(
            join(root, 'dfx.json'),
            JSON.stringify({ canisters: { broken: { type: 'azle', main: 'broken/index.ts' } } })
        );
        return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    }

    it('names the canister, the file and the line of a syntax error', async () => {
        const { root, cleanup } = projectWith('export default class {\n    hello( {\n}\n');
        try {
            const [canister] = readCanisters(root);
            const failure = buildCanister(canister as never);
            await expect(failure).rejects.toThrow(CanisterBuildError);
            await expect(failure).rejects.toThrow(
                /canister "broken" \(broken\/index\.ts\) does not compile:\n {2}broken\/index\.ts:\d+:\d+: /
            );
        } finally {
            cleanup();
        }
    });

    it("names the canister when Azle refuses it: here a decorator names a method the class doesn't have", async () => {
        const { root, cleanup } = projectWith(`
import * as azle from 'azle';
import { c, defineService, implement, query } from '../../../src/candid';
const api = implement(defineService({ methods: { get: query([], c.nat()) } }), azle);
export default class {
    @api.query('get')
    fetch(): bigint { return 0n; }
}
`);
        try {
            const [canister] = readCanisters(root);
            const failure = buildCanister(canister as never);
            await expect(failure).rejects.toThrow(/canister "broken" \(broken\/index\.ts\): azle build failed:/);
            await expect(failure).rejects.toThrow(`@query('get') decorates a method named "fetch": the names must match`);
        } finally {
            cleanup();
        }
    }, 120_000);
});
