/**
 * Manufacturers and registration: controllers add and revoke manufacturers; a manufacturer registers devices
 * (one or a batch) with each device's proof of possession; keys are unique whatever their encoding; hostile
 * input gets a typed error and changes nothing.
 */
import { batchLimits } from '../../src/canisters/registry/limits';
import { ECDSAKeyIdentity, Ed25519KeyIdentity } from '@dfinity/identity';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';

import { signedMessage } from '../../src/canisters/registry/messages';
import { DeviceSigner } from '../../src/canisters/registry/device-signer';
import type { DeviceKey, DeviceRegistration } from '../../src/canisters/registry/types';
import { createIc, type TestIc } from '../support/ic';
import { CURVES, deployRegistry, identity, issuingKey, newDevice, nowPlus, type Suite } from './setup';

const controller = identity(61);
const maker = identity(62);
const stranger = identity(63);
const DAY = 86_400n;

let ic: TestIc;
let s: Suite;

beforeAll(async () => {
    ic = await createIc();
    s = await deployRegistry(ic, controller);
    const added = await s.registry.add_manufacturer({ name: 'Acme Sensors', issuing_key: issuingKey(maker), quota: 8n });
    expect(added).toEqual({ Ok: maker.getPrincipal() });
});

afterAll(async () => {
    await ic.tearDown();
});

async function stats() {
    s.registry.setIdentity(controller);
    return s.registry.get_stats();
}

describe('manufacturers', () => {
    it('are added by controllers only, identified by the principal of their issuing key', async () => {
        s.registry.setIdentity(stranger);
        await expect(s.registry.add_manufacturer({ name: 'x', issuing_key: issuingKey(stranger), quota: 1n })).rejects.toThrow(
            /IC0406/
        );
        s.registry.setIdentity(controller);
        const [m] = await s.registry.get_manufacturer(maker.getPrincipal());
        expect(m).toMatchObject({ name: 'Acme Sensors', quota: 8n, registered: 0n, status: { Active: null } });
        expect(await s.registry.add_manufacturer({ name: 'again', issuing_key: issuingKey(maker), quota: 1n })).toEqual({
            Err: { InvalidArgument: { reason: 'this issuing key is already a manufacturer' } }
        });
    });

    it('register nothing once revoked', async () => {
        const doomed = identity(64);
        s.registry.setIdentity(controller);
        await s.registry.add_manufacturer({ name: 'Doomed', issuing_key: issuingKey(doomed), quota: 10n });
        expect(await s.registry.revoke_manufacturer({ manufacturer: doomed.getPrincipal(), reason: 'recall' })).toEqual({
            Ok: null
        });
        const device = newDevice('Ed25519', s.registryId);
        s.registry.setIdentity(doomed);
        // refused in inspect_message, before it costs the registry anything (the method repeats the check)
        await expect(
            s.registry.register_device(device.registration(doomed.getPrincipal(), await nowPlus(ic, DAY)))
        ).rejects.toThrow(/IC0406/);
        const devicesBefore = (await stats()).devices;
        const [m] = await s.registry.get_manufacturer(doomed.getPrincipal());
        expect(m?.status).toEqual({ Revoked: { reason: 'recall', at: expect.any(BigInt) as bigint } });
        expect((await stats()).devices).toBe(devicesBefore);
    });
});

