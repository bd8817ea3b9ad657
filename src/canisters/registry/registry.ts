/**
 * The registry's rules, over its store and behind {@link RegistryEffects} (the clock, the caller's roles and
 * the token), so they run in Node as they run in the canister. Every method checks everything before it writes
 * anything: a refused call changes nothing. The methods of a batch are refused or done one item at a time.
 */
import { Principal } from '@dfinity/principal';

import { canonicalKey, type CurveName, devicePrincipal, InvalidDeviceKeyError } from '../../ic/keys';
import type { Account } from '../../icrc/interface';
import type {
    AddManufacturerArgs,
    Delegate,
    Device,
    DeviceKey,
    DeviceRegistration,
    DeviceResult,
    DeviceSignature,
    EpochSummary,
    HeartbeatAck,
    HeartbeatResult,
    ListDevicesArgs,
    Manufacturer,
    RegistryConfig,
    RegistryError,
    RegistryInit,
    RegistryStats,
    RelayedHeartbeat,
    RewardSettings,
    StatusAuthority,
    StatusKind
} from './types';
import {
    epochEnd,
    epochOf,
    epochSettingsError,
    intervalOf,
    intervalStart,
    isH3Cell,
    pointsAdded,
    pointsOf,
    rewardPerPoint
} from './epochs';
import { sameAccount } from '../../icrc/accounts';
import { GroupIndex } from './groups';
import {
    CLAIM_WINDOW_NS,
    DEFAULT_TAKE,
    MAX_CLAIM_DEVICES,
    MAX_CLAIM_THROTTLED_DEVICES,
    MAX_FAILED_CLAIMS,
    MAX_DELEGATES,
    MAX_REGISTER_BATCH,
    MAX_RELAY_BATCH,
    MAX_TAKE,
    MAX_TEXT_BYTES
} from './limits';
import { cheapProofError, curveName, proofError, signatureError } from './proofs';
import {
    type Closing,
    type Liveness,
    newLiveness,
    type RegistryCore,
    type RegistryStore,
    type StatusName,
    statusKind,
    statusName,
    type StoredDevice,
    type StoredManufacturer,
    type Tally
} from './state';
import { U64_MAX } from '../../ic/constants';

/** What the registry needs from the IC. */
export interface RegistryEffects {
    readonly self: Principal;
    now(): bigint;
    isController(principal: Principal): boolean;
    /** Pays `amount` to `to` through `token`, as its minting account: the block index, or why not. */
    mint(token: Principal, to: Account, amount: bigint): Promise<{ Ok: bigint } | { Err: string }>;
}

/** A call's outcome: the value, or the error the caller gets. */
export type Outcome<T> = { Ok: T } | { Err: RegistryError };

const utf8 = new TextEncoder();

function err(error: RegistryError): { Err: RegistryError } {
    return { Err: error };
}

function notAuthorized(reason: string): { Err: RegistryError } {
    return err({ NotAuthorized: { reason } });
}

function invalid(reason: string): { Err: RegistryError } {
    return err({ InvalidArgument: { reason } });
}

function statusGroup(status: StatusName): Uint8Array {
    return utf8.encode(status);
}

function textError(what: string, text: string): { Err: RegistryError } | undefined {
    return utf8.encode(text).length > MAX_TEXT_BYTES ? invalid(`${what} is longer than ${MAX_TEXT_BYTES} bytes`) : undefined;
}

/** The key in canonical form with its principal, or the reason it is refused. */
function keyOf(key: DeviceKey): Outcome<{ key: DeviceKey; id: Principal }> {
    const curve = curveName(key);
    try {
        const publicKey = canonicalKey(curve, key.public_key);
        return { Ok: { key: { curve: key.curve, public_key: publicKey }, id: devicePrincipal(curve as CurveName, publicKey) } };
    } catch (error) {
        if (error instanceof InvalidDeviceKeyError) return err({ InvalidKey: { reason: error.message } });
        throw error;
    }
}

const isLive = (delegate: Delegate, now: bigint) => delegate.expires_at > now;

function throttledClaim(reason: string): { Err: RegistryError } {
    return { Err: { Throttled: { reason } } };
}

/** A device's failed claims in the current window (heap only: an upgrade gives strangers one more window). */
type FailedClaims = { since: bigint; count: number };

