/**
 * `npm run new -- <name>` in a scratch copy of the project: the canister it scaffolds typechecks as canister
 * code, builds, passes its own test on the local IC, and `npm run deploy`'s deployment installs it with the
 * suite, where it answers calls; a bad name is a usage error that changes nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { ROOT } from '../scripts/lib/canisters';

const NAME = 'notes_demo';
let scratch: string;

/** Runs a command in the scratch copy; its output, or the failure with it. */
function run(command: string, args: string[]): string {
    const result = spawnSync(command, args, { cwd: scratch, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    const output = `${result.stdout}${result.stderr}`;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${output}`);
    return output;
}

beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'scaffold-'));
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    for (const file of files) {
        if (file === '' || !existsSync(join(ROOT, file))) continue;
        mkdirSync(join(scratch, dirname(file)), { recursive: true });
        cpSync(join(ROOT, file), join(scratch, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
    // the suite's canisters built here already (same sources): the build cache skips them in the copy
    if (existsSync(join(ROOT, '.azle'))) cpSync(join(ROOT, '.azle'), join(scratch, '.azle'), { recursive: true });
});

afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
});

it('refuses a name that is not snake_case, with its usage, and writes nothing', () => {
    const before = readFileSync(join(scratch, 'dfx.json'), 'utf8');
    const result = spawnSync('npx', ['tsx', 'scripts/new.ts', 'Bad-Name'], { cwd: scratch, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"Bad-Name" is not a snake_case canister name');
    expect(result.stderr).toContain('usage: npm run new -- <name>');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(join(scratch, 'dfx.json'), 'utf8')).toBe(before);
});

/** Deploys the scratch copy's suite to a local IC as `npm run deploy -- --network local` does, and calls the new canister. */
const DEPLOY_CHECK = `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploySuite } from './scripts/deploy';
import { seededIdentity } from './scripts/lib/identities';
import { LocalNetwork, writeNetworkFile } from './src/network';
import { LocalIc } from './src/replica';
import { __CAMEL__Service } from './src/canisters/__NAME__/service';

(async () => {
    const ic = await LocalIc.create();
    const network = await LocalNetwork.start(ic, { port: 0, live: true });
    const root = mkdtempSync(join(tmpdir(), 'deploy-'));
    await writeNetworkFile(root, network, {});
    const deployer = seededIdentity(0xd2);
    const lines: string[] = [];
    const ids = await deploySuite({ network: 'local', identity: deployer, root }, (line) => lines.push(line));
    const id = ids.get('__NAME__');
    if (id === undefined) throw new Error('not deployed: ' + lines.join('; '));
    const actor = ic.createActor(__CAMEL__Service.idlFactory as never, id) as unknown as {
        setIdentity(i: unknown): void;
        submit(arg: { metric: string; value: bigint }): Promise<unknown>;
    };
    actor.setIdentity(seededIdentity(0xd3));
    const submitted = await actor.submit({ metric: 'temperature', value: 215n });
    console.log(JSON.stringify({ lines: lines.filter((l) => l.includes('__NAME__')), submitted }, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    await network.stop();
    await ic.tearDown();
})().catch((e) => { console.error(e); process.exit(1); });
`;

it('scaffolds a canister that typechecks, builds, passes its test and deploys with the suite', () => {
    const output = run('npx', ['tsx', 'scripts/new.ts', NAME]);
    expect(output).toContain(`created the canister "${NAME}"`);
    for (const file of ['service.ts', 'state.ts', 'readings.ts', 'index.ts', `${NAME}.test.ts`, `${NAME}.did`]) {
        expect(existsSync(join(scratch, 'src', 'canisters', NAME, file))).toBe(true);
    }
    const dfx = JSON.parse(readFileSync(join(scratch, 'dfx.json'), 'utf8')) as { canisters: Record<string, { main: string }> };
    expect(dfx.canisters[NAME]?.main).toBe(`src/canisters/${NAME}/index.ts`);
    // canister code and tools typecheck, the .did matches the service, the files are formatted
    run('npm', ['run', 'typecheck']);
    run('npx', ['tsx', 'scripts/generate.ts', '--check']);
    run('npx', ['prettier', '--check', `src/canisters/${NAME}`, 'deploy.config.ts', 'dfx.json']);
    // its own test, which builds its wasm and runs it on the local IC
    expect(run('npx', ['jest', `src/canisters/${NAME}`])).toMatch(/Tests:\s+4 passed/);
    // and the deployment installs it beside the suite, where it answers
    writeFileSync(
        join(scratch, 'deploy-check.ts'),
        DEPLOY_CHECK.replaceAll('__NAME__', NAME).replaceAll('__CAMEL__', 'notesDemo')
    );
    const result = JSON.parse(run('npx', ['tsx', 'deploy-check.ts']).trim().split('\n').pop() as string) as {
        lines: string[];
        submitted: unknown;
    };
    expect(result.lines.join('\n')).toMatch(/installed/);
    expect(result.submitted).toEqual({ Ok: '1' });
    // a second `new` of the same name is refused
    const again = spawnSync('npx', ['tsx', 'scripts/new.ts', NAME], { cwd: scratch, encoding: 'utf8' });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`dfx.json already has a canister "${NAME}"`);
}, 900_000);
