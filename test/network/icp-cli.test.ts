/**
 * icp-cli (npm `@icp-sdk/icp-cli-linux-x64`, pinned) deploys to the local network by its URL, with the project's
 * own `icp.yaml` (its build step and init arguments; only the network's address is this test's), through the
 * suite's wallet as its proxy canister (`icp deploy --proxy <wallet>`): a principal that is not the wallet's
 * custodian cannot make it pay; a custodian creates, installs, calls and upgrades the counter, paid by the
 * wallet, and the local IC shows each step as icp-cli reported it.
 *
 * The binary is optional on a developer's machine (the test is skipped, and says so, without it); CI sets
 * `REQUIRE_ICP_CLI=1`, which turns its absence into a failure.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { Principal } from '@dfinity/principal';

import { ROOT } from '../../scripts/lib/canisters';
import { LocalNetwork } from '../../src/network';
import { callCycles } from '../../src/canisters/wallet/wallet';
import { LocalIc } from '../../src/replica';
import { deployWallet, type DeployedWallet, identity, T } from '../wallet/setup';

const ICP = join(ROOT, 'node_modules', '@icp-sdk', 'icp-cli-linux-x64', 'bin', 'icp');
const available = existsSync(ICP) && process.platform === 'linux' && process.arch === 'x64';
const ENVIRONMENT = 'suite-local';

if (!available) {
    if (process.env.REQUIRE_ICP_CLI === '1') throw new Error(`REQUIRE_ICP_CLI=1 but icp-cli is not at ${ICP}`);
    console.warn(`icp-cli tests skipped: no icp-cli binary at ${ICP} (npm ci installs it on linux-x64)`);
}
const describeWithIcp = available ? describe : describe.skip;

type Run = { code: number; stdout: string; stderr: string };

let ic: LocalIc;
let network: LocalNetwork;
let w: DeployedWallet;
let workdir: string;
let project: string;

/** Runs icp-cli in the test project, with its own home (identities), as a user would from a shell. */
function icp(...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
        execFile(
            ICP,
            args,
            {
                cwd: project,
                env: { PATH: process.env.PATH, HOME: join(workdir, 'home'), DO_NOT_TRACK: '1' },
                timeout: 240_000,
                maxBuffer: 16 * 1024 * 1024
            },
            (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
        );
    });
}

/** The project's icp.yaml, its network's address replaced by this test's, its scripts named from the repository. */
function projectYaml(url: string): string {
    const yaml = readFileSync(join(ROOT, 'icp.yaml'), 'utf8');
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const adapted = yaml
        .replace(/url: http:\/\/127\.0\.0\.1:4943/, `url: ${url}`)
        .replaceAll('npx tsx scripts/', `${tsx} ${join(ROOT, 'scripts')}/`);
    if (!adapted.includes(`url: ${url}`)) throw new Error('icp.yaml no longer names the local network at 127.0.0.1:4943');
    return adapted;
}

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describeWithIcp('icp-cli against the local network, through the wallet', () => {
    const owner = identity(71);
    let deployer: Principal;

    beforeAll(async () => {
        ic = await LocalIc.create();
        w = await deployWallet(ic, owner, { cycles: 100n * T });
        network = await LocalNetwork.start(ic, { port: 0, live: true });
        workdir = mkdtempSync(join(tmpdir(), 'icp-cli-'));
        project = join(workdir, 'project');
        mkdirSync(project);
        writeFileSync(join(project, 'icp.yaml'), projectYaml(network.url));
        const created = await icp(
            'identity',
            'new',
            'deployer',
            '--storage',
            'plaintext',
            '--output-seed',
            join(workdir, 'seed')
        );
        expect(created.code).toBe(0);
        expect((await icp('identity', 'default', 'deployer')).code).toBe(0);
        deployer = Principal.fromText((await icp('identity', 'principal')).stdout.trim());
    }, 300_000);

    afterAll(async () => {
        await network?.stop();
        await ic?.tearDown();
        if (workdir !== undefined) rmSync(workdir, { recursive: true, force: true });
    });

    const deploy = () => icp('deploy', '-e', ENVIRONMENT, '--proxy', w.canisterId.toText(), '--cycles', '2t');

    it('refuses a principal that is not a custodian: nothing is created and the wallet pays nothing', async () => {
        const canisters = ic.canisterIds().length;
        const balance = await ic.getCyclesBalance(w.canisterId);
        const refused = await deploy();
        expect(refused.code).not.toBe(0);
        expect(refused.stdout + refused.stderr).toMatch(/IC0406|rejected the message/);
        expect(ic.canisterIds()).toHaveLength(canisters);
        // refused in inspect_message, before any update ran: the wallet paid only for its memory as time went by
        expect(balance - (await ic.getCyclesBalance(w.canisterId))).toBeLessThan(callCycles(1n, 0n));
    }, 300_000);

    it('a custodian deploys the counter with icp deploy --proxy: created, paid and controlled by the wallet', async () => {
        await w.wallet.authorize(deployer);
        const before = await ic.getCyclesBalance(w.canisterId);
        const run = await deploy();
        expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
        const id = /Created canister counter with ID (\S+)/.exec(run.stdout + run.stderr)?.[1];
        expect(id).toBeDefined();
        const counter = Principal.fromText(id as string);

        expect((await ic.getControllers(counter)).map((p) => p.toText())).toEqual([w.canisterId.toText()]);
        expect(before - (await ic.getCyclesBalance(w.canisterId))).toBeGreaterThanOrEqual(2n * T);
        const status = await ic.canisterStatus({ canisterId: counter, sender: w.canisterId });
        // the module icp-cli installed is the one the project's build step checked
        const artifact = gunzipSync(readFileSync(join(ROOT, '.azle', 'counter', 'counter.checked.wasm.gz')));
        expect(Buffer.from(status.moduleHash ?? []).toString('hex')).toBe(sha256Hex(artifact));
        // icp-cli's binding variables, kept by the management canister as the IC keeps them
        expect(status.settings.environment_variables).toContainEqual({ name: 'PUBLIC_CANISTER_ID:counter', value: id });

        const { events } = await w.wallet.wallet_events({ start: 0n, length: 100n });
        const methods = events.flatMap((e) => ('CanisterCalled' in e.kind ? [e.kind.CanisterCalled.method_name] : []));
        expect(methods).toEqual(
            expect.arrayContaining(['create_canister', 'update_settings', 'canister_status', 'install_code'])
        );
    }, 300_000);

    it('calls the deployed counter, and upgrades it through the wallet with its state kept', async () => {
        const call = await icp('canister', 'call', 'counter', 'increment', '(record { by = 5 : nat64 })', '-e', ENVIRONMENT);
        expect(call.stdout).toMatch(/Ok = 5 : nat/);
        const upgraded = await icp('deploy', '-e', ENVIRONMENT, '--proxy', w.canisterId.toText(), '--mode', 'upgrade', '--yes');
        expect({ code: upgraded.code, stderr: upgraded.code === 0 ? '' : upgraded.stderr }).toEqual({ code: 0, stderr: '' });
        const read = await icp('canister', 'call', 'counter', 'get', '()', '--query', '-e', ENVIRONMENT);
        expect(read.stdout.trim()).toBe('(5 : nat)');
        // without --query icp-cli makes an update call (v4): the IC runs the query method replicated
        const asUpdate = await icp('canister', 'call', 'counter', 'get', '()', '-e', ENVIRONMENT);
        expect({ code: asUpdate.code, stdout: asUpdate.stdout.trim() }).toEqual({ code: 0, stdout: '(5 : nat)' });
    }, 300_000);
});
