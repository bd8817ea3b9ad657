/**
 * The suite's demo, run by `npm start` once the canisters are deployed and wired: two manufacturers register
 * 1,000 devices with real keys on all three curves, 50 owners claim them, and three epochs of heartbeats run,
 * most sent by the devices as themselves and a tenth relayed by a gateway, with flaky devices, one device whose
 * old signed heartbeats are replayed and one that spams. The epochs close, owners claim their rewards, and a
 * summary says what was accepted and refused (and why), what was paid and what each canister and method cost.
 */
import type { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';
import { sha256 } from '@noble/hashes/sha2';

import { wiring } from '../../deploy.config';
import { registryService } from '../../src/canisters/registry/service';
import { tokenService } from '../../src/canisters/token/service';
import { walletService } from '../../src/canisters/wallet/service';
import type { LocalIc } from '../../src/replica';
import type { ActorOf } from '../../src/candid';
import { DeviceSigner } from '../../src/canisters/registry/device-signer';
import type { DeviceKey, HeartbeatResult, RelayedHeartbeat } from '../../src/canisters/registry/types';
import { callCycles } from '../../src/canisters/wallet/wallet';
import { DEMO_DEVICES, DEMO_OWNERS, demoDeviceCurve, demoDeviceName, demoOwner } from './demo-fleet';
import { seededIdentity } from './identities';
import { formatCycles, formatTokens, tokenUnitsOf } from './cli';
import { progress } from './progress';

type Settable = { setIdentity(identity: Ed25519KeyIdentity): void; setPrincipal(principal: Principal): void };
export type RegistryActor = ActorOf<typeof registryService.methods> & Settable;
export type TokenActor = ActorOf<typeof tokenService.methods> & Settable;
export type WalletActor = ActorOf<typeof walletService.methods> & Settable;

const DEVICES = DEMO_DEVICES;
const OWNERS = DEMO_OWNERS;
const EPOCHS = 3;
const INTERVALS_PER_EPOCH = 6;
const INTERVAL_MS = 600_000;
const SPAM_PER_INTERVAL = 10;
const NS_PER_MS = 1_000_000n;
const REPORT_INTERVAL_MS = Number(wiring.reportIntervalSeconds) * 1_000;
const INSPECT_REFUSED = 'refused in inspect_message: over the sponsorship quota';

/** The role each of the demo's devices plays. */
const isRelayed = (i: number) => i % 10 === 9;
const isFlaky = (i: number) => i % 10 === 3;
const SPAMMER = 5;
const REPLAYED = 19; // relayed: its old signed heartbeats are submitted again

/** A deterministic coin (xorshift), so every run of the demo tells the same story. */
function coin(seed: number): () => boolean {
    let x = seed || 1;
    return () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) % 100 < 40;
    };
}

type Ids = { registry: Principal; token: Principal; wallet: Principal };

