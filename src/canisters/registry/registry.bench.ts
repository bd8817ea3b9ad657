/**
 * What the registry's calls cost, in instructions on the local IC (every message of a call, counted by the
 * local IC): registration (single, and per device in a batch of 100, on each curve), claiming a device and its
 * rewards, a refresh of the on-chain dashboard, a heartbeat as the device's own principal, a relayed heartbeat per signature on each curve, closing
 * an epoch of 1,000 devices; registration and heartbeats again at 100,000 devices (written by the
 * `registry_seeder` fixture in the registry's own layout), stable bytes per device, and what 100,000 devices
 * beating every 10 minutes would cost a month.
 */
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { deployRegistry, EPOCHS, identity, issuingKey, newDevice, nowPlus, type Suite } from '../../../test/registry/setup';
import { LocalIc } from '../../replica';
import { CYCLE_PRICES } from '../../ic/cycle-prices';
import { DASHBOARD_REFRESH_SECONDS } from './dashboard';
import type { CurveName } from '../../ic/keys';
import type { DeviceSigner } from './device-signer';
import { registryService } from './service';

export const SCALE_DEVICES = Number(process.env.BENCH_REGISTRY_DEVICES ?? 100_000);
const SEED_CHUNK = 5_000;
const CURVES: CurveName[] = ['Ed25519', 'Secp256k1', 'P256'];

export type RegistryBench = {
    registerSingle: bigint;
    /** Per device, in a batch of 100, per curve. */
    registerBatch: Record<CurveName, bigint>;
    claimDevice: Record<CurveName, bigint>;
    claimRewards: bigint;
    /** One timer refresh of the dashboard's certified figures. */
    dashboardRefresh: bigint;
    heartbeat: bigint;
    /** Per signature, in a batch of 100, per curve. */
    relayed: Record<CurveName, bigint>;
    closePer1000: bigint;
    scale: {
        small: number;
        large: number;
        registerSmall: bigint;
        registerLarge: bigint;
        heartbeatSmall: bigint;
        heartbeatLarge: bigint;
    };
    bytesPerDevice: number;
    month: {
        heartbeats: bigint;
        cyclesHeartbeats: bigint;
        /** The same heartbeats relayed by a gateway in batches of 100, per curve (replacing `cyclesHeartbeats`). */
        cyclesRelayed: Record<CurveName, bigint>;
        cyclesClosing: bigint;
        cyclesDashboard: bigint;
        cyclesStorage: bigint;
        total: bigint;
    };
};

function median(values: bigint[]): bigint {
    const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted[Math.floor(sorted.length / 2)] as bigint;
}

async function measured(ic: LocalIc, canister: Principal, call: () => Promise<unknown>): Promise<bigint> {
    const before = ic.totalInstructions(canister);
    const result = await call();
    if (typeof result === 'object' && result !== null && 'Err' in result)
        throw new Error(
            `bench call failed: ${JSON.stringify(result, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`
        );
    return ic.totalInstructions(canister) - before;
}

/** A method's Candid argument: what an ingress message carries besides its envelope. */
function argBytes(method: string, args: unknown[]): Uint8Array {
    const service = registryService.idlFactory({ IDL } as never) as unknown as { _fields: [string, IDL.FuncClass][] };
    const func = service._fields.find(([name]) => name === method)?.[1] as IDL.FuncClass;
    return new Uint8Array(IDL.encode(func.argTypes, args));
}

/** The Candid argument of a heartbeat without a location. */
const heartbeatArg = () => argBytes('heartbeat', [{ location: [] }]);

type SeederActor = { seed_devices(manufacturer: Principal, start: number, count: number): Promise<bigint> };
const seederIdl = ({ IDL: idl }: { IDL: typeof IDL }) =>
    idl.Service({ seed_devices: idl.Func([idl.Principal, idl.Nat32, idl.Nat32], [idl.Nat64], []) });

