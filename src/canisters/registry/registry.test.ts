/**
 * The registry's rules in Node, on heap maps with fake effects (a settable clock, a fixed controller, a token
 * whose mint answers as told) and real device keys signing through `device-signer.ts`: relayed heartbeats and
 * who may relay them, nonce replay, one counted heartbeat per interval (a refused one still spends its nonce),
 * claims and their throttle, delegates, the status rules, and reward claims that a failed payout undoes.
 */
import { sha256 } from '@noble/hashes/sha2';
import { Principal } from '@dfinity/principal';

import type { CurveName } from '../../ic/keys';
import type { Account } from '../../icrc/interface';
import { DeviceSigner } from './device-signer';
import { MAX_DELEGATES, MAX_FAILED_CLAIMS, MAX_RELAY_BATCH } from './limits';
import { Registry, type RegistryEffects } from './registry';
import { heapMaps, RegistryStore } from './state';
import type { EpochSettings } from './types';

const SECOND = 1_000_000_000n;
const GENESIS = 1_700_000_000n * SECOND;
const EPOCHS: EpochSettings = { heartbeat_interval_seconds: 60n, epoch_seconds: 600n, min_uptime_percent: 0 };

const registryId = Principal.fromUint8Array(Uint8Array.of(0xaa));
const tokenId = Principal.fromUint8Array(Uint8Array.of(0xbb));
const controller = Principal.fromUint8Array(Uint8Array.of(0x10, 1));
const gateway = Principal.fromUint8Array(Uint8Array.of(0x10, 2));
const owner = Principal.fromUint8Array(Uint8Array.of(0x10, 3));
const stranger = Principal.fromUint8Array(Uint8Array.of(0x10, 4));
const delegate = Principal.fromUint8Array(Uint8Array.of(0x10, 5));

/** A device key derived from a name, so every run signs with the same keys. */
function signer(name: string, curve: CurveName = 'Ed25519'): DeviceSigner {
    return new DeviceSigner(curve, sha256(new TextEncoder().encode(name)), registryId);
}

type Mint = (to: Account, amount: bigint) => Promise<{ Ok: bigint } | { Err: string }>;

/** A registry with one manufacturer, a gateway and `devices` registered; its clock and mint are settable. */
function setup(devices: DeviceSigner[] = [signer('device')]) {
    const clock = { now: GENESIS };
    let mint: Mint = async () => ({ Ok: 0n });
    const effects: RegistryEffects = {
        self: registryId,
        now: () => clock.now,
        isController: (p) => p.compareTo(controller) === 'eq',
        mint: (_token, to, amount) => mint(to, amount)
    };
    const registry = new Registry(new RegistryStore(heapMaps()), effects);
    registry.initialize({ token: [tokenId], epochs: EPOCHS, rewards: { reward_per_heartbeat: 10n, epoch_cap: 1_000_000n } });
    registry.setGateway(gateway, true);
    const maker = signer('manufacturer');
    const added = registry.addManufacturer({ name: 'maker', issuing_key: maker.key, quota: 100n });
    if (!('Ok' in added)) throw new Error(`the manufacturer was refused: ${JSON.stringify(added)}`);
    const registered = registry.register(
        added.Ok,
        devices.map((d) => d.registration(added.Ok, clock.now + 60n * SECOND))
    );
    if (!('Ok' in registered) || registered.Ok.some((r) => !('Ok' in r))) throw new Error('a device was refused');
    return { registry, clock, manufacturer: added.Ok, setMint: (m: Mint) => (mint = m) };
}

const expiry = (now: bigint) => now + 60n * SECOND;