export async function runDemo(ic: LocalIc, deployer: Ed25519KeyIdentity, ids: Ids): Promise<string[]> {
    const registry = ic.createActor(registryService.idlFactory as never, ids.registry) as unknown as RegistryActor;
    const token = ic.createActor(tokenService.idlFactory as never, ids.token) as unknown as TokenActor;
    const wallet = ic.createActor(walletService.idlFactory as never, ids.wallet) as unknown as WalletActor;
    wallet.setIdentity(deployer);
    registry.setIdentity(deployer);
    const nowNs = async () => BigInt(await ic.getTime()) * NS_PER_MS;
    /** Calls and instructions per registry method, counted by the local IC around each call. */
    const perMethod = new Map<string, { calls: bigint; instructions: bigint }>();
    const tracked = async <R>(method: string, call: () => Promise<R>): Promise<R> => {
        const before = ic.totalInstructions(ids.registry);
        try {
            return await call();
        } finally {
            const row = perMethod.get(method) ?? { calls: 0n, instructions: 0n };
            perMethod.set(method, {
                calls: row.calls + 1n,
                instructions: row.instructions + ic.totalInstructions(ids.registry) - before
            });
        }
    };
    const funded = async (canister: Principal) =>
        (await wallet.list_sponsored()).find((s) => s.canister.compareTo(canister) === 'eq')?.funded_total ?? 0n;
    /** A canister's balance plus all the wallet ever sent it: its fall between two readings is what it spent. */
    const cyclesOf = async (canister: Principal) => BigInt(await ic.getCyclesBalance(canister)) + (await funded(canister));
    const cyclesBefore = { registry: await cyclesOf(ids.registry), token: await cyclesOf(ids.token) };
    const supplyBefore = await token.icrc1_total_supply();
    const units = tokenUnitsOf(await token.icrc1_metadata());

    // manufacturers, with the issuing keys they sign their calls with, and a gateway
    const makers = [seededIdentity(0x31), seededIdentity(0x32)];
    for (const [i, maker] of makers.entries()) {
        const issuing_key: DeviceKey = {
            curve: { Ed25519: null },
            public_key: Uint8Array.from(maker.getPublicKey().rawKey as Uint8Array)
        };
        await registry.add_manufacturer({
            name: ['Acme Sensors', 'Borealis Meters'][i] as string,
            issuing_key,
            quota: BigInt(DEVICES)
        });
    }
    const gateway = seededIdentity(0x33);
    await registry.set_gateway({ gateway: gateway.getPrincipal(), allowed: true });

    // 1,000 devices with real keys, registered in batches of 100 with their proofs of possession
    const devices = Array.from(
        { length: DEVICES },
        (_, i) => new DeviceSigner(demoDeviceCurve(i), sha256(new TextEncoder().encode(demoDeviceName(i))), ids.registry)
    );
    const registering = progress('registering devices', DEVICES);
    let registered = 0;
    for (let start = 0; start < DEVICES; start += 100) {
        const maker = makers[start < DEVICES / 2 ? 0 : 1] as Ed25519KeyIdentity;
        const expires = (await nowNs()) + 86_400n * 1_000_000_000n;
        registry.setIdentity(maker);
        const batch = devices.slice(start, start + 100).map((d) => d.registration(maker.getPrincipal(), expires));
        const result = await tracked('register_devices', () => registry.register_devices(batch));
        if (!('Ok' in result)) throw new Error(`registration refused: ${JSON.stringify(result.Err)}`);
        registered += result.Ok.filter((r) => 'Ok' in r).length;
        registering.advance(100);
    }
    registering.done(`${registered} devices registered by ${makers.length} manufacturers`);

    // 50 owners claim 20 devices each, with claims the devices signed for them
    const owners = Array.from({ length: OWNERS }, (_, j) => demoOwner(j));
    const ownerOf = (i: number) => owners[Math.floor(i / (DEVICES / OWNERS))] as Ed25519KeyIdentity;
    const claiming = progress('owners claiming devices', DEVICES);
    for (const [i, device] of devices.entries()) {
        const owner = ownerOf(i);
        registry.setIdentity(owner);
        const claim = device.claim(owner.getPrincipal(), (await nowNs()) + 3_600n * 1_000_000_000n);
        const result = await tracked('claim_device', () => registry.claim_device(claim));
        if (!('Ok' in result)) throw new Error(`claim refused: ${JSON.stringify(result.Err)}`);
        claiming.advance();
    }
    claiming.done(`${DEVICES} devices claimed by ${OWNERS} owners`);

    // start at an epoch boundary, then run the epochs
    const { genesis } = await registry.get_config();
    const sinceGenesisMs = Number(((await nowNs()) - genesis) / NS_PER_MS);
    await ic.advanceTime(INTERVALS_PER_EPOCH * INTERVAL_MS - (sinceGenesisMs % (INTERVALS_PER_EPOCH * INTERVAL_MS)));
    await ic.tick(3);

    const outcomes = new Map<string, number>();
    const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    const countResult = (result: HeartbeatResult) =>
        count('Ok' in result ? 'accepted' : `refused: ${Object.keys(result.Err)[0] as string}`);
    const flaky = coin(7);
    const intervals = EPOCHS * INTERVALS_PER_EPOCH;
    const beating = progress('heartbeats', intervals);
    let previousReplayed: RelayedHeartbeat | undefined;
    for (let interval = 0; interval < intervals; interval++) {
        // a gateway may hold a device's heartbeats for up to an hour; these may wait half of that
        const expires = (await nowNs()) + 1_800n * 1_000_000_000n;
        const relayed: RelayedHeartbeat[] = [];
        for (const [i, device] of devices.entries()) {
            if (isFlaky(i) && !flaky()) continue;
            if (isRelayed(i)) {
                relayed.push(device.heartbeat(expires));
                continue;
            }
            const sends = i === SPAMMER ? SPAM_PER_INTERVAL : 1;
            for (let k = 0; k < sends; k++) {
                registry.setPrincipal(device.id);
                try {
                    countResult(await tracked('heartbeat', () => registry.heartbeat({ location: [] })));
                } catch {
                    count(INSPECT_REFUSED);
                }
            }
        }
        // the replayed device's last signed heartbeat is submitted again, beside its new one
        if (previousReplayed !== undefined) relayed.push(previousReplayed);
        previousReplayed = relayed.find((h) => h.device.compareTo(devices[REPLAYED]?.id as Principal) === 'eq');
        registry.setIdentity(gateway);
        for (let start = 0; start < relayed.length; start += 100) {
            const batch = await tracked('relay_heartbeats', () => registry.relay_heartbeats(relayed.slice(start, start + 100)));
            if (!('Ok' in batch)) throw new Error(`relay refused: ${JSON.stringify(batch.Err)}`);
            batch.Ok.forEach(countResult);
        }
        await ic.advanceTime(INTERVAL_MS);
        await ic.tick(3); // timers: epoch closing, usage reports, funding rounds
        beating.advance();
    }
    const accepted = outcomes.get('accepted') ?? 0;
    beating.done(`${accepted.toLocaleString('en-US')} heartbeats counted over ${EPOCHS} epochs`);

    // owners claim what their devices earned
    await ic.tick(5);
    let paid = 0n;
    let payouts = 0;
    for (const [j, owner] of owners.entries()) {
        registry.setIdentity(owner);
        const mine = devices.slice(j * (DEVICES / OWNERS), (j + 1) * (DEVICES / OWNERS)).map((d) => d.id);
        const result = await tracked('claim_rewards', () => registry.claim_rewards({ devices: mine }));
        if ('Ok' in result) {
            paid += result.Ok.amount;
            payouts++;
        }
    }
    const again = await tracked('claim_rewards', () =>
        registry.claim_rewards({ devices: devices.slice(DEVICES - DEVICES / OWNERS).map((d) => d.id) })
    );
    const minted = (await token.icrc1_total_supply()) - supplyBefore;

    // the registry's last usage report reaches the wallet at its next interval
    await ic.advanceTime(REPORT_INTERVAL_MS);
    await ic.tick(3);
    const walletView = new Map(
        ((await wallet.list_sponsored()).find((s) => s.canister.compareTo(ids.registry) === 'eq')?.usage ?? []).map((u) => [
            u.method,
            u
        ])
    );
    const refusedInInspect = BigInt(outcomes.get(INSPECT_REFUSED) ?? 0);

    registry.setIdentity(deployer);
    const stats = await registry.get_stats();
    const epochLines: string[] = [];
    for (let e = stats.next_epoch_to_close - BigInt(EPOCHS); e < stats.next_epoch_to_close; e++) {
        const [summary] = await registry.get_epoch(e);
        if (summary === undefined) continue;
        epochLines.push(
            `  epoch ${e}: ${summary.devices_seen} devices seen, ${summary.devices_rewarded} rewarded, ${summary.heartbeats.toLocaleString('en-US')} heartbeats, ${summary.points.toLocaleString('en-US')} points at ${formatTokens(summary.reward_per_point, units)} each${summary.capped ? ' (capped)' : ''}`
        );
    }
    const lines = [
        `devices: ${stats.devices} registered (${stats.active} active), ${devices.filter((_, i) => demoDeviceCurve(i) === 'Ed25519').length} Ed25519, ${devices.filter((_, i) => demoDeviceCurve(i) === 'Secp256k1').length} secp256k1, ${devices.filter((_, i) => demoDeviceCurve(i) === 'P256').length} P-256; ${devices.filter((_, i) => isRelayed(i)).length} relayed by a gateway, ${devices.filter((_, i) => isFlaky(i)).length} flaky`,
        `heartbeats: ${[...outcomes]
            .sort((a, b) => b[1] - a[1])
            .map(([what, n]) => `${n.toLocaleString('en-US')} ${what}`)
            .join('; ')}`,
        ...epochLines,
        `rewards: ${formatTokens(paid, units)} paid to ${payouts} owners; ${formatTokens(minted, units)} minted by the token (equal: ${paid === minted}); a second claim: ${'Err' in again ? Object.keys(again.Err)[0] : 'paid again!'}`,
        `cycles spent during the demo: registry ${formatCycles(cyclesBefore.registry - (await cyclesOf(ids.registry)))}, token ${formatCycles(cyclesBefore.token - (await cyclesOf(ids.token)))} (wallet top-ups counted)`,
        'registry cost per method (instructions counted by the local IC; cycles at the 13-node prices, ingress included):',
        ...[...perMethod].map(
            ([method, u]) =>
                `  ${method.padEnd(17)} ${u.calls.toLocaleString('en-US').padStart(7)} calls, ${(Number(u.instructions) / Number(u.calls) / 1e6).toFixed(2).padStart(9)}M instructions per call, ${formatCycles(callCycles(u.calls, u.instructions))}`
        ),
        "the wallet's view, from the registry's usage reports (calls that reached the method; inspect_message refusals never do):",
        ...[...perMethod].map(([method, u]) => {
            const reported = walletView.get(method);
            const reached = u.calls - (method === 'heartbeat' ? refusedInInspect : 0n);
            const seen = (reported?.calls ?? 0n) + (reported?.refused ?? 0n);
            return `  ${method.padEnd(17)} ${seen.toLocaleString('en-US').padStart(7)} calls, ${formatCycles(reported?.cycles ?? 0n)}; ${seen === reached ? 'agrees with the local IC' : `the local IC counted ${reached}`}`;
        })
    ];
    return lines;
}