export class Registry {
    private cachedCore: RegistryCore | undefined;
    readonly groups: GroupIndex;
    /** Devices with failed claim signatures, least recently failed first (a Map keeps insertion order). */
    private readonly failedClaims = new Map<string, FailedClaims>();

    constructor(
        readonly store: RegistryStore,
        private readonly effects: RegistryEffects
    ) {
        this.groups = new GroupIndex(store.maps);
    }

    /** Read on first use: state cannot be read while Azle loads the module. */
    get core(): RegistryCore {
        if (this.cachedCore === undefined) {
            const core = this.store.readCore();
            if (core === undefined) throw new Error('the registry is not initialized');
            this.cachedCore = core;
        }
        return this.cachedCore;
    }

    private setCore(core: RegistryCore): void {
        this.store.writeCore(core);
        this.cachedCore = core;
    }

    /** Install: the settings, and genesis (the start of epoch 0) at the install time. */
    initialize(init: RegistryInit): void {
        const problem = epochSettingsError(init.epochs);
        if (problem !== undefined) throw new Error(`RegistryInit.epochs: ${problem}`);
        this.setCore({
            token: init.token,
            epochs: init.epochs,
            rewards: init.rewards,
            genesis: this.effects.now(),
            gateways: [],
            next_epoch_to_close: 0n,
            closing: [],
            rewards_earned: 0n,
            rewards_claimed: 0n
        });
    }

    /** After an upgrade the heap is new: the next use reads the core again. */
    forgetCache(): void {
        this.cachedCore = undefined;
    }

    // --- configuration (controllers: `service.ts` declares these controller-only, and `implement` checks) ---

    config(): RegistryConfig {
        const { token, epochs, rewards, genesis, gateways } = this.core;
        return { token, epochs, rewards, genesis, gateways };
    }

    setRewards(rewards: RewardSettings): Outcome<null> {
        this.setCore({ ...this.core, rewards });
        return { Ok: null };
    }

    setToken(token: Principal | undefined): Outcome<null> {
        this.setCore({ ...this.core, token: token === undefined ? [] : [token] });
        return { Ok: null };
    }

    setGateway(gateway: Principal, allowed: boolean): Outcome<null> {
        const others = this.core.gateways.filter((g) => g.compareTo(gateway) !== 'eq');
        this.setCore({ ...this.core, gateways: allowed ? [...others, gateway] : others });
        return { Ok: null };
    }

    isGateway(principal: Principal): boolean {
        return this.core.gateways.some((g) => g.compareTo(principal) === 'eq');
    }

    // --- manufacturers ---

    /** Controllers only (declared in `service.ts`). */
    addManufacturer(args: AddManufacturerArgs): Outcome<Principal> {
        const denied = textError('the name', args.name);
        if (denied !== undefined) return denied;
        const key = keyOf(args.issuing_key);
        if ('Err' in key) return key;
        const id = key.Ok.id.toUint8Array();
        if (this.store.manufacturer(id) !== undefined) return invalid('this issuing key is already a manufacturer');
        this.store.writeManufacturer(id, {
            name: args.name,
            issuing_key: key.Ok.key,
            quota: args.quota,
            status: { Active: null },
            added_at: this.effects.now()
        });
        return { Ok: key.Ok.id };
    }

    /** Controllers only (declared in `service.ts`). */
    revokeManufacturer(manufacturer: Principal, reason: string): Outcome<null> {
        const denied = textError('the reason', reason);
        if (denied !== undefined) return denied;
        const id = manufacturer.toUint8Array();
        const stored = this.store.manufacturer(id);
        if (stored === undefined) return err({ UnknownManufacturer: { manufacturer } });
        this.store.writeManufacturer(id, { ...stored, status: { Revoked: { reason, at: this.effects.now() } } });
        return { Ok: null };
    }

    /** Whether the caller is a manufacturer that may register devices (inspect_message asks). */
    isActiveManufacturer(caller: Principal): boolean {
        const stored = this.store.manufacturer(caller.toUint8Array());
        return stored !== undefined && 'Active' in stored.status;
    }

