/**
 * `npm run typecheck`: type-checks the project with tsconfig.json and reports every diagnostic in the
 * project's own files. Azle publishes TypeScript source rather than declarations, so `tsc` also checks
 * `node_modules/azle/src/**` under this project's stricter flags (noImplicitOverride,
 * noUncheckedIndexedAccess, isolatedModules) and finds issues there that are Azle's to fix; those are counted
 * and not reported. `skipLibCheck` would do the same if Azle shipped `.d.ts` files.
 */
import { relative } from 'node:path';

import ts from 'typescript';

import { ROOT } from './lib/canisters';

const configPath = ts.findConfigFile(ROOT, ts.sys.fileExists, 'tsconfig.json');
if (configPath === undefined) throw new Error('no tsconfig.json');
const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => console.error(d.messageText) });
if (config === undefined) throw new Error('tsconfig.json could not be read');

const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const all = ts.getPreEmitDiagnostics(program);
const isDependency = (d: ts.Diagnostic) => d.file !== undefined && d.file.fileName.includes('/node_modules/');
const ours = all.filter((d) => !isDependency(d));
const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
if (ours.length > 0) console.error(ts.formatDiagnosticsWithColorAndContext(ours, host));
const skipped = all.length - ours.length;
console.log(
    `typecheck: ${ours.length} error(s) in ${config.fileNames.length} project files` +
        (skipped > 0 ? `; ${skipped} in dependencies' TypeScript sources not reported (${relative(ROOT, 'node_modules/azle')})` : '')
);
if (ours.length > 0) process.exitCode = 1;
