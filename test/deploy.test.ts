/**
 * `npm run deploy -- --network local`, through @dfinity/agent and the management canister over the local
 * network's HTTP interface: every canister of dfx.json is created and installed with its init arguments (the
 * checked module, gzipped, its `candid:service` readable by agents), the suite is wired as `npm start` wires
 * it (the wallet controls, funds and meters the canisters deploy.config.ts's `wiring` names, with its
 * strategies and policies), a second run leaves unchanged modules alone, and a canister running another module
 * is upgraded with its state and its upgrade argument.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CanisterStatus, HttpAgent } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { seededIdentity } from '../scripts/lib/identities';
import { readCanisters } from '../scripts/lib/canisters';
import { deploySuite } from '../scripts/deploy';
import { type Sponsorship, type SuiteWiring, wiring } from '../deploy.config';
import type { FundingStrategy } from '../src/canisters/wallet/types';
import { counterService } from '../examples/counter/service';
import { tokenService } from '../src/canisters/token/service';
import { walletService } from '../src/canisters/wallet/service';
import { LocalNetwork, writeNetworkFile } from '../src/network';
import { LocalIc } from '../src/replica';

const T = 1_000_000_000_000n;
const deployer = seededIdentity(0xd1);
let ic: LocalIc;
let network: LocalNetwork;
let root: string;

beforeAll(async () => {
    ic = await LocalIc.create();
    network = await LocalNetwork.start(ic, { port: 0, live: true });
    root = mkdtempSync(join(tmpdir(), 'deploy-'));
    await writeNetworkFile(root, network, {});
});

afterAll(async () => {
    await network.stop();
    await ic.tearDown();
    rmSync(root, { recursive: true, force: true });
});

it('deploys the suite wired and checked, leaves unchanged modules alone, upgrades changed ones with their state', async () => {
    const lines: string[] = [];
    const ids = await deploySuite({ network: 'local', identity: deployer, root }, (line) => lines.push(line));
    expect([...ids.keys()].sort()).toEqual(['counter', 'ledger_index', 'registry', 'token', 'wallet']);
    expect(lines.filter((l) => l.endsWith(': installed'))).toHaveLength(5);
    const id = (name: string) => ids.get(name) as Principal;

    const token = ic.createActor(tokenService.idlFactory as never, id('token')) as unknown as {
        icrc1_minting_account(): Promise<[] | [{ owner: Principal }]>;
        icrc1_balance_of(a: { owner: Principal; subaccount: [] }): Promise<bigint>;
        icrc106_get_index_principal(): Promise<{ Ok: Principal } | { Err: unknown }>;
    };
    expect((await token.icrc1_minting_account())[0]?.owner.toText()).toBe(id('registry').toText());
    // wallets find the token's history through the index the token names (ICRC-106)
    expect(await token.icrc106_get_index_principal()).toEqual({ Ok: id('ledger_index') });
    expect(await token.icrc1_balance_of({ owner: deployer.getPrincipal(), subaccount: [] })).toBe(1_000_000_000_000n);
    // what the wallet sponsors, how and with which policy: deploy.config.ts's wiring, not code
    const sponsoredNames = Object.keys(wiring.sponsored).sort();
    expect(sponsoredNames).toEqual(['registry', 'token']);
    for (const name of sponsoredNames) {
        const controllers = (await ic.getControllers(id(name))).map((p) => p.toText()).sort();
        expect(controllers).toEqual([deployer.getPrincipal().toText(), id('wallet').toText()].sort());
    }
    const wallet = ic.createActor(walletService.idlFactory as never, id('wallet')) as unknown as {
        list_sponsored(): Promise<
            {
                canister: Principal;
                name: [] | [string];
                strategy: FundingStrategy;
                funded_total: bigint;
                policy: [] | [{ version: bigint; window_seconds: bigint; methods: [string, unknown][] }];
            }[]
        >;
        fund_now(): Promise<{ topped_up: number | bigint }>;
        setIdentity(i: typeof deployer): void;
    };
    wallet.setIdentity(deployer);
    const sponsored = await wallet.list_sponsored();
    expect(sponsored.map((s) => [s.name[0], s.canister.toText(), s.strategy]).sort()).toEqual(
        Object.entries(wiring.sponsored)
            .map(([name, sponsorship]) => [name, id(name).toText(), sponsorship.strategy])
            .sort()
    );
    for (const s of sponsored) {
        const configured = wiring.sponsored[s.name[0] as keyof typeof wiring.sponsored];
        expect(s.policy[0]?.window_seconds).toBe(configured?.policy.window_seconds);
        expect(s.policy[0]?.methods.map(([m]) => m)).toEqual(configured?.policy.methods.map(([m]) => m));
        expect(s.policy[0]?.version ?? 0n).toBeGreaterThanOrEqual(1n);
    }

    // the installed module carries its interface, as agents and explorers read it
    const agent = await HttpAgent.create({ host: network.url, identity: deployer, shouldFetchRootKey: true });
    for (const canister of readCanisters()) {
        const status = await CanisterStatus.request({ canisterId: id(canister.name), agent, paths: ['candid'] });
        expect({ name: canister.name, candid: status.get('candid') }).toEqual({
            name: canister.name,
            candid: readFileSync(canister.generatedDidPath, 'utf8')
        });
    }

    const again: string[] = [];
    const sameIds = await deploySuite({ network: 'local', identity: deployer, root }, (line) => again.push(line));
    expect([...sameIds].map(([n, p]) => [n, p.toText()])).toEqual([...ids].map(([n, p]) => [n, p.toText()]));
    expect(again.filter((l) => l.endsWith(': unchanged'))).toHaveLength(5);

    // another module in the counter and the token (the build without metadata, as an older release would be)
    const counter = ic.createActor(counterService.idlFactory as never, id('counter')) as unknown as {
        increment(a: { by: bigint; memo: [] }): Promise<{ Ok: bigint } | { Err: unknown }>;
        get(): Promise<bigint>;
    };
    expect(await counter.increment({ by: 7n, memo: [] })).toEqual({ Ok: 7n });
    const built = (name: string) => readCanisters().find((c) => c.name === name)?.wasmPath as string;
    const sender = deployer.getPrincipal();
    const counterArg = counterService.encodeInit(IDL, [{ max_step: 1_000n }] as never);
    await ic.upgradeCanister({ canisterId: id('counter'), wasm: built('counter'), arg: counterArg, sender });
    const upgradeArg = tokenService.encodeInit(IDL, [{ Upgrade: [] }] as never);
    await ic.upgradeCanister({ canisterId: id('token'), wasm: built('token'), arg: upgradeArg, sender });

    const upgrade: string[] = [];
    await deploySuite({ network: 'local', identity: deployer, root }, (line) => upgrade.push(line));
    const outcome = (name: string) => upgrade.find((l) => l.includes(` ${id(name).toText()}: `))?.split(': ')[1];
    expect(['counter', 'token', 'wallet', 'registry'].map((name) => [name, outcome(name)])).toEqual([
        ['counter', 'upgraded'],
        ['token', 'upgraded'],
        ['wallet', 'unchanged'],
        ['registry', 'unchanged']
    ]);
    expect(await counter.get()).toBe(7n);
    expect(await token.icrc1_balance_of({ owner: deployer.getPrincipal(), subaccount: [] })).toBe(1_000_000_000_000n);
    const status = await CanisterStatus.request({ canisterId: id('token'), agent, paths: ['candid'] });
    expect(status.get('candid')).toBe(
        readFileSync(readCanisters().find((c) => c.name === 'token')?.generatedDidPath as string, 'utf8')
    );

    // a strategy in the wiring is what the wallet funds by: the registry, at 10T, below a 50T threshold
    const registryBefore = BigInt(await ic.getCyclesBalance(id('registry')));
    const topUp: FundingStrategy = { BelowThreshold: { min_cycles: 50n * T, top_up: 2n * T } };
    const stricter: SuiteWiring = {
        ...wiring,
        sponsored: { ...wiring.sponsored, registry: { ...(wiring.sponsored.registry as Sponsorship), strategy: topUp } }
    };
    await deploySuite({ network: 'local', identity: deployer, root, wiring: stricter }, () => undefined);
    const round = await wallet.fund_now();
    expect(Number(round.topped_up)).toBe(1);
    const registryEntry = (await wallet.list_sponsored()).find((s) => s.name[0] === 'registry');
    expect(registryEntry?.strategy).toEqual(topUp);
    expect(registryEntry?.funded_total).toBe(2n * T);
    expect(BigInt(await ic.getCyclesBalance(id('registry')))).toBeGreaterThan(registryBefore);
});