    manufacturer(manufacturer: Principal): Manufacturer | undefined {
        const id = manufacturer.toUint8Array();
        const stored = this.store.manufacturer(id);
        return stored === undefined ? undefined : this.manufacturerView(id, stored);
    }

    manufacturers(limit: number): Manufacturer[] {
        return this.store.manufacturers(limit).map(([id, stored]) => this.manufacturerView(id, stored));
    }

    private manufacturerView(id: Uint8Array, stored: StoredManufacturer): Manufacturer {
        const { name, issuing_key, quota, status, added_at } = stored;
        const registered = BigInt(this.groups.count('manufacturer', id));
        return { id: Principal.fromUint8Array(id), name, issuing_key, quota, registered, status, added_at };
    }

    // --- registration (manufacturers) ---

    /**
     * Registers devices for the calling manufacturer, each with its proof of possession. The whole call is
     * refused when the caller is no active manufacturer or the batch is too large; otherwise each device gets
     * its own result, and a refused one changes nothing.
     */
    register(caller: Principal, registrations: readonly DeviceRegistration[]): Outcome<DeviceResult[]> {
        if (registrations.length > MAX_REGISTER_BATCH) return err({ BatchTooLarge: { max: MAX_REGISTER_BATCH } });
        const manufacturerId = caller.toUint8Array();
        const manufacturer = this.store.manufacturer(manufacturerId);
        if (manufacturer === undefined) return err({ UnknownManufacturer: { manufacturer: caller } });
        if ('Revoked' in manufacturer.status) return err({ ManufacturerRevoked: { reason: manufacturer.status.Revoked.reason } });
        const now = this.effects.now();
        return { Ok: registrations.map((registration) => this.registerOne(caller, manufacturer.quota, registration, now)) };
    }

    private registerOne(manufacturer: Principal, quota: bigint, registration: DeviceRegistration, now: bigint): DeviceResult {
        const manufacturerId = manufacturer.toUint8Array();
        if (BigInt(this.groups.count('manufacturer', manufacturerId)) >= quota) return err({ QuotaExhausted: { quota } });
        const key = keyOf(registration.key);
        if ('Err' in key) return key;
        const device = key.Ok.id;
        const id = device.toUint8Array();
        if (this.store.liveness(id) !== undefined) return err({ AlreadyRegistered: { device } });
        const ctx = { registry: this.effects.self, device, key: key.Ok.key, lastNonce: undefined, now };
        const refused = proofError(ctx, { action: 'register_device', manufacturer }, registration.proof);
        if (refused !== undefined) return err(refused);

        this.store.writeDevice(id, {
            key: key.Ok.key,
            manufacturer,
            registered_at: now,
            owner: [],
            beneficiary: [],
            delegates: [],
            status_reason: 'registered',
            status_changed_at: now,
            status_by: { Registration: null }
        });
        this.store.writeLiveness(id, newLiveness(registration.proof.nonce));
        this.groups.add('manufacturer', manufacturerId, id);
        this.groups.add('status', statusGroup('Active'), id);
        return { Ok: device };
    }

    // --- heartbeats ---

    /** Whether a caller is a registered device allowed to send heartbeats (inspect_message asks). */
    isActiveDevice(caller: Principal): boolean {
        return this.store.liveness(caller.toUint8Array())?.status === 'Active';
    }

    /** A heartbeat the device sent as itself: the IC verified its signature and stops replays. */
    heartbeat(caller: Principal, location: bigint | undefined): HeartbeatResult {
        const active = this.beating(caller, location);
        if ('Err' in active) return active;
        return this.countHeartbeat(caller.toUint8Array(), active.Ok, location, this.effects.now());
    }

    /** Heartbeats a gateway relays, each signed by its device; one result per heartbeat. */
    relay(caller: Principal, heartbeats: readonly RelayedHeartbeat[]): Outcome<HeartbeatResult[]> {
        if (!this.isGateway(caller)) return notAuthorized('only a gateway the controllers added may relay heartbeats');
        if (heartbeats.length > MAX_RELAY_BATCH) return err({ BatchTooLarge: { max: MAX_RELAY_BATCH } });
        const now = this.effects.now();
        return { Ok: heartbeats.map((h) => this.relayOne(h, now)) };
    }