describe('relayed heartbeats', () => {
    it('count once per interval; a second in the same interval is TooSoon, the next interval counts again', () => {
        const device = signer('device');
        const { registry, clock } = setup([device]);
        const first = registry.relay(gateway, [device.heartbeat(expiry(clock.now))]);
        expect(first).toEqual({ Ok: [{ Ok: { epoch: 0n, beats_this_epoch: 1, next_interval_at: GENESIS + 60n * SECOND } }] });
        expect(registry.relay(gateway, [device.heartbeat(expiry(clock.now))])).toEqual({
            Ok: [{ Err: { TooSoon: { next_interval_at: GENESIS + 60n * SECOND } } }]
        });
        clock.now += 60n * SECOND;
        const [third] = (registry.relay(gateway, [device.heartbeat(expiry(clock.now))]) as { Ok: unknown[] }).Ok;
        expect(third).toEqual({ Ok: { epoch: 0n, beats_this_epoch: 2, next_interval_at: GENESIS + 120n * SECOND } });
        expect(registry.device(device.id)?.heartbeats).toBe(2n);
    });

    it('refuse a replayed message (NonceReused), also one refused as TooSoon, so it cannot count in a later interval', () => {
        const device = signer('device');
        const { registry, clock } = setup([device]);
        registry.relay(gateway, [device.heartbeat(expiry(clock.now))]);
        const early = device.heartbeat(expiry(clock.now) + 60n * SECOND);
        expect(registry.relay(gateway, [early])).toMatchObject({ Ok: [{ Err: { TooSoon: {} } }] });
        clock.now += 60n * SECOND;
        expect(registry.relay(gateway, [early])).toEqual({
            Ok: [{ Err: { NonceReused: { nonce: early.proof.nonce, last_nonce: early.proof.nonce } } }]
        });
        expect(registry.device(device.id)?.heartbeats).toBe(1n);
    });

    it('refuse a heartbeat signed by another key, and one for another registry, changing nothing', () => {
        const device = signer('device');
        const { registry, clock } = setup([device]);
        const impostor = signer('impostor');
        impostor.nonce = 10n; // above the device's last nonce: only the signature can refuse it
        const forged = { ...impostor.heartbeat(expiry(clock.now)), device: device.id };
        const elsewhere = new DeviceSigner('Ed25519', sha256(new TextEncoder().encode('device')), stranger);
        elsewhere.nonce = 10n;
        expect(registry.relay(gateway, [forged, elsewhere.heartbeat(expiry(clock.now))])).toEqual({
            Ok: [{ Err: { InvalidSignature: null } }, { Err: { InvalidSignature: null } }]
        });
        expect(registry.device(device.id)).toMatchObject({ heartbeats: 0n, last_nonce: 1n });
    });

    it('are refused as a whole from a caller that is no gateway, or past the batch limit', () => {
        const device = signer('device');
        const { registry, clock } = setup([device]);
        expect(registry.relay(stranger, [device.heartbeat(expiry(clock.now))])).toMatchObject({ Err: { NotAuthorized: {} } });
        const many = Array.from({ length: MAX_RELAY_BATCH + 1 }, () => device.heartbeat(expiry(clock.now)));
        expect(registry.relay(gateway, many)).toEqual({ Err: { BatchTooLarge: { max: MAX_RELAY_BATCH } } });
        expect(registry.device(device.id)?.heartbeats).toBe(0n);
    });

    it('are refused for a suspended device, on each of the three curves', () => {
        const devices = (['Ed25519', 'Secp256k1', 'P256'] as const).map((curve) => signer(`device ${curve}`, curve));
        const { registry, clock, manufacturer } = setup(devices);
        for (const device of devices) {
            expect(registry.relay(gateway, [device.heartbeat(expiry(clock.now))])).toMatchObject({ Ok: [{ Ok: {} }] });
            expect(registry.setStatus(manufacturer, device.id, { Suspended: null }, 'recall')).toEqual({ Ok: null });
        }
        clock.now += 60n * SECOND;
        for (const device of devices) {
            expect(registry.relay(gateway, [device.heartbeat(expiry(clock.now))])).toEqual({
                Ok: [{ Err: { DeviceNotActive: { device: device.id, status: { Suspended: null } } } }]
            });
        }
    });
});

