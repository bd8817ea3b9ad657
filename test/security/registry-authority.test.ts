/**
 * Issue 21, findings 3, 5 and 8, on the compiled registry:
 * - 3: a stranger's claim with a random signature made the registry verify it (0.19B-0.31B instructions) for any
 *   registered unowned device, as often as it liked. Now a device allows MAX_FAILED_CLAIMS failed claim
 *   signatures per CLAIM_WINDOW_NS; further claims are refused before the check until the window ends.
 * - 5: an owner "suspended" a device its manufacturer had suspended (rewriting `status_by`), then resumed it.
 * - 8: a revoked manufacturer kept its authority over its devices (it could revoke them).
 */
import { CLAIM_WINDOW_NS, MAX_FAILED_CLAIMS } from '../../src/canisters/registry/limits';
import type { DeviceSigner } from '../../src/shared/device-signer';
import { deployRegistry, identity, issuingKey, newDevice, nowPlus, type Suite } from '../registry/setup';
import { createIc, localOnly, type TestIc } from '../support/ic';

const controller = identity(81);
const maker = identity(82);
const owner = identity(83);
const stranger = identity(84);
const DAY = 86_400n;

let ic: TestIc;
let s: Suite;

async function register(): Promise<DeviceSigner> {
    const device = newDevice('Ed25519', s.registryId);
    s.registry.setIdentity(maker);
    expect(await s.registry.register_device(device.registration(maker.getPrincipal(), await nowPlus(ic, DAY)))).toEqual({
        Ok: device.id
    });
    return device;
}

beforeAll(async () => {
    ic = await createIc();
    s = await deployRegistry(ic, controller);
    s.registry.setIdentity(controller);
    await s.registry.add_manufacturer({ name: 'Acme', issuing_key: issuingKey(maker), quota: 1_000n });
}, 300_000);

afterAll(async () => ic.tearDown());

it('a stranger makes the registry verify at most a few bad claims per device and window (finding 3)', async () => {
    const device = await register();
    const other = newDevice('Ed25519', s.registryId); // signs claims with a key that is not the device's
    for (let i = 0; i < 5; i++) other.claim(stranger.getPrincipal(), 0n); // its nonces now pass the device's
    s.registry.setIdentity(stranger);
    const local = localOnly(ic);
    const forged = async () => {
        const claim = other.claim(stranger.getPrincipal(), await nowPlus(ic, 3_600n));
        return s.registry.claim_device({ device: device.id, proof: claim.proof });
    };
    for (let i = 0; i < MAX_FAILED_CLAIMS; i++) expect(await forged()).toEqual({ Err: { InvalidSignature: null } });
    const verified = local?.lastInstructions(s.registryId);
    expect(await forged()).toMatchObject({
        Err: { Throttled: { reason: expect.stringMatching(/failed claims of this device/) } }
    });
    const refused = local?.lastInstructions(s.registryId);
    if (verified !== undefined && refused !== undefined) {
        console.info(`a forged claim verified: ${verified} instructions; refused before the check: ${refused}`);
        expect(refused * 10n).toBeLessThan(verified);
    }
    // After the window the owner's real claim goes through.
    await ic.advanceTime(Number(CLAIM_WINDOW_NS / 1_000_000n));
    s.registry.setIdentity(owner);
    expect(await s.registry.claim_device(device.claim(owner.getPrincipal(), await nowPlus(ic, 3_600n)))).toEqual({ Ok: null });
}, 120_000);

it('an owner cannot lift its manufacturer’s suspension by suspending again and resuming (finding 5)', async () => {
    const device = await register();
    s.registry.setIdentity(owner);
    expect(await s.registry.claim_device(device.claim(owner.getPrincipal(), await nowPlus(ic, 3_600n)))).toEqual({ Ok: null });
    s.registry.setIdentity(maker);
    expect(await s.registry.set_device_status({ device: device.id, status: { Suspended: null }, reason: 'fraud' })).toEqual({
        Ok: null
    });
    s.registry.setIdentity(owner);
    const again = await s.registry.set_device_status({ device: device.id, status: { Suspended: null }, reason: 'mine' });
    expect(again).toMatchObject({ Err: { NotAuthorized: {} } });
    const resume = await s.registry.set_device_status({ device: device.id, status: { Active: null }, reason: 'back' });
    expect(resume).toMatchObject({ Err: { NotAuthorized: {} } });
    const [stored] = await s.registry.get_device({ Id: device.id });
    expect(stored?.status.kind).toEqual({ Suspended: null });
}, 120_000);

it('a revoked manufacturer has no authority over its devices (finding 8)', async () => {
    const device = await register();
    s.registry.setIdentity(controller);
    expect(await s.registry.revoke_manufacturer({ manufacturer: maker.getPrincipal(), reason: 'key leaked' })).toEqual({
        Ok: null
    });
    s.registry.setIdentity(maker);
    const revoke = await s.registry.set_device_status({ device: device.id, status: { Revoked: null }, reason: 'kill' });
    expect(revoke).toMatchObject({ Err: { NotAuthorized: {} } });
    const [stored] = await s.registry.get_device({ Id: device.id });
    expect(stored?.status.kind).toEqual({ Active: null });
}, 120_000);
