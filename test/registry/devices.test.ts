/**
 * A registered device's life: heartbeats as its own principal or relayed by a gateway (one counts per
 * interval; replayed and expired signatures refused on every curve), ownership claimed with the device's
 * signature, transfer (which wipes delegates and the beneficiary), status changes by role, and the listings.
 */
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { batchLimits } from '../../src/canisters/registry/limits';
import { registryService } from '../../src/canisters/registry/service';
import type { DeviceSigner } from '../../src/canisters/registry/device-signer';
import { probeIdlFactory, type ProbeActor } from '../fixtures/probe/interface';
import { createIc, type TestIc } from '../support/ic';
import { CURVES, deployRegistry, identity, issuingKey, newDevice, nowPlus, type Suite } from './setup';

const controller = identity(71);
const maker = identity(72);
const gateway = identity(73);
const owner = identity(74);
const buyer = identity(75);
const helper = identity(76);
const stranger = identity(77);
const DAY = 86_400n;
const INTERVAL_MS = 600_000;
/** An H3 cell at resolution 10, and its neighbour. */
const CELL = 0x8a2a1072b59ffffn;
const OTHER_CELL = 0x8a2a1072b5b7fffn;

let ic: TestIc;
let s: Suite;

async function register(curve: (typeof CURVES)[number]): Promise<DeviceSigner> {
    const device = newDevice(curve, s.registryId);
    s.registry.setIdentity(maker);
    const result = await s.registry.register_device(device.registration(maker.getPrincipal(), await nowPlus(ic, DAY)));
    expect(result).toEqual({ Ok: device.id });
    return device;
}

async function asDevice<T>(device: DeviceSigner, f: () => Promise<T>): Promise<T> {
    s.registry.setPrincipal(device.id);
    return f();
}

beforeAll(async () => {
    ic = await createIc();
    s = await deployRegistry(ic, controller);
    await s.registry.add_manufacturer({ name: 'Acme', issuing_key: issuingKey(maker), quota: 1_000n });
    expect(await s.registry.set_gateway({ gateway: gateway.getPrincipal(), allowed: true })).toEqual({ Ok: null });
});

afterAll(async () => {
    await ic.tearDown();
});

describe('get_device, a query method, called as an update', () => {
    it('answers an ingress update and another canister’s call as it answers a query', async () => {
        const device = await register('Secp256k1');
        const [, getDevice] = registryService.idlFactory({ IDL })._fields.find(([name]) => name === 'get_device') ?? [];
        if (getDevice === undefined) throw new Error('the registry has no get_device');
        const arg = new Uint8Array(IDL.encode(getDevice.argTypes, [{ Id: device.id }]));
        const byQuery = Buffer.from(await ic.queryCall({ canisterId: s.registryId, method: 'get_device', arg })).toString('hex');
        expect(IDL.decode(getDevice.retTypes, Buffer.from(byQuery, 'hex'))).toEqual([
            [expect.objectContaining({ id: device.id })]
        ]);
        const byUpdate = await ic.updateCall({ canisterId: s.registryId, method: 'get_device', arg });
        expect(Buffer.from(byUpdate).toString('hex')).toBe(byQuery);
        // a canister of a user's own that looks a device up with an inter-canister call
        const { actor: lookup } = await ic.setupCanister<ProbeActor>({
            idlFactory: probeIdlFactory,
            wasm: await wasmOf('probe', 'fixtures'),
            arg: new Uint8Array(IDL.encode([], []))
        });
        await ic.tick(2);
        const relayed = await lookup.relay(s.registryId, 'get_device', arg);
        if (!('Ok' in relayed)) throw new Error(`the call was rejected: ${relayed.Err}`);
        expect(Buffer.from(relayed.Ok).toString('hex')).toBe(byQuery);
    }, 120_000);
});

