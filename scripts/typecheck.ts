/**
 * `npm run typecheck`: type-checks the project twice, with tsconfig.json (tests, scripts, tools: Node globals)
 * and tsconfig.canister.json (canister code: no Node or browser globals), and reports every diagnostic in the
 * project's own files. Azle publishes TypeScript source rather than declarations, so `tsc` also checks
 * `node_modules/azle/src/**` under this project's stricter flags (noImplicitOverride,
 * noUncheckedIndexedAccess, isolatedModules) and finds issues there that are Azle's to fix; those are counted
 * and not reported. `skipLibCheck` would do the same if Azle shipped `.d.ts` files.
 */
import { relative } from 'node:path';

import ts from 'typescript';

import { ROOT } from './lib/canisters';

/** Type-checks one tsconfig; returns the number of errors in the project's own files. */
function check(configName: string): number {
    const configPath = ts.findConfigFile(ROOT, ts.sys.fileExists, configName);
    if (configPath === undefined) throw new Error(`no ${configName}`);
    const config = ts.getParsedCommandLineOfConfigFile(
        configPath,
        {},
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => console.error(d.messageText) }
    );
    if (config === undefined) throw new Error(`${configName} could not be read`);
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
    const all = ts.getPreEmitDiagnostics(program);
    const ours = all.filter((d) => d.file === undefined || !d.file.fileName.includes('/node_modules/'));
    const host: ts.FormatDiagnosticsHost = {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => ROOT,
        getNewLine: () => '\n'
    };
    if (ours.length > 0) console.error(ts.formatDiagnosticsWithColorAndContext(ours, host));
    const skipped = all.length - ours.length;
    console.log(
        `${configName}: ${ours.length} error(s) in ${config.fileNames.length} files` +
            (skipped > 0
                ? `; ${skipped} in dependencies' TypeScript sources not reported (${relative(ROOT, 'node_modules/azle')})`
                : '')
    );
    return ours.length;
}

const errors = check('tsconfig.json') + check('tsconfig.canister.json');
if (errors > 0) process.exitCode = 1;