describe('claims', () => {
    it('make the caller the owner with a claim the device signed naming the caller; a second claim is AlreadyOwned', () => {
        const device = signer('device');
        const { registry, clock } = setup([device]);
        const claim = device.claim(owner, expiry(clock.now));
        expect(registry.claimDevice(stranger, claim.device, claim.proof)).toEqual({ Err: { InvalidSignature: null } });
        expect(registry.claimDevice(owner, claim.device, claim.proof)).toEqual({ Ok: null });
        expect(registry.device(device.id)?.owner).toEqual([owner]);
        const again = device.claim(stranger, expiry(clock.now));
        expect(registry.claimDevice(stranger, again.device, again.proof)).toEqual({ Err: { AlreadyOwned: { owner } } });
    });

    it(`are refused before the signature check after ${MAX_FAILED_CLAIMS} failed ones, until the window ends`, () => {
        const device = signer('device');
        const { registry, clock } = setup([device]);
        const bad = () => device.claim(owner, expiry(clock.now)); // names the owner, submitted by a stranger
        for (let i = 0; i < MAX_FAILED_CLAIMS; i++) {
            const claim = bad();
            expect(registry.claimDevice(stranger, claim.device, claim.proof)).toEqual({ Err: { InvalidSignature: null } });
        }
        const good = device.claim(owner, expiry(clock.now));
        expect(registry.claimDevice(owner, good.device, good.proof)).toMatchObject({ Err: { Throttled: {} } });
        clock.now += 3_600n * SECOND;
        const later = device.claim(owner, expiry(clock.now));
        expect(registry.claimDevice(owner, later.device, later.proof)).toEqual({ Ok: null });
    });

    it('are refused for the anonymous principal', () => {
        const device = signer('device');
        const { registry, clock } = setup([device]);
        const claim = device.claim(Principal.anonymous(), expiry(clock.now));
        expect(registry.claimDevice(Principal.anonymous(), claim.device, claim.proof)).toMatchObject({
            Err: { NotAuthorized: {} }
        });
    });
});

/** A registry whose device `owner` claimed. */
function owned() {
    const device = signer('device');
    const s = setup([device]);
    const claim = device.claim(owner, expiry(s.clock.now));
    expect(s.registry.claimDevice(owner, claim.device, claim.proof)).toEqual({ Ok: null });
    return { ...s, device };
}

describe('delegates', () => {
    it('act for the owner until they expire, and only the owner adds or removes them', () => {
        const { registry, clock, device } = owned();
        expect(registry.addDelegate(stranger, device.id, delegate, clock.now + SECOND)).toMatchObject({
            Err: { NotAuthorized: {} }
        });
        expect(registry.addDelegate(owner, device.id, delegate, clock.now)).toMatchObject({ Err: { InvalidArgument: {} } });
        expect(registry.addDelegate(owner, device.id, delegate, clock.now + SECOND)).toEqual({ Ok: null });
        expect(registry.roleOver(delegate, device.id)).toEqual({ Delegate: null });
        clock.now += SECOND;
        expect(registry.roleOver(delegate, device.id)).toBeUndefined();
        expect(registry.setStatus(delegate, device.id, { Suspended: null }, 'x')).toMatchObject({ Err: { NotAuthorized: {} } });
    });

    it(`are at most ${MAX_DELEGATES} live ones; a removed or expired one frees its place`, () => {
        const { registry, clock, device } = owned();
        const nth = (i: number) => Principal.fromUint8Array(Uint8Array.of(0x40, i));
        for (let i = 0; i < MAX_DELEGATES; i++)
            expect(registry.addDelegate(owner, device.id, nth(i), clock.now + SECOND)).toEqual({ Ok: null });
        expect(registry.addDelegate(owner, device.id, delegate, clock.now + SECOND)).toMatchObject({
            Err: { InvalidArgument: {} }
        });
        expect(registry.removeDelegate(owner, device.id, nth(0))).toEqual({ Ok: null });
        expect(registry.addDelegate(owner, device.id, delegate, clock.now + SECOND)).toEqual({ Ok: null });
        clock.now += SECOND;
        expect(registry.addDelegate(owner, device.id, nth(0), clock.now + SECOND)).toEqual({ Ok: null });
        expect(registry.device(device.id)?.delegates).toEqual([{ principal: nth(0), expires_at: clock.now + SECOND }]);
    });

    it('are wiped when the device is transferred', () => {
        const { registry, clock, device } = owned();
        registry.addDelegate(owner, device.id, delegate, clock.now + SECOND);
        expect(registry.transfer(owner, device.id, stranger)).toEqual({ Ok: null });
        expect(registry.device(device.id)).toMatchObject({ owner: [stranger], delegates: [], beneficiary: [] });
        expect(registry.roleOver(delegate, device.id)).toBeUndefined();
    });
});