describe('heartbeats as the device itself', () => {
    it('count once per interval, with the location and how often it changed', async () => {
        const device = await register('Ed25519');
        const first = await asDevice(device, () => s.registry.heartbeat({ location: [CELL] }));
        expect(first).toMatchObject({ Ok: { beats_this_epoch: 1 } });
        const again = await asDevice(device, () => s.registry.heartbeat({ location: [] }));
        expect(again).toMatchObject({ Err: { TooSoon: {} } });
        await ic.advanceTime(INTERVAL_MS);
        await asDevice(device, () => s.registry.heartbeat({ location: [OTHER_CELL] }));
        const [stored] = await s.registry.get_device({ Id: device.id });
        expect(stored).toMatchObject({ heartbeats: 2n, location: [OTHER_CELL], location_changes: 2 });
    });

    it('from an unknown principal or a suspended device are refused in inspect_message', async () => {
        s.registry.setPrincipal(stranger.getPrincipal());
        await expect(s.registry.heartbeat({ location: [] })).rejects.toThrow(/IC0406/);
        const device = await register('P256');
        s.registry.setIdentity(controller);
        await s.registry.set_device_status({ device: device.id, status: { Suspended: null }, reason: 'audit' });
        await expect(asDevice(device, () => s.registry.heartbeat({ location: [] }))).rejects.toThrow(/IC0406/);
    });

    it('refuses a location that is not an H3 cell', async () => {
        const device = await register('Ed25519');
        const result = await asDevice(device, () => s.registry.heartbeat({ location: [123n] }));
        expect(result).toEqual({ Err: { InvalidArgument: { reason: 'location is not an H3 cell index' } } });
    });
});

describe('relayed heartbeats', () => {
    it.each(CURVES)('count a %s device once, and refuse its replayed and expired signatures', async (curve) => {
        const device = await register(curve);
        await ic.advanceTime(INTERVAL_MS);
        s.registry.setIdentity(gateway);
        const beat = device.heartbeat(await nowPlus(ic, 600n), CELL);
        const old = device.heartbeat(await nowPlus(ic, 600n));
        const fresh = device.heartbeat(await nowPlus(ic, 600n));
        const expired = device.heartbeat(await nowPlus(ic, -1n));
        const result = await s.registry.relay_heartbeats([fresh, beat, old, expired]);
        if (!('Ok' in result)) throw new Error(JSON.stringify(result));
        expect(result.Ok[0]).toMatchObject({ Ok: { beats_this_epoch: 1 } });
        expect(result.Ok[1]).toEqual({ Err: { NonceReused: { nonce: beat.proof.nonce, last_nonce: fresh.proof.nonce } } });
        expect(result.Ok[2]).toMatchObject({ Err: { NonceReused: {} } });
        expect(result.Ok[3]).toMatchObject({ Err: { SignatureExpired: {} } });
        const replay = await s.registry.relay_heartbeats([fresh]);
        expect(replay).toEqual({ Ok: [{ Err: { NonceReused: { nonce: fresh.proof.nonce, last_nonce: fresh.proof.nonce } } }] });
    });

    it('spend the nonce of a heartbeat that came too soon, so it cannot count in a later interval', async () => {
        const device = await register('Secp256k1');
        s.registry.setIdentity(gateway);
        await s.registry.relay_heartbeats([device.heartbeat(await nowPlus(ic, 3_000n))]);
        const early = device.heartbeat(await nowPlus(ic, 3_000n));
        expect(await s.registry.relay_heartbeats([early])).toMatchObject({ Ok: [{ Err: { TooSoon: {} } }] });
        await ic.advanceTime(INTERVAL_MS);
        expect(await s.registry.relay_heartbeats([early])).toMatchObject({ Ok: [{ Err: { NonceReused: {} } }] });
    });

    it('refuse a forged signature, an oversized batch, and a caller that is not a gateway', async () => {
        const device = await register('P256');
        const other = newDevice('P256', s.registryId);
        other.nonce = 100n; // a fresh nonce: only the signature is wrong
        const forged = { ...other.heartbeat(await nowPlus(ic, 600n)), device: device.id };
        s.registry.setIdentity(gateway);
        expect(await s.registry.relay_heartbeats([forged])).toEqual({ Ok: [{ Err: { InvalidSignature: null } }] });
        // the registry runs on the suite's runtime, whose native checks allow the larger batch
        const { relay } = batchLimits(true);
        const many = Array.from({ length: relay + 1 }, () => forged);
        expect(await s.registry.relay_heartbeats(many)).toEqual({ Err: { BatchTooLarge: { max: relay } } });
        s.registry.setIdentity(stranger);
        await expect(s.registry.relay_heartbeats([forged])).rejects.toThrow(/IC0406/);
        const [stored] = await s.registry.get_device({ Id: device.id });
        expect(stored?.heartbeats).toBe(0n);
    });
});

