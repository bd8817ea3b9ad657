/**
 * `npm run deploy -- --network local`, through @dfinity/agent and the management canister over the local
 * network's HTTP interface: every canister of dfx.json is created and installed (gzipped) with its init
 * arguments, the suite is wired as `npm start` wires it, and a second run leaves unchanged modules alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Principal } from '@dfinity/principal';

import { seededIdentity } from '../scripts/lib/identities';
import { deploySuite } from '../scripts/deploy';
import { tokenService } from '../src/canisters/token/service';
import { walletService } from '../src/canisters/wallet/service';
import { LocalNetwork, writeNetworkFile } from '../src/network';
import { LocalIc } from '../src/replica';

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

it('deploys the suite wired together, then leaves unchanged modules alone', async () => {
    const lines: string[] = [];
    const ids = await deploySuite({ network: 'local', identity: deployer, root }, (line) => lines.push(line));
    expect([...ids.keys()].sort()).toEqual(['counter', 'registry', 'token', 'wallet']);
    expect(lines.filter((l) => l.endsWith(': installed'))).toHaveLength(4);
    const id = (name: string) => ids.get(name) as Principal;

    const token = ic.createActor(tokenService.idlFactory as never, id('token')) as unknown as {
        icrc1_minting_account(): Promise<[] | [{ owner: Principal }]>;
        icrc1_balance_of(a: { owner: Principal; subaccount: [] }): Promise<bigint>;
    };
    expect((await token.icrc1_minting_account())[0]?.owner.toText()).toBe(id('registry').toText());
    expect(await token.icrc1_balance_of({ owner: deployer.getPrincipal(), subaccount: [] })).toBe(1_000_000_000_000n);
    for (const name of ['token', 'registry']) {
        const controllers = (await ic.getControllers(id(name))).map((p) => p.toText()).sort();
        expect(controllers).toEqual([deployer.getPrincipal().toText(), id('wallet').toText()].sort());
    }
    const wallet = ic.createActor(walletService.idlFactory as never, id('wallet')) as unknown as {
        list_sponsored(): Promise<{ canister: Principal; policy: [] | [{ version: bigint }] }[]>;
        setIdentity(i: typeof deployer): void;
    };
    wallet.setIdentity(deployer);
    const sponsored = await wallet.list_sponsored();
    expect(sponsored.map((s) => s.canister.toText()).sort()).toEqual([id('token').toText(), id('registry').toText()].sort());
    expect(sponsored.every((s) => (s.policy[0]?.version ?? 0n) >= 1n)).toBe(true);

    const again: string[] = [];
    const sameIds = await deploySuite({ network: 'local', identity: deployer, root }, (line) => again.push(line));
    expect([...sameIds].map(([n, p]) => [n, p.toText()])).toEqual([...ids].map(([n, p]) => [n, p.toText()]));
    expect(again.filter((l) => l.endsWith(': unchanged'))).toHaveLength(4);
});