    /** The liveness of a device that may send a heartbeat with `location`, or why it may not. */
    private beating(device: Principal, location: bigint | undefined): Outcome<Liveness> {
        if (location !== undefined && !isH3Cell(location)) return invalid('location is not an H3 cell index');
        const liveness = this.store.liveness(device.toUint8Array());
        if (liveness === undefined) return err({ UnknownDevice: { device } });
        if (liveness.status !== 'Active') return err({ DeviceNotActive: { device, status: statusKind(liveness.status) } });
        return { Ok: liveness };
    }

    private relayOne(heartbeat: RelayedHeartbeat, now: bigint): HeartbeatResult {
        const [location] = heartbeat.location;
        const active = this.beating(heartbeat.device, location);
        if ('Err' in active) return active;
        const id = heartbeat.device.toUint8Array();
        const stored = this.store.device(id) as StoredDevice; // every device with a liveness record has one
        const ctx = {
            registry: this.effects.self,
            device: heartbeat.device,
            key: stored.key,
            lastNonce: active.Ok.lastNonce,
            now
        };
        const refused = proofError(ctx, { action: 'heartbeat', location }, heartbeat.proof);
        if (refused !== undefined) return err(refused);
        const spent = { ...active.Ok, lastNonce: heartbeat.proof.nonce };
        const counted = this.countHeartbeat(id, spent, location, now);
        // The nonce is spent even when the heartbeat does not count (TooSoon): otherwise the same signed message
        // could be relayed again in a later interval as proof the device was alive then. (A counted heartbeat
        // wrote `spent` with its counters.)
        if ('Err' in counted) this.store.writeLiveness(id, spent);
        return counted;
    }

    /** Counts a heartbeat if none counted in its interval yet: the device's uptime, the epoch's tally. */
    private countHeartbeat(id: Uint8Array, liveness: Liveness, location: bigint | undefined, now: bigint): HeartbeatResult {
        const { epochs, genesis } = this.core;
        const interval = intervalOf(epochs, genesis, now);
        const nextIntervalAt = intervalStart(epochs, genesis, interval + 1n);
        if (liveness.lastInterval !== undefined && liveness.lastInterval >= interval) {
            return err({ TooSoon: { next_interval_at: nextIntervalAt } });
        }
        const epoch = epochOf(epochs, genesis, now);
        const beats = this.store.uptime(epoch, id) + 1;
        this.store.writeUptime(epoch, id, beats);
        const tally = this.store.tally(epoch);
        this.store.writeTally(epoch, {
            heartbeats: tally.heartbeats + 1n,
            points: tally.points + pointsAdded(epochs, BigInt(beats)),
            devices: tally.devices + (beats === 1 ? 1 : 0)
        });
        const moved = location !== undefined && location !== liveness.location;
        this.store.writeLiveness(id, {
            ...liveness,
            lastInterval: interval,
            lastHeartbeatAt: now,
            heartbeats: liveness.heartbeats + 1n,
            location: location ?? liveness.location,
            locationChanges: liveness.locationChanges + (moved ? 1 : 0)
        });
        const ack: HeartbeatAck = { epoch, beats_this_epoch: beats, next_interval_at: nextIntervalAt };
        return { Ok: ack };
    }

    // --- ownership ---

    /** The caller becomes the owner of an unowned device, with a claim the device signed naming the caller. */
    claimDevice(caller: Principal, device: Principal, proof: DeviceSignature): Outcome<null> {
        if (caller.isAnonymous()) return notAuthorized('the anonymous principal cannot own a device');
        const id = device.toUint8Array();
        const liveness = this.store.liveness(id);
        const stored = this.store.device(id);
        if (liveness === undefined || stored === undefined) return err({ UnknownDevice: { device } });
        if (liveness.status === 'Revoked') return err({ DeviceNotActive: { device, status: { Revoked: null } } });
        const [owner] = stored.owner;
        if (owner !== undefined) return err({ AlreadyOwned: { owner } });
        const ctx = {
            registry: this.effects.self,
            device,
            key: stored.key,
            lastNonce: liveness.lastNonce,
            now: this.effects.now()
        };
        const action = { action: 'claim_device', owner: caller } as const;
        const cheap = cheapProofError(ctx, action, proof);
        if (cheap !== undefined) return err(cheap);
        const key = device.toText();
        const failed = this.failedClaims.get(key);
        const windowEnds = failed === undefined ? 0n : failed.since + CLAIM_WINDOW_NS;
        if (failed !== undefined && failed.count >= MAX_FAILED_CLAIMS && ctx.now < windowEnds)
            return throttledClaim(
                `${MAX_FAILED_CLAIMS} failed claims of this device; it may be claimed again at ${windowEnds} ns`
            );
        const refused = signatureError(ctx, action, proof);
        if (refused !== undefined) {
            this.failedClaim(key, failed, ctx.now);
            return err(refused);
        }
        this.failedClaims.delete(key);
        this.store.writeLiveness(id, { ...liveness, lastNonce: proof.nonce });
        this.store.writeDevice(id, { ...stored, owner: [caller] });
        this.groups.add('owner', caller.toUint8Array(), id);
        return { Ok: null };
    }