describe('status rules', () => {
    it('let owners suspend and resume, but not revoke', () => {
        const { registry, device } = owned();
        expect(registry.setStatus(owner, device.id, { Suspended: null }, 'away')).toEqual({ Ok: null });
        expect(registry.stats()).toMatchObject({ active: 0n, suspended: 1n });
        expect(registry.setStatus(owner, device.id, { Active: null }, 'back')).toEqual({ Ok: null });
        expect(registry.setStatus(owner, device.id, { Revoked: null }, 'gone')).toMatchObject({ Err: { NotAuthorized: {} } });
        expect(registry.device(device.id)?.status).toMatchObject({ kind: { Active: null }, reason: 'back', by: { Owner: null } });
    });

    it('keep a suspension by the manufacturer or a controller from being lifted, or rewritten, by the owner', () => {
        const { registry, device, manufacturer } = owned();
        expect(registry.setStatus(manufacturer, device.id, { Suspended: null }, 'recall')).toEqual({ Ok: null });
        expect(registry.setStatus(owner, device.id, { Active: null }, 'mine')).toMatchObject({ Err: { NotAuthorized: {} } });
        expect(registry.setStatus(owner, device.id, { Suspended: null }, 'mine')).toMatchObject({ Err: { NotAuthorized: {} } });
        expect(registry.setStatus(controller, device.id, { Active: null }, 'cleared')).toEqual({ Ok: null });
    });

    it('make a revocation final, and leave a revoked manufacturer no authority', () => {
        const { registry, device, manufacturer } = owned();
        expect(registry.revokeManufacturer(manufacturer, 'leaked key')).toEqual({ Ok: null });
        expect(registry.setStatus(manufacturer, device.id, { Revoked: null }, 'kill')).toMatchObject({
            Err: { NotAuthorized: {} }
        });
        expect(registry.setStatus(controller, device.id, { Revoked: null }, 'stolen')).toEqual({ Ok: null });
        expect(registry.setStatus(controller, device.id, { Active: null }, 'undo')).toEqual({
            Err: { NotAuthorized: { reason: 'a revoked device stays revoked' } }
        });
        expect(registry.stats()).toMatchObject({ active: 0n, revoked: 1n });
    });

    it('refuse a caller with no role over the device', () => {
        const { registry, device } = owned();
        expect(registry.setStatus(stranger, device.id, { Suspended: null }, 'x')).toMatchObject({ Err: { NotAuthorized: {} } });
        expect(registry.device(device.id)?.status.kind).toEqual({ Active: null });
    });
});

describe('reward claims', () => {
    /** An owned device with one counted heartbeat in epoch 0, closed: 10 units earned. */
    function earned() {
        const s = owned();
        s.registry.relay(gateway, [s.device.heartbeat(expiry(s.clock.now))]);
        s.clock.now += 600n * SECOND;
        expect(s.registry.closeEpochs(100)).toEqual({ credited: 1, remaining: false });
        return s;
    }

    it('pay what was earned once to the owner; a repeat has NothingToClaim', async () => {
        const { registry, device, setMint } = earned();
        const paid: [Account, bigint][] = [];
        setMint(async (to, amount) => (paid.push([to, amount]), { Ok: 7n }));
        expect(await registry.claimRewards(owner, [device.id])).toEqual({
            Ok: { amount: 10n, to: { owner, subaccount: [] }, block_index: 7n }
        });
        expect(await registry.claimRewards(owner, [device.id])).toEqual({ Err: { NothingToClaim: null } });
        expect(paid).toHaveLength(1);
    });

    it('undo a failed payout, so the rewards can be claimed again', async () => {
        const { registry, device, setMint } = earned();
        setMint(async () => ({ Err: 'the token is stopped' }));
        expect(await registry.claimRewards(owner, [device.id])).toEqual({
            Err: { PayoutFailed: { reason: 'the token is stopped' } }
        });
        expect(registry.device(device.id)?.rewards_claimed).toBe(0n);
        setMint(async () => ({ Ok: 1n }));
        expect(await registry.claimRewards(owner, [device.id])).toMatchObject({ Ok: { amount: 10n } });
    });

    it('are refused to a stranger and to the manufacturer', async () => {
        const { registry, device, manufacturer } = earned();
        for (const caller of [stranger, manufacturer])
            expect(await registry.claimRewards(caller, [device.id])).toMatchObject({ Err: { NotAuthorized: {} } });
    });
});