describe('registration', () => {
    it.each(CURVES)('registers a %s device as its self-authenticating principal', async (curve) => {
        const device = newDevice(curve, s.registryId);
        s.registry.setIdentity(maker);
        const result = await s.registry.register_device(device.registration(maker.getPrincipal(), await nowPlus(ic, DAY)));
        expect(result).toEqual({ Ok: device.id });
        const [stored] = await s.registry.get_device({ Key: device.key });
        expect(stored).toMatchObject({
            id: device.id,
            manufacturer: maker.getPrincipal(),
            owner: [],
            status: { kind: { Active: null } }
        });
    });

    it("derives the same principal the IC gives the device's own identity", async () => {
        const device = Ed25519KeyIdentity.generate();
        const secret = new Uint8Array(device.getKeyPair().secretKey).slice(0, 32);
        expect(new DeviceSigner('Ed25519', secret, s.registryId).id.toText()).toBe(device.getPrincipal().toText());
    });

    it("registers a WebCrypto P-256 key as the identity's principal, with WebCrypto's (unnormalised) signature", async () => {
        const device = await ECDSAKeyIdentity.generate();
        const der = new Uint8Array(device.getPublicKey().toDer());
        const key: DeviceKey = { curve: { P256: null }, public_key: der.slice(der.length - 65) };
        const expires_at = await nowPlus(ic, DAY);
        const message = signedMessage({
            action: 'register_device',
            manufacturer: maker.getPrincipal(),
            registry: s.registryId,
            device: device.getPrincipal(),
            nonce: 1n,
            expiresAt: expires_at
        });
        // WebCrypto does not normalise s: take a signature with a high s, which the registry must accept
        let signature = new Uint8Array(await device.sign(message));
        const highS = (sig: Uint8Array) => p256.Signature.fromCompact(sig).hasHighS();
        while (!highS(signature)) signature = new Uint8Array(await device.sign(message));
        s.registry.setIdentity(maker);
        const result = await s.registry.register_device({ key, proof: { nonce: 1n, expires_at, signature } });
        expect(result).toEqual({ Ok: device.getPrincipal() });
    });

    it('refuses a key registered before, in either ECDSA encoding', async () => {
        const secret = secp256k1.utils.randomPrivateKey();
        const device = new DeviceSigner('Secp256k1', secret, s.registryId);
        s.registry.setIdentity(maker);
        const expires = await nowPlus(ic, DAY);
        expect(await s.registry.register_device(device.registration(maker.getPrincipal(), expires))).toEqual({ Ok: device.id });
        const again = device.registration(maker.getPrincipal(), expires);
        const compressed = { ...again, key: { curve: again.key.curve, public_key: secp256k1.getPublicKey(secret, true) } };
        expect(await s.registry.register_device(compressed)).toEqual({ Err: { AlreadyRegistered: { device: device.id } } });
    });

    it.each(CURVES)('refuses a %s proof that expired, expires too far ahead, or names another manufacturer', async (curve) => {
        const device = newDevice(curve, s.registryId);
        s.registry.setIdentity(maker);
        const expired = device.registration(maker.getPrincipal(), await nowPlus(ic, -1n));
        expect(await s.registry.register_device(expired)).toMatchObject({ Err: { SignatureExpired: {} } });
        const farAhead = device.registration(maker.getPrincipal(), await nowPlus(ic, 31n * DAY));
        expect(await s.registry.register_device(farAhead)).toMatchObject({ Err: { ExpiryTooFar: {} } });
        const forOther = device.registration(stranger.getPrincipal(), await nowPlus(ic, DAY));
        expect(await s.registry.register_device(forOther)).toEqual({ Err: { InvalidSignature: null } });
        expect(await s.registry.get_device({ Id: device.id })).toEqual([]);
    });

    it('refuses hostile keys with a typed error and changes nothing', async () => {
        const good = newDevice('Ed25519', s.registryId).registration(maker.getPrincipal(), await nowPlus(ic, DAY));
        const withKey = (curve: DeviceKey['curve'], public_key: Uint8Array): DeviceRegistration => ({
            ...good,
            key: { curve, public_key }
        });
        const before = await stats();
        s.registry.setIdentity(maker);
        const cases: [DeviceRegistration, RegExp][] = [
            [withKey({ Ed25519: null }, new Uint8Array(31)), /32 bytes, not 31/],
            [withKey({ P256: null }, good.key.public_key), /33 bytes \(compressed\) or 65/],
            [withKey({ P256: null }, p256.getPublicKey(p256.utils.randomPrivateKey(), true).fill(7, 1)), /not a P256 point/],
            [
                withKey(
                    { Secp256k1: null },
                    Uint8Array.from({ length: 65 }, (_, i) => (i * 37) & 0xff)
                ),
                /not a Secp256k1 point/
            ]
        ];
        for (const [registration, reason] of cases) {
            const result = await s.registry.register_device(registration);
            expect(result).toMatchObject({ Err: { InvalidKey: { reason: expect.stringMatching(reason) as string } } });
        }
        const badSignature = { ...good, proof: { ...good.proof, signature: new Uint8Array(64).fill(1) } };
        expect(await s.registry.register_device(badSignature)).toEqual({ Err: { InvalidSignature: null } });
        expect(await stats()).toEqual(before);
    });

    it('rejects random bytes as arguments with a decoding error, and changes nothing', async () => {
        const before = await stats();
        let seed = 7;
        for (const method of ['register_devices', 'register_device', 'relay_heartbeats', 'claim_device']) {
            const junk = Uint8Array.from({ length: 64 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
            await expect(
                ic.updateCall({ canisterId: s.registryId, method, arg: junk, sender: maker.getPrincipal() })
            ).rejects.toThrow();
            const looksCandid = Uint8Array.of(0x44, 0x49, 0x44, 0x4c, ...junk.subarray(4));
            await expect(
                ic.updateCall({ canisterId: s.registryId, method, arg: looksCandid, sender: maker.getPrincipal() })
            ).rejects.toThrow();
        }
        expect(await stats()).toEqual(before);
    });

    it('registers a batch item by item, refuses an oversized batch whole, and stops at the quota', async () => {
        s.registry.setIdentity(maker);
        const expires = await nowPlus(ic, DAY);
        // the registry runs on the suite's runtime, whose native checks allow the larger batch
        const { register } = batchLimits(true);
        const oversized = Array.from({ length: register + 1 }, () =>
            newDevice('Ed25519', s.registryId).registration(maker.getPrincipal(), expires)
        );
        expect(await s.registry.register_devices(oversized)).toEqual({ Err: { BatchTooLarge: { max: register } } });

        const [before] = await s.registry.get_manufacturer(maker.getPrincipal());
        const left = Number((before?.quota ?? 0n) - (before?.registered ?? 0n));
        const devices = Array.from({ length: left + 1 }, () => newDevice('Ed25519', s.registryId));
        const broken = devices[0]?.registration(stranger.getPrincipal(), expires) as DeviceRegistration;
        const batch = [broken, ...devices.slice(1).map((d) => d.registration(maker.getPrincipal(), expires))];
        batch.push((devices[0] as DeviceSigner).registration(maker.getPrincipal(), expires));
        const result = await s.registry.register_devices(batch);
        if (!('Ok' in result)) throw new Error(JSON.stringify(result));
        expect(result.Ok[0]).toEqual({ Err: { InvalidSignature: null } });
        expect(result.Ok.slice(1, left + 1).every((r) => 'Ok' in r)).toBe(true);
        expect(result.Ok[left + 1]).toEqual({ Err: { QuotaExhausted: { quota: 8n } } });
        const [after] = await s.registry.get_manufacturer(maker.getPrincipal());
        expect(after?.registered).toBe(8n);
    });
});