    /** Counts a failed claim of a device, at O(1): the device moves to the most recent end of the table. */
    private failedClaim(key: string, failed: FailedClaims | undefined, now: bigint): void {
        const current = failed === undefined || now >= failed.since + CLAIM_WINDOW_NS ? { since: now, count: 0 } : failed;
        this.failedClaims.delete(key);
        this.failedClaims.set(key, { since: current.since, count: current.count + 1 });
        if (this.failedClaims.size > MAX_CLAIM_THROTTLED_DEVICES) {
            const [least] = this.failedClaims.keys();
            if (least !== undefined) this.failedClaims.delete(least);
        }
    }

    /** The device and its record, when the caller owns it. */
    private owned(caller: Principal, device: Principal): Outcome<StoredDevice> {
        const stored = this.store.device(device.toUint8Array());
        if (stored === undefined) return err({ UnknownDevice: { device } });
        const [owner] = stored.owner;
        if (owner === undefined || owner.compareTo(caller) !== 'eq') return notAuthorized('only the device owner may do this');
        return { Ok: stored };
    }

    /** Hands the device to a new owner: delegates are wiped and the beneficiary reset to the new owner. */
    transfer(caller: Principal, device: Principal, to: Principal): Outcome<null> {
        if (to.isAnonymous()) return invalid('a device cannot be transferred to the anonymous principal');
        const owned = this.owned(caller, device);
        if ('Err' in owned) return owned;
        const id = device.toUint8Array();
        this.store.writeDevice(id, { ...owned.Ok, owner: [to], delegates: [], beneficiary: [] });
        this.groups.move('owner', caller.toUint8Array(), to.toUint8Array(), id);
        return { Ok: null };
    }

    setBeneficiary(caller: Principal, device: Principal, beneficiary: Account | undefined): Outcome<null> {
        const owned = this.owned(caller, device);
        if ('Err' in owned) return owned;
        this.store.writeDevice(device.toUint8Array(), {
            ...owned.Ok,
            beneficiary: beneficiary === undefined ? [] : [beneficiary]
        });
        return { Ok: null };
    }

    addDelegate(caller: Principal, device: Principal, delegate: Principal, expiresAt: bigint): Outcome<null> {
        const owned = this.owned(caller, device);
        if ('Err' in owned) return owned;
        const now = this.effects.now();
        if (expiresAt <= now) return invalid('expires_at is in the past');
        const kept = owned.Ok.delegates.filter((d) => isLive(d, now) && d.principal.compareTo(delegate) !== 'eq');
        if (kept.length >= MAX_DELEGATES) return invalid(`a device has at most ${MAX_DELEGATES} delegates`);
        this.store.writeDevice(device.toUint8Array(), {
            ...owned.Ok,
            delegates: [...kept, { principal: delegate, expires_at: expiresAt }]
        });
        return { Ok: null };
    }

    removeDelegate(caller: Principal, device: Principal, delegate: Principal): Outcome<null> {
        const owned = this.owned(caller, device);
        if ('Err' in owned) return owned;
        const delegates = owned.Ok.delegates.filter((d) => d.principal.compareTo(delegate) !== 'eq');
        this.store.writeDevice(device.toUint8Array(), { ...owned.Ok, delegates });
        return { Ok: null };
    }

