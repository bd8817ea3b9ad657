/**
 * The examples against a local network, as a user runs them after `npm start -- --serve`: the device
 * simulator sends heartbeats as the device itself, and the owner CLI lists its devices, claims their rewards
 * and reads its balance, each through @dfinity/agent with verification on and the root key from the
 * network's file. Times print as dates, amounts in the token's symbol and decimals, and a device's curve is
 * inferred when not given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sha256 } from '@noble/hashes/sha2';

import { simulateDevice, type SimulatorOptions } from '../examples/device-simulator';
import { runOwnerCommand } from '../examples/owner-cli';
import { formatTokens } from '../scripts/lib/cli';
import { demoDeviceName } from '../scripts/lib/demo-fleet';
import { LocalNetwork, writeNetworkFile } from '../src/network';
import { LocalIc } from '../src/replica';
import { DeviceSigner } from '../src/canisters/registry/device-signer';
import type { CurveName } from '../src/ic/keys';
import { deployRegistry, EPOCHS, identity, issuingKey, REWARDS, type Suite } from './registry/setup';

const DEVICE = 'example device';
/** A demo device's name with the demo's curve for it (P-256), and a name the demo does not use, on secp256k1. */
const DEMO_P256_DEVICE = demoDeviceName(17);
const SECP256K1_DEVICE = 'sensor on secp256k1';
/** The token of the test's registry: ledgerInit's symbol, and ICRC-1's default decimals. */
const UNITS = { symbol: 'TKN', decimals: 8 };
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
    await suite.registry.add_manufacturer({ name: 'maker', issuing_key: issuingKey(maker), quota: 3n });
    const signer = (curve: CurveName, name: string) =>
        new DeviceSigner(curve, sha256(new TextEncoder().encode(name)), suite.registryId);
    const device = signer('Ed25519', DEVICE);
    suite.registry.setIdentity(maker);
    for (const registered of [device, signer('P256', DEMO_P256_DEVICE), signer('Secp256k1', SECP256K1_DEVICE)]) {
        const result = await suite.registry.register_device(
            registered.registration(maker.getPrincipal(), (await nowNs()) + 3_600_000_000_000n)
        );
        expect(result).toHaveProperty('Ok');
    }
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
        // when the next one counts, as a date and how long to wait, not as nanoseconds
        const tooSoon = /heartbeat 1\/1: refused: TooSoon: next_interval_at (\S+) \(in ([^)]+)\)/.exec(second);
        expect(tooSoon).not.toBeNull();
        const [, date, wait] = tooSoon as unknown as [string, string, string];
        expect(Date.parse(date)).toBeGreaterThan(Date.now());
        expect(Date.parse(date) - Date.now()).toBeLessThanOrEqual(Number(EPOCHS.heartbeat_interval_seconds) * 1_000);
        expect(wait).toMatch(/^(\d+ min( \d+ s)?|\d+ s)$/);
        expect(first).toMatch(/heartbeat 1\/1: counted in epoch \d+; the next counts from \d{4}-\d\d-\d\dT/);
        expect(first).toMatch(/rewards earned [\d,.]+ TKN \(claimed [\d,.]+ TKN\)/);
    });

    it('infers the curve of a demo device from its name, and of any other device from the registry', async () => {
        const demo = await run((print) => simulateDevice(options({ device: DEMO_P256_DEVICE, curve: undefined }), print));
        expect(demo).toMatch(/\(P256, inferred\)/);
        expect(demo).toMatch(/registered by /);
        const other = await run((print) => simulateDevice(options({ device: SECP256K1_DEVICE, curve: undefined }), print));
        expect(other).toMatch(/\(Secp256k1, inferred\)/);
        expect(other).toMatch(/registered by /);
        // given the wrong curve, it is another key: not registered
        const wrong = await run((print) => simulateDevice(options({ device: DEMO_P256_DEVICE, curve: 'Ed25519' }), print));
        expect(wrong).toMatch(/not registered/);
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
        const [known] = await suite.registry.get_device({
            Id: new DeviceSigner('Ed25519', sha256(new TextEncoder().encode(DEVICE)), suite.registryId).id
        });
        const unclaimed = (known?.rewards_earned ?? 0n) - (known?.rewards_claimed ?? 0n);
        expect(unclaimed).toBeGreaterThan(0n);
        expect(unclaimed % REWARDS.reward_per_heartbeat).toBe(0n);
        // in the token's symbol and decimals, read from its metadata
        expect(devices).toContain(`${formatTokens(unclaimed, UNITS)} unclaimed`);
        expect(await run(command('claim'))).toContain(
            `claimed ${formatTokens(unclaimed, UNITS)} for 1 device(s), paid to ${owner.getPrincipal().toText()}`
        );
        expect(await run(command('claim'))).toMatch(/nothing to claim/);
        const balance = await run(command('balance'));
        expect(balance).toContain(`balance: ${formatTokens(unclaimed, UNITS)}`);
        const account = await suite.token.icrc1_balance_of({ owner: owner.getPrincipal(), subaccount: [] });
        expect(account).toBe(unclaimed);
    });

    it('an owner with no devices is told so, not shown an empty list', async () => {
        const stranger = identity(84);
        const output = await run((print) =>
            runOwnerCommand({ command: 'devices', identity: stranger, network: 'local', root }, print)
        );
        expect(output).toMatch(new RegExp(`${stranger.getPrincipal().toText()} owns no devices on this registry`));
    });
});