describe('ownership', () => {
    it.each(CURVES)('is claimed with a %s claim the device signed for that owner, once', async (curve) => {
        const device = await register(curve);
        const claim = device.claim(owner.getPrincipal(), await nowPlus(ic, 3_600n));
        s.registry.setIdentity(stranger);
        expect(await s.registry.claim_device(claim)).toEqual({ Err: { InvalidSignature: null } });
        const expired = device.claim(owner.getPrincipal(), await nowPlus(ic, -1n));
        s.registry.setIdentity(owner);
        expect(await s.registry.claim_device(expired)).toMatchObject({ Err: { SignatureExpired: {} } });
        expect(await s.registry.claim_device(claim)).toEqual({ Ok: null });
        expect(await s.registry.claim_device(claim)).toEqual({ Err: { AlreadyOwned: { owner: owner.getPrincipal() } } });
        const [stored] = await s.registry.get_device({ Id: device.id });
        expect(stored?.owner).toEqual([owner.getPrincipal()]);
    });

    it('moves on transfer, which wipes the delegates and the beneficiary', async () => {
        const device = await register('Ed25519');
        s.registry.setIdentity(owner);
        await s.registry.claim_device(device.claim(owner.getPrincipal(), await nowPlus(ic, 3_600n)));
        const expires = await nowPlus(ic, DAY);
        expect(
            await s.registry.add_delegate({ device: device.id, delegate: helper.getPrincipal(), expires_at: expires })
        ).toEqual({ Ok: null });
        const beneficiary = { owner: helper.getPrincipal(), subaccount: [] as [] };
        expect(await s.registry.set_beneficiary({ device: device.id, beneficiary: [beneficiary] })).toEqual({ Ok: null });
        // a stranger's ingress is refused in inspect_message (a canister's call gets NotAuthorized)
        s.registry.setIdentity(stranger);
        await expect(s.registry.transfer_device({ device: device.id, to: stranger.getPrincipal() })).rejects.toThrow(/IC0406/);
        s.registry.setIdentity(owner);
        expect(await s.registry.transfer_device({ device: device.id, to: buyer.getPrincipal() })).toEqual({ Ok: null });
        const [stored] = await s.registry.get_device({ Id: device.id });
        expect(stored).toMatchObject({ owner: [buyer.getPrincipal()], delegates: [], beneficiary: [] });
        // the old delegate lost its power with the transfer
        s.registry.setIdentity(helper);
        await expect(
            s.registry.set_device_status({ device: device.id, status: { Suspended: null }, reason: 'x' })
        ).rejects.toThrow(/IC0406/);
    });
});

