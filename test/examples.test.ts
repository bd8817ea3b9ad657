/**
 * The examples against a local network, as a user runs them after `npm start -- --serve`: the device
 * simulator sends heartbeats as the device itself, and the owner CLI lists its devices, claims their rewards
 * and reads its balance, each through @dfinity/agent with verification on and the root key from the
 * network's file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sha256 } from '@noble/hashes/sha2';

import { simulateDevice, type SimulatorOptions } from '../examples/device-simulator';
import { runOwnerCommand } from '../examples/owner-cli';
import { LocalNetwork, writeNetworkFile } from '../src/network';
import { LocalIc } from '../src/replica';
import { DeviceSigner } from '../src/canisters/registry/device-signer';
import { deployRegistry, EPOCHS, identity, issuingKey, REWARDS, type Suite } from './registry/setup';

const DEVICE = 'example device';
const controller = identity(81);
const maker = identity(82);
const owner = identity(83);
const HOUR_MS = 3_600_000;

let ic: LocalIc;
let network: LocalNetwork;
let suite: Suite;
let root: string;

beforeAll(async () => {
    // the epoch the device earns in is simulated before the wall clock, so the network then runs on wall time
    ic = await LocalIc.create({ time: Date.now() - 3 * HOUR_MS });
    suite = await deployRegistry(ic as never, controller);
    const nowNs = async () => BigInt(await ic.getTime()) * 1_000_000n;
    await suite.registry.add_manufacturer({ name: 'maker', issuing_key: issuingKey(maker), quota: 1n });
    const device = new DeviceSigner('Ed25519', sha256(new TextEncoder().encode(DEVICE)), suite.registryId);
    suite.registry.setIdentity(maker);
    await suite.registry.register_device(device.registration(maker.getPrincipal(), (await nowNs()) + 3_600_000_000_000n));
    suite.registry.setIdentity(owner);
    await suite.registry.claim_device(device.claim(owner.getPrincipal(), (await nowNs()) + 3_600_000_000_000n));
    // a heartbeat every interval through the next whole epoch, which then closes
    suite.registry.setPrincipal(device.id);
    const intervalMs = Number(EPOCHS.heartbeat_interval_seconds) * 1_000;
    for (let i = 0; i < (2 * (Number(EPOCHS.epoch_seconds) * 1_000)) / intervalMs; i++) {
        await suite.registry.heartbeat({ location: [] });
        await ic.advanceTime(intervalMs);
        await ic.tick(2);
    }
    network = await LocalNetwork.start(ic, { port: 0, live: true });
    root = mkdtempSync(join(tmpdir(), 'examples-'));
    await writeNetworkFile(root, network, { registry: suite.registryId, token: suite.tokenId });
});

afterAll(async () => {
    await network.stop();
    await ic.tearDown();
    rmSync(root, { recursive: true, force: true });
});

async function run(task: (print: (line: string) => void) => Promise<void>): Promise<string> {
    const lines: string[] = [];
    await task((line) => lines.push(line));
    return lines.join('\n');
}

describe('device simulator', () => {
    const options = (overrides: Partial<SimulatorOptions> = {}): SimulatorOptions => ({
        device: DEVICE,
        curve: 'Ed25519',
        beats: 1,
        everySeconds: 0,
        location: undefined,
        network: 'local',
        registry: undefined,
        root,
        ...overrides
    });

    it('sends a heartbeat as the device; a second one within the interval is refused as too soon', async () => {
        const first = await run((print) => simulateDevice(options(), print));
        expect(first).toMatch(/registered by [^\n]*Active[^\n]*\nheartbeat 1\/1: counted/);
        const [before, after] = [...first.matchAll(/(\d+) heartbeats counted/g)].map((m) => Number(m[1]));
        expect(after).toBe((before as number) + 1);
        const second = await run((print) => simulateDevice(options(), print));
        expect(second).toMatch(/heartbeat 1\/1: refused: TooSoon/);
    });

    it('a device the registry does not know gets its key printed for registration', async () => {
        const output = await run((print) => simulateDevice(options({ device: 'unknown device', curve: 'P256' }), print));
        expect(output).toMatch(/not registered/);
        expect(output).toMatch(/key \(P256, hex\): 04[0-9a-f]{128}/);
    });

    it('without a running network it says how to start one', async () => {
        const empty = mkdtempSync(join(tmpdir(), 'no-network-'));
        await expect(simulateDevice(options({ root: empty }), () => undefined)).rejects.toThrow(/npm start -- --serve/);
        rmSync(empty, { recursive: true });
    });
});

describe('owner CLI', () => {
    const command = (name: 'devices' | 'claim' | 'balance') => (print: (line: string) => void) =>
        runOwnerCommand({ command: name, identity: owner, network: 'local', root }, print);

    it('lists the owner’s devices, claims their rewards once, and shows the balance they paid', async () => {
        const devices = await run(command('devices'));
        expect(devices).toMatch(/1 device\(s\)/);
        const unclaimed = BigInt(/(\d+) unclaimed/.exec(devices)?.[1] ?? '0');
        expect(unclaimed).toBeGreaterThan(0n);
        expect(unclaimed % REWARDS.reward_per_heartbeat).toBe(0n);
        expect(await run(command('claim'))).toMatch(
            new RegExp(`claimed ${unclaimed} for 1 device\\(s\\), paid to ${owner.getPrincipal().toText()}`)
        );
        expect(await run(command('claim'))).toMatch(/nothing to claim/);
        const balance = await run(command('balance'));
        expect(balance).toMatch(/balance: [\d.]+ /);
        const account = await suite.token.icrc1_balance_of({ owner: owner.getPrincipal(), subaccount: [] });
        expect(account).toBe(unclaimed);
    });
});