    /**
     * The role the caller holds over a device, or undefined (also for an unknown device): `inspect_message`
     * refuses owner and status methods from callers with none, before they cost the registry anything.
     */
    roleOver(caller: Principal, device: Principal): StatusAuthority | undefined {
        const stored = this.store.device(device.toUint8Array());
        return stored === undefined ? undefined : this.authorityOver(caller, stored, this.effects.now());
    }

    /** Whether the caller owns the device (false for an unknown device). */
    isOwner(caller: Principal, device: Principal): boolean {
        return 'Ok' in this.owned(caller, device);
    }

    /** The role the caller holds over a device, strongest first, or undefined. */
    private authorityOver(caller: Principal, stored: StoredDevice, now: bigint): StatusAuthority | undefined {
        if (this.effects.isController(caller)) return { Controller: null };
        // A revoked manufacturer has no authority left (revocation is final: a leaked issuing key must not be
        // able to kill its fleet); it falls through to the roles anyone else may hold.
        if (stored.manufacturer.compareTo(caller) === 'eq' && this.isActiveManufacturer(caller)) return { Manufacturer: null };
        const [owner] = stored.owner;
        if (owner !== undefined && owner.compareTo(caller) === 'eq') return { Owner: null };
        if (stored.delegates.some((d) => isLive(d, now) && d.principal.compareTo(caller) === 'eq')) return { Delegate: null };
        return undefined;
    }

    /**
     * Sets a device's status. Owners and their delegates may suspend and resume; the manufacturer and the
     * controllers may also revoke, which is final. A suspension by the manufacturer or a controller is lifted
     * only by one of them.
     */
    setStatus(caller: Principal, device: Principal, status: StatusKind, reason: string): Outcome<null> {
        const tooLong = textError('the reason', reason);
        if (tooLong !== undefined) return tooLong;
        const id = device.toUint8Array();
        const stored = this.store.device(id);
        const liveness = this.store.liveness(id);
        if (stored === undefined || liveness === undefined) return err({ UnknownDevice: { device } });
        const now = this.effects.now();
        const by = this.authorityOver(caller, stored, now);
        if (by === undefined)
            return notAuthorized('only the owner, a delegate, the manufacturer or a controller may set the status');
        const next = statusName(status);
        const owners = 'Owner' in by || 'Delegate' in by;
        if (liveness.status === 'Revoked') return notAuthorized('a revoked device stays revoked');
        if (next === 'Revoked' && owners) return notAuthorized('only the manufacturer or a controller may revoke a device');
        const setByIssuer = 'Manufacturer' in stored.status_by || 'Controller' in stored.status_by;
        // Any change by an owner or delegate, a repeated suspension too, is refused: it would rewrite `status_by`
        // and so let the next call resume what the manufacturer or a controller suspended.
        if (liveness.status === 'Suspended' && owners && setByIssuer) {
            return notAuthorized('the manufacturer or a controller suspended this device; only they may change its status');
        }
        this.store.writeDevice(id, { ...stored, status_reason: reason, status_changed_at: now, status_by: by });
        if (next !== liveness.status) {
            this.store.writeLiveness(id, { ...liveness, status: next });
            this.groups.move('status', statusGroup(liveness.status), statusGroup(next), id);
        }
        return { Ok: null };
    }

    // --- epochs and rewards ---

