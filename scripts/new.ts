/**
 * `npm run new -- <name>`: a canister of your own, laid out as the suite's canisters are, from the template
 * (`examples/template/`, a sensor-readings canister): `src/canisters/<name>/` gets its interface (`service.ts`),
 * its state layout (`state.ts`), its rules (`readings.ts`), its Azle glue (`index.ts`) and a test on the local
 * IC (`<name>.test.ts`); dfx.json and deploy.config.ts get its entries; its `.did` is generated. The canister
 * typechecks as canister code at once (tsconfig.canister.json covers `src/canisters/`). docs/template.md goes
 * on from there: build, test, deploy, fund.
 *
 * Usage: npm run new -- <name>      (a Candid identifier in snake_case, e.g. device_notes)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadService } from './generate';
import { readCanisters, ROOT } from './lib/canisters';
import { runTool, UsageError } from './lib/cli';

const USAGE = `usage: npm run new -- <name>

  <name>      the canister's name, snake_case (e.g. device_notes); see docs/template.md
  -h, --help  this text`;
const TEMPLATE_DIR = join(ROOT, 'examples', 'template');
/** The template's files and what each becomes in the new canister's folder. */
const FILES = (name: string): [from: string, to: string][] => [
    ['service.ts', 'service.ts'],
    ['state.ts', 'state.ts'],
    ['readings.ts', 'readings.ts'],
    ['index.ts', 'index.ts'],
    ['readings.test.ts', `${name}.test.ts`]
];

/** A canister name: snake_case, as dfx.json and Candid take it, and a folder name. */
const NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (name: string) => camel(name).replace(/^./, (c) => c.toUpperCase());

/**
 * A template file as it reads from `src/canisters/<name>/`: imports one folder deeper for the scripts and
 * tests, one shallower for `src/`; the service, the canister class and the test's wasm named after the canister.
 */
export function fromTemplate(text: string, name: string): string {
    return text
        .replace(/'\.\.\/\.\.\/src\//g, "'../../")
        .replace(/'\.\.\/\.\.\/(scripts|test)\//g, "'../../../$1/")
        .replace(/\breadingsService\b/g, `${camel(name)}Service`)
        .replace(/\bReadingsCanister\b/g, `${pascal(name)}Canister`)
        .replace(/wasmOf\('readings', 'template'\)/g, `wasmOf('${name}')`)
        .replace(/The template canister\b/g, `The ${name} canister (made by \`npm run new\` from examples/template)`)
        .replace(/The template(['’])s\b/g, `The ${name} canister$1s`);
}

/** Inserts `text` after the line that starts with `anchor`, or says which anchor is missing. */
function insertAfter(source: string, anchor: string, text: string, file: string): string {
    const at = source.indexOf(anchor);
    if (at < 0) throw new Error(`${file}: no line starting "${anchor}" to add the canister after`);
    const lineEnd = source.indexOf('\n', at) + 1;
    return source.slice(0, lineEnd) + text + source.slice(lineEnd);
}

/**
 * The new canister's entries in deploy.config.ts: its service in `CanisterServices` (from which `DeployConfig`
 * types its arguments), its arguments (its init takes nothing, so no upgrade argument is needed either), and
 * the import.
 */
export function withDeployEntry(source: string, name: string): string {
    const service = `${camel(name)}Service`;
    let out = insertAfter(
        source,
        "} from './src/candid';",
        `import type { ${service} } from './src/canisters/${name}/service';\n`,
        'deploy.config.ts'
    );
    out = insertAfter(out, 'type CanisterServices = {', `    ${name}: typeof ${service};\n`, 'deploy.config.ts');
    return insertAfter(
        out,
        'const config: DeployConfig = {',
        `    ${name}: { init: () => [], upgrade: () => [] },\n`,
        'deploy.config.ts'
    );
}

function scaffold(name: string): string[] {
    if (!NAME.test(name)) throw new UsageError(`"${name}" is not a snake_case canister name`);
    const dfxPath = join(ROOT, 'dfx.json');
    const dfx = JSON.parse(readFileSync(dfxPath, 'utf8')) as { canisters: Record<string, unknown> };
    const dir = join(ROOT, 'src', 'canisters', name);
    if (name in dfx.canisters) throw new UsageError(`dfx.json already has a canister "${name}"`);
    if (existsSync(dir)) throw new UsageError(`src/canisters/${name}/ already exists`);

    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const [from, to] of FILES(name)) {
        writeFileSync(join(dir, to), fromTemplate(readFileSync(join(TEMPLATE_DIR, from), 'utf8'), name));
        written.push(`src/canisters/${name}/${to}`);
    }
    dfx.canisters[name] = { type: 'azle', main: `src/canisters/${name}/index.ts`, custom: { candid_gen: 'automatic' } };
    writeFileSync(dfxPath, `${JSON.stringify(dfx, null, 2)}\n`);
    const configPath = join(ROOT, 'deploy.config.ts');
    writeFileSync(configPath, withDeployEntry(readFileSync(configPath, 'utf8'), name));
    written.push('dfx.json', 'deploy.config.ts');
    return written;
}

async function main(args: string[]): Promise<void> {
    if (args.length !== 1 || args[0]?.startsWith('-')) throw new UsageError('give one canister name');
    const name = args[0] as string;
    const written = scaffold(name);
    // the .did comes from the service description, as `npm run generate` writes every canister's
    const canister = readCanisters().find((c) => c.name === name);
    if (canister === undefined) throw new Error(`dfx.json: "${name}" was not added`);
    writeFileSync(canister.generatedDidPath, loadService(canister).did());
    console.log(
        `created the canister "${name}":\n${written.map((f) => `  ${f}`).join('\n')}\n  src/canisters/${name}/${name}.did`
    );
    console.log(`
next:
  npm run build -- ${name}                        build its wasm (offline)
  npx jest src/canisters/${name}                  its test on the local IC
  npm start                                       deploys it with the suite (deploy.config.ts has its entry)
then make it yours: service.ts (its interface), state.ts (its layout), readings.ts (its rules); docs/template.md`);
}

if (require.main === module) runTool(USAGE, main);