describe('status', () => {
    let device: DeviceSigner;

    beforeAll(async () => {
        device = await register('Ed25519');
        s.registry.setIdentity(owner);
        await s.registry.claim_device(device.claim(owner.getPrincipal(), await nowPlus(ic, 3_600n)));
        await s.registry.add_delegate({ device: device.id, delegate: helper.getPrincipal(), expires_at: await nowPlus(ic, 60n) });
    });

    const setStatus = (who: typeof owner, status: 'Active' | 'Suspended' | 'Revoked') => {
        s.registry.setIdentity(who);
        const kind = { [status]: null } as { Active: null } | { Suspended: null } | { Revoked: null };
        return s.registry.set_device_status({ device: device.id, status: kind, reason: `${status} by test` });
    };

    it('is suspended and resumed by a live delegate or the owner, not by strangers', async () => {
        await expect(setStatus(stranger, 'Suspended')).rejects.toThrow(/IC0406/); // no role: refused in inspect_message
        expect(await setStatus(helper, 'Suspended')).toEqual({ Ok: null });
        const [suspended] = await s.registry.get_device({ Id: device.id });
        expect(suspended?.status).toMatchObject({
            kind: { Suspended: null },
            by: { Delegate: null },
            reason: 'Suspended by test'
        });
        expect(await setStatus(owner, 'Active')).toEqual({ Ok: null });
        await ic.advanceTime(61_000); // the delegation expires
        await expect(setStatus(helper, 'Suspended')).rejects.toThrow(/IC0406/);
    });

    it('set by a controller is lifted only by a controller or the manufacturer; revocation is final', async () => {
        expect(await setStatus(controller, 'Suspended')).toEqual({ Ok: null });
        expect(await setStatus(owner, 'Active')).toMatchObject({ Err: { NotAuthorized: {} } });
        expect(await setStatus(owner, 'Revoked')).toMatchObject({ Err: { NotAuthorized: {} } });
        expect(await setStatus(maker, 'Revoked')).toEqual({ Ok: null });
        expect(await setStatus(controller, 'Active')).toEqual({
            Err: { NotAuthorized: { reason: 'a revoked device stays revoked' } }
        });
    });
});

describe('listings and counts', () => {
    it('page devices by owner, manufacturer and status after prev, and count them in O(1)', async () => {
        const mine: Principal[] = [];
        for (let i = 0; i < 5; i++) {
            const device = await register('Ed25519');
            s.registry.setIdentity(buyer);
            await s.registry.claim_device(device.claim(buyer.getPrincipal(), await nowPlus(ic, 3_600n)));
            mine.push(device.id);
        }
        const all: string[] = [];
        let prev: [] | [Principal] = [];
        for (;;) {
            const page = await s.registry.list_devices({ filter: { Owner: buyer.getPrincipal() }, prev, take: [2] });
            if (!('Ok' in page)) throw new Error(JSON.stringify(page));
            if (page.Ok.length === 0) break;
            expect(page.Ok.length).toBeLessThanOrEqual(2);
            all.push(...page.Ok.map((d) => d.id.toText()));
            prev = [page.Ok[page.Ok.length - 1]?.id as Principal];
        }
        // the buyer also owns the device transferred above
        expect(all).toHaveLength(6);
        expect(new Set(all).size).toBe(all.length); // no device listed twice
        for (const id of mine) expect(all).toContain(id.toText());

        const stats = await s.registry.get_stats();
        const [m] = await s.registry.get_manufacturer(maker.getPrincipal());
        expect(m?.registered).toBe(stats.devices);
        const byStatus = await s.registry.list_devices({ filter: { Status: { Revoked: null } }, prev: [], take: [] });
        expect('Ok' in byStatus && BigInt(byStatus.Ok.length)).toBe(stats.revoked);
        const byMaker = await s.registry.list_devices({
            filter: { Manufacturer: maker.getPrincipal() },
            prev: [],
            take: [1_000]
        });
        expect('Ok' in byMaker && byMaker.Ok.length).toBe(Math.min(500, Number(stats.devices)));
        const notThere = await s.registry.list_devices({
            filter: { Owner: owner.getPrincipal() },
            prev: [mine[0] as Principal],
            take: []
        });
        expect(notThere).toEqual({ Err: { InvalidArgument: { reason: 'prev is not in this listing' } } });
    });
});