    /**
     * Closes ended epochs in order, crediting at most about `budget` devices (a closing spans as many calls as
     * it needs). Returns how many devices were credited and whether work remains.
     */
    closeEpochs(budget: number): { credited: number; remaining: boolean } {
        const now = this.effects.now();
        let credited = 0;
        let core = this.core;
        while (budget > 0) {
            let closing: Closing | undefined = core.closing[0];
            if (closing === undefined) {
                const epoch = core.next_epoch_to_close;
                if (now < epochEnd(core.epochs, core.genesis, epoch)) break;
                const { perPoint, capped } = rewardPerPoint(core.rewards, this.store.tally(epoch).points);
                closing = { epoch, per_point: perPoint, capped, devices_rewarded: 0, rewarded: 0n };
            }
            const requested = budget;
            const rows = this.store.oldestUptime(closing.epoch, requested);
            for (const row of rows) {
                const points = pointsOf(core.epochs, BigInt(row.beats));
                const liveness = this.store.liveness(row.device);
                if (points > 0n && liveness?.status === 'Active') {
                    // The counter is a u64 of the fixed liveness record: a reward that would pass 2^64 is cut to
                    // what fits, and only what is credited counts as rewarded. Throwing instead halted closing
                    // for good: the timer retried the same epoch forever (issue 21, finding 9).
                    const full: bigint = points * closing.per_point;
                    const reward = liveness.earned + full > U64_MAX ? U64_MAX - liveness.earned : full;
                    this.store.writeLiveness(row.device, { ...liveness, earned: liveness.earned + reward });
                    closing = { ...closing, devices_rewarded: closing.devices_rewarded + 1, rewarded: closing.rewarded + reward };
                }
                this.store.removeUptime(closing.epoch, row.device);
            }
            credited += rows.length;
            budget -= rows.length;
            if (rows.length === requested) {
                // the epoch may have more rows: the next call goes on from here
                core = { ...core, closing: [closing] };
                break;
            }
            budget -= 1; // the summary
            const tally = this.store.tally(closing.epoch);
            this.store.writeEpochSummary(this.summaryOf(closing, tally, now));
            this.store.removeTally(closing.epoch);
            core = {
                ...core,
                closing: [],
                next_epoch_to_close: closing.epoch + 1n,
                rewards_earned: core.rewards_earned + closing.rewarded
            };
        }
        if (core !== this.core) this.setCore(core);
        const [open] = core.closing;
        const remaining = open !== undefined || now >= epochEnd(core.epochs, core.genesis, core.next_epoch_to_close);
        return { credited, remaining };
    }

    private summaryOf(closing: Closing, tally: Tally, now: bigint): EpochSummary {
        return {
            epoch: closing.epoch,
            devices_seen: tally.devices,
            devices_rewarded: closing.devices_rewarded,
            heartbeats: tally.heartbeats,
            points: tally.points,
            reward_per_point: closing.per_point,
            rewarded: closing.rewarded,
            capped: closing.capped,
            closed_at: now
        };
    }

    epochSummary(epoch: bigint): EpochSummary | undefined {
        return this.store.epochSummary(epoch);
    }

    /**
     * Pays the devices' unclaimed rewards to their payout account (the beneficiary, or the owner's default
     * account), minted by the token. Cumulative: what was paid is recorded before the call to the token, so a
     * repeated or concurrent claim pays nothing twice; a failed payout is undone.
     */
    async claimRewards(
        caller: Principal,
        devices: readonly Principal[]
    ): Promise<Outcome<{ amount: bigint; to: Account; block_index: bigint }>> {
        if (devices.length === 0) return invalid('no devices');
        if (devices.length > MAX_CLAIM_DEVICES) return err({ BatchTooLarge: { max: MAX_CLAIM_DEVICES } });
        if (new Set(devices.map((d) => d.toText())).size !== devices.length) return invalid('a device is named twice');
        const [token] = this.core.token;
        if (token === undefined) return err({ PayoutFailed: { reason: 'the registry has no token to pay with' } });
        const now = this.effects.now();
        let to: Account | undefined;
        const amounts: { id: Uint8Array; amount: bigint }[] = [];
        for (const device of devices) {
            const id = device.toUint8Array();
            const stored = this.store.device(id);
            const liveness = this.store.liveness(id);
            if (stored === undefined || liveness === undefined) return err({ UnknownDevice: { device } });
            const payee = payoutAccount(stored);
            if (payee === undefined) return invalid(`device ${device.toText()} has no owner to pay`);
            const by = this.authorityOver(caller, stored, now);
            const isPayee = payee.owner.compareTo(caller) === 'eq';
            if (!isPayee && (by === undefined || 'Manufacturer' in by || 'Controller' in by)) {
                return notAuthorized("only the owner, a delegate or the beneficiary may claim a device's rewards");
            }
            if (to !== undefined && !sameAccount(to, payee))
                return invalid('the devices pay to different accounts; claim them separately');
            to = payee;
            amounts.push({ id, amount: liveness.earned - liveness.claimed });
        }
        const total = amounts.reduce((sum, a) => sum + a.amount, 0n);
        if (total === 0n || to === undefined) return err({ NothingToClaim: null });

        this.adjustClaimed(amounts, 1n);
        let paid: { Ok: bigint } | { Err: string };
        try {
            paid = await this.effects.mint(token, to, total);
        } catch (error) {
            paid = { Err: error instanceof Error ? error.message : String(error) };
        }
        if ('Err' in paid) {
            this.adjustClaimed(amounts, -1n);
            return err({ PayoutFailed: { reason: paid.Err } });
        }
        return { Ok: { amount: total, to, block_index: paid.Ok } };
    }