export async function benchRegistry(
    wasms: { registry: string; seeder: string },
    rounds: number,
    progress: (text: string) => void
): Promise<RegistryBench> {
    const ic = await LocalIc.create();
    const controller = identity(91);
    const maker = identity(92);
    const gateway = identity(93);
    const owner = identity(94);
    // no uptime gate: every device that beats is credited when the epoch closes (the closing's dearest case)
    const s: Suite = await deployRegistry(ic, controller, { epochs: { ...EPOCHS, min_uptime_percent: 0 } });
    await s.registry.add_manufacturer({ name: 'Bench', issuing_key: issuingKey(maker), quota: 10_000_000n });
    await s.registry.set_gateway({ gateway: gateway.getPrincipal(), allowed: true });
    const expires = async () => nowPlus(ic, 1_800n);

    progress('the dashboard refresh');
    await ic.tick(3);
    const refreshes: bigint[] = [];
    for (let i = 0; i < rounds; i++) {
        // a minute passes: the dashboard's timer fires (the closing timer's interval is ten minutes)
        refreshes.push(
            await measured(ic, s.registryId, async () => {
                await ic.advanceTime(DASHBOARD_REFRESH_SECONDS * 1_000);
                await ic.tick(3);
            })
        );
    }

    progress('registration, single and in batches of 100');
    const registerOne = async (): Promise<bigint> => {
        const device = newDevice('Ed25519', s.registryId);
        s.registry.setIdentity(maker);
        const registration = device.registration(maker.getPrincipal(), await expires());
        return measured(ic, s.registryId, () => s.registry.register_device(registration));
    };
    const singles: bigint[] = [];
    for (let i = 0; i < rounds; i++) singles.push(await registerOne());
    const fleets = {} as Record<CurveName, DeviceSigner[]>;
    const registerBatch = {} as Record<CurveName, bigint>;
    for (const curve of CURVES) {
        fleets[curve] = Array.from({ length: 100 }, () => newDevice(curve, s.registryId));
        const batch = await Promise.all(fleets[curve].map(async (d) => d.registration(maker.getPrincipal(), await expires())));
        s.registry.setIdentity(maker);
        registerBatch[curve] = (await measured(ic, s.registryId, () => s.registry.register_devices(batch))) / 100n;
    }

    progress('claiming devices');
    const claimDevice = {} as Record<CurveName, bigint>;
    for (const curve of CURVES) {
        s.registry.setIdentity(owner);
        const claims: bigint[] = [];
        for (const device of (fleets[curve] as DeviceSigner[]).slice(0, rounds)) {
            const claim = device.claim(owner.getPrincipal(), await expires());
            claims.push(await measured(ic, s.registryId, () => s.registry.claim_device(claim)));
        }
        claimDevice[curve] = median(claims);
    }

    progress('heartbeats, own and relayed');
    const ed = fleets.Ed25519 as DeviceSigner[];
    const heartbeats = async (devices: DeviceSigner[]): Promise<bigint> => {
        const costs: bigint[] = [];
        for (const device of devices) {
            s.registry.setPrincipal(device.id);
            costs.push(await measured(ic, s.registryId, () => s.registry.heartbeat({ location: [] })));
        }
        return median(costs);
    };
    const heartbeatSmall = await heartbeats(ed.slice(0, 20));
    await ic.advanceTime(600_000);
    const relayed = {} as Record<CurveName, bigint>;
    const relayBatchBytes = {} as Record<CurveName, bigint>;
    for (const curve of CURVES) {
        const batch = await Promise.all((fleets[curve] as DeviceSigner[]).map(async (d) => d.heartbeat(await expires())));
        s.registry.setIdentity(gateway);
        relayed[curve] = (await measured(ic, s.registryId, () => s.registry.relay_heartbeats(batch))) / 100n;
        relayBatchBytes[curve] = BigInt('relay_heartbeats'.length + argBytes('relay_heartbeats', [batch]).byteLength);
    }

    progress('closing an epoch of 1,000 devices');
    const extra = Array.from({ length: 700 }, () => newDevice('Ed25519', s.registryId));
    for (let start = 0; start < extra.length; start += 100) {
        const batch = await Promise.all(
            extra.slice(start, start + 100).map(async (d) => d.registration(maker.getPrincipal(), await expires()))
        );
        s.registry.setIdentity(maker);
        await s.registry.register_devices(batch);
    }
    // a new epoch in which all 1,000 devices beat, then its close (the closing timer's messages)
    const epochMs = 3_600_000;
    const { genesis } = await s.registry.get_config();
    const since = Number((BigInt(await ic.getTime()) * 1_000_000n - genesis) / 1_000_000n);
    await ic.advanceTime(epochMs - (since % epochMs) + 1_000);
    await ic.tick(3);
    const everyone = [...extra, ...CURVES.flatMap((c) => fleets[c] as DeviceSigner[])];
    for (const device of everyone.slice(0, 1_000)) {
        s.registry.setPrincipal(device.id);
        await s.registry.heartbeat({ location: [] });
    }
    await ic.advanceTime(epochMs);
    const closePer1000 = await measured(ic, s.registryId, () => ic.tick(5));

    const claimRewards = await (async () => {
        const device = fleets.Ed25519?.[0] as DeviceSigner;
        s.registry.setIdentity(owner);
        return measured(ic, s.registryId, () => s.registry.claim_rewards({ devices: [device.id] }));
    })();

    const registerSmall = median(singles);
    const small = Number((await s.registry.get_stats()).devices);

    progress(`seeding ${SCALE_DEVICES.toLocaleString('en-US')} devices`);
    const { epochs, rewards } = await s.registry.get_config();
    const upgradeArg = registryService.encodeInit(IDL, [{ token: [s.tokenId], epochs, rewards }]);
    await ic.upgradeCanister({ canisterId: s.registryId, wasm: wasms.seeder, sender: controller.getPrincipal() });
    const seeder = ic.createActor(seederIdl as never, s.registryId) as unknown as SeederActor;
    const stableBefore = (await ic.getStableMemory(s.registryId)).length;
    for (let start = 0; start < SCALE_DEVICES - small; start += SEED_CHUNK) {
        await seeder.seed_devices(maker.getPrincipal(), start, Math.min(SEED_CHUNK, SCALE_DEVICES - small - start));
    }
    const seeded = SCALE_DEVICES - small;
    const bytesPerDevice = ((await ic.getStableMemory(s.registryId)).length - stableBefore) / seeded;
    await ic.upgradeCanister({
        canisterId: s.registryId,
        wasm: wasms.registry,
        arg: upgradeArg,
        sender: controller.getPrincipal()
    });
    await ic.tick(5);
    const large = Number((await s.registry.get_stats()).devices);

    progress(`registration and heartbeats at ${large.toLocaleString('en-US')} devices`);
    const largeSingles: bigint[] = [];
    for (let i = 0; i < rounds; i++) largeSingles.push(await registerOne());
    await ic.advanceTime(600_000);
    const heartbeatLarge = await heartbeats(ed.slice(20, 40));
    await ic.tearDown();

    // a month of 100,000 devices, one heartbeat each per 10 minutes, at the 13-node prices
    const perMonth = BigInt(SCALE_DEVICES) * 6n * 24n * 30n;
    const heartbeatArgBytes = BigInt('heartbeat'.length + heartbeatArg().byteLength);
    const perHeartbeat =
        CYCLE_PRICES.ingressMessage +
        CYCLE_PRICES.ingressByte * heartbeatArgBytes +
        CYCLE_PRICES.updateMessageBase +
        heartbeatLarge * CYCLE_PRICES.perInstruction;
    const epochsPerMonth = 24n * 30n;
    const cyclesClosing =
        epochsPerMonth *
        (BigInt(SCALE_DEVICES) / 1_000n) *
        (closePer1000 * CYCLE_PRICES.perInstruction + CYCLE_PRICES.updateMessageBase);
    const storageBytes = BigInt(Math.round(bytesPerDevice * SCALE_DEVICES));
    const cyclesStorage = (storageBytes * CYCLE_PRICES.storagePerGiBSecond * 30n * 86_400n) / 2n ** 30n;
    const cyclesHeartbeats = perMonth * perHeartbeat;
    // relayed: one ingress message and one update per batch of 100, a signature check per heartbeat
    const cyclesRelayed = Object.fromEntries(
        CURVES.map((curve) => [
            curve,
            (perMonth / 100n) *
                (CYCLE_PRICES.ingressMessage +
                    CYCLE_PRICES.ingressByte * relayBatchBytes[curve] +
                    CYCLE_PRICES.updateMessageBase +
                    100n * relayed[curve] * CYCLE_PRICES.perInstruction)
        ])
    ) as Record<CurveName, bigint>;
    const dashboardRefresh = median(refreshes);
    const cyclesDashboard =
        ((30n * 86_400n) / BigInt(DASHBOARD_REFRESH_SECONDS)) *
        (dashboardRefresh * CYCLE_PRICES.perInstruction + CYCLE_PRICES.updateMessageBase);
    return {
        registerSingle: registerSmall,
        registerBatch,
        claimDevice,
        claimRewards,
        dashboardRefresh,
        heartbeat: heartbeatSmall,
        relayed,
        closePer1000,
        scale: { small, large, registerSmall, registerLarge: median(largeSingles), heartbeatSmall, heartbeatLarge },
        bytesPerDevice,
        month: {
            heartbeats: perMonth,
            cyclesHeartbeats,
            cyclesRelayed,
            cyclesClosing,
            cyclesDashboard,
            cyclesStorage,
            total: cyclesHeartbeats + cyclesClosing + cyclesDashboard + cyclesStorage
        }
    };
}
