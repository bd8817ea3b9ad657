/**
 * `npm run deploy -- --network local`, through @dfinity/agent and the management canister over the local
 * network's HTTP interface: every canister of dfx.json is created and installed with its init arguments (the
 * checked module, gzipped, its `candid:service` readable by agents), the suite is wired as `npm start` wires
 * it (the wallet controls, funds and meters the canisters deploy.config.ts's `wiring` names, with its
 * strategies and policies), a second run leaves unchanged modules alone, a dry run says what would change and
 * changes nothing, and every canister running another module is upgraded with its state, its config's upgrade
 * argument and the controllers a user added.
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
import config, { type CanisterDeploy, type Sponsorship, type SuiteWiring, wiring } from '../deploy.config';
import { loadService } from '../scripts/generate';
import type { AnySchema } from '../src/candid';
import { ledgerIndexService } from '../src/canisters/ledger_index/service';
import { registryService } from '../src/canisters/registry/service';
import type { AddManufacturerArgs } from '../src/canisters/registry/types';
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

it('deploys the suite wired and checked, leaves unchanged modules alone, upgrades changed ones with their state and controllers', async () => {
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

    // state in each canister, and a controller a user added to the registry
    const counter = ic.createActor(counterService.idlFactory as never, id('counter')) as unknown as {
        increment(a: { by: bigint; memo: [] }): Promise<{ Ok: bigint } | { Err: unknown }>;
        get(): Promise<bigint>;
    };
    expect(await counter.increment({ by: 7n, memo: [] })).toEqual({ Ok: 7n });
    const registry = ic.createActor(registryService.idlFactory as never, id('registry')) as unknown as {
        add_manufacturer(a: AddManufacturerArgs): Promise<{ Ok: Principal } | { Err: unknown }>;
        list_manufacturers(): Promise<{ name: string }[]>;
        setIdentity(i: typeof deployer): void;
    };
    registry.setIdentity(deployer);
    const maker = seededIdentity(0xd2);
    const issuing_key = { curve: { Ed25519: null }, public_key: Uint8Array.from(maker.getPublicKey().rawKey as Uint8Array) };
    expect(await registry.add_manufacturer({ name: 'kept across upgrades', issuing_key, quota: 5n })).toHaveProperty('Ok');
    const sender = deployer.getPrincipal();
    const operator = seededIdentity(0xd3).getPrincipal();
    await ic.updateCanisterSettings({
        canisterId: id('registry'),
        controllers: [...(await ic.getControllers(id('registry'))), operator],
        sender
    });

    // every canister runs another module (the build without metadata, as an older release would be), installed
    // with the config's upgrade argument, which each one's post_upgrade decodes with its init types
    const built = (name: string) => readCanisters().find((c) => c.name === name)?.wasmPath as string;
    const ctx = { deployer: sender, canister: id };
    for (const canister of readCanisters()) {
        const entry = config[canister.name as keyof typeof config] as CanisterDeploy<readonly AnySchema[]>;
        const arg = loadService(canister).encodeInit(IDL, entry.upgrade?.(ctx) as never);
        await ic.upgradeCanister({ canisterId: id(canister.name), wasm: built(canister.name), arg, sender });
    }

    // a dry run says what would change and changes nothing
    const dry: string[] = [];
    await deploySuite({ network: 'local', identity: deployer, root, dryRun: true }, (line) => dry.push(line));
    expect(dry.filter((l) => / would be upgraded \(module [0-9a-f]{16}…, replacing [0-9a-f]{16}…\)$/.test(l))).toHaveLength(5);
    expect(dry.some((l) => l.includes('the wallet would control, fund and meter'))).toBe(true);

    const upgrade: string[] = [];
    await deploySuite({ network: 'local', identity: deployer, root }, (line) => upgrade.push(line));
    const outcome = (name: string) => upgrade.find((l) => l.includes(` ${id(name).toText()}: `))?.split(': ')[1];
    expect(readCanisters().map((c) => [c.name, outcome(c.name)])).toEqual(readCanisters().map((c) => [c.name, 'upgraded']));
    // state kept in each
    expect(await counter.get()).toBe(7n);
    expect(await token.icrc1_balance_of({ owner: deployer.getPrincipal(), subaccount: [] })).toBe(1_000_000_000_000n);
    expect((await registry.list_manufacturers()).map((m) => m.name)).toEqual(['kept across upgrades']);
    expect((await wallet.list_sponsored()).map((s) => s.name[0]).sort()).toEqual(sponsoredNames);
    const index = ic.createActor(ledgerIndexService.idlFactory as never, id('ledger_index')) as unknown as {
        ledger_id(): Promise<Principal>;
    };
    expect((await index.ledger_id()).toText()).toBe(id('token').toText());
    // the wiring added its controllers and kept the one the user added
    expect((await ic.getControllers(id('registry'))).map((p) => p.toText()).sort()).toEqual(
        [sender, id('wallet'), operator].map((p) => p.toText()).sort()
    );
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