    /** Adds (sign 1) or takes back (sign -1) the amounts to the devices' paid counters and the registry's total. */
    private adjustClaimed(amounts: readonly { id: Uint8Array; amount: bigint }[], sign: bigint): void {
        let total = 0n;
        for (const { id, amount } of amounts) {
            const liveness = this.store.liveness(id) as Liveness;
            this.store.writeLiveness(id, { ...liveness, claimed: liveness.claimed + sign * amount });
            total += amount;
        }
        this.setCore({ ...this.core, rewards_claimed: this.core.rewards_claimed + sign * total });
    }

    // --- queries ---

    device(device: Principal): Device | undefined {
        const id = device.toUint8Array();
        const stored = this.store.device(id);
        const liveness = this.store.liveness(id);
        return stored === undefined || liveness === undefined ? undefined : deviceView(device, stored, liveness);
    }

    deviceByKey(key: DeviceKey): Device | undefined {
        const canonical = keyOf(key);
        return 'Err' in canonical ? undefined : this.device(canonical.Ok.id);
    }

    listDevices(args: ListDevicesArgs): Outcome<Device[]> {
        const take = Math.min(args.take[0] ?? DEFAULT_TAKE, MAX_TAKE);
        const [kind, group] = groupOf(args.filter);
        const page = this.groups.page(kind, group, args.prev[0]?.toUint8Array(), take);
        if (page === undefined) return invalid('prev is not in this listing');
        return { Ok: page.map((id) => this.device(Principal.fromUint8Array(id)) as Device) };
    }

    stats(): RegistryStats {
        const count = (status: StatusName) => BigInt(this.groups.count('status', statusGroup(status)));
        const [active, suspended, revoked] = [count('Active'), count('Suspended'), count('Revoked')];
        const core = this.core;
        return {
            devices: active + suspended + revoked,
            active,
            suspended,
            revoked,
            manufacturers: this.store.manufacturerCount(),
            current_epoch: epochOf(core.epochs, core.genesis, this.effects.now()),
            next_epoch_to_close: core.next_epoch_to_close,
            rewards_earned: core.rewards_earned,
            rewards_claimed: core.rewards_claimed
        };
    }
}

function groupOf(filter: ListDevicesArgs['filter']): ['owner' | 'manufacturer' | 'status', Uint8Array] {
    if ('Owner' in filter) return ['owner', filter.Owner.toUint8Array()];
    if ('Manufacturer' in filter) return ['manufacturer', filter.Manufacturer.toUint8Array()];
    return ['status', statusGroup(statusName(filter.Status))];
}

function payoutAccount(stored: StoredDevice): Account | undefined {
    const [beneficiary] = stored.beneficiary;
    if (beneficiary !== undefined) return beneficiary;
    const [owner] = stored.owner;
    return owner === undefined ? undefined : { owner, subaccount: [] };
}

function deviceView(id: Principal, stored: StoredDevice, liveness: Liveness): Device {
    return {
        id,
        key: stored.key,
        manufacturer: stored.manufacturer,
        registered_at: stored.registered_at,
        owner: stored.owner,
        beneficiary: stored.beneficiary,
        delegates: stored.delegates,
        status: {
            kind: statusKind(liveness.status),
            reason: stored.status_reason,
            changed_at: stored.status_changed_at,
            by: stored.status_by
        },
        last_nonce: liveness.lastNonce,
        last_heartbeat_at: liveness.lastHeartbeatAt === undefined ? [] : [liveness.lastHeartbeatAt],
        heartbeats: liveness.heartbeats,
        location: liveness.location === undefined ? [] : [liveness.location],
        location_changes: liveness.locationChanges,
        rewards_earned: liveness.earned,
        rewards_claimed: liveness.claimed
    };
}
