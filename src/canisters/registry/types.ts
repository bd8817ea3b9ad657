/**
 * The device registry's types: manufacturers, devices (identified by their public key and its
 * self-authenticating principal), ownership, heartbeats, epochs and rewards, and one error type whose variants
 * name what went wrong. The registry's service, its clients and the demo all use these schemas.
 */
import type * as z from 'zod/mini';

import { c } from '../../candid';
import { Account } from '../../icrc/interface';

export const Curve = c.named('Curve', c.variant({ Ed25519: c.null(), Secp256k1: c.null(), P256: c.null() }));
export type Curve = z.infer<typeof Curve>;

/** A device's or a manufacturer's public key: 32 bytes (Ed25519), 33 or 65 (secp256k1, P-256). */
export const DeviceKey = c.named('DeviceKey', c.record({ curve: Curve, public_key: c.blob() }));
export type DeviceKey = z.infer<typeof DeviceKey>;

/** A signature by a device key over the message `messages.ts` defines for the action. */
export const DeviceSignature = c.named(
    'DeviceSignature',
    c.record({ nonce: c.nat64(), expires_at: c.nat64(), signature: c.blob() })
);
export type DeviceSignature = z.infer<typeof DeviceSignature>;

export const StatusKind = c.named('StatusKind', c.variant({ Active: c.null(), Suspended: c.null(), Revoked: c.null() }));
export type StatusKind = z.infer<typeof StatusKind>;

/** Who set a device's status: an owner may suspend and resume; controllers and the manufacturer may revoke. */
export const StatusAuthority = c.named(
    'StatusAuthority',
    c.variant({ Registration: c.null(), Owner: c.null(), Delegate: c.null(), Manufacturer: c.null(), Controller: c.null() })
);
export type StatusAuthority = z.infer<typeof StatusAuthority>;

export const DeviceStatus = c.named(
    'DeviceStatus',
    c.record({ kind: StatusKind, reason: c.text(), changed_at: c.nat64(), by: StatusAuthority })
);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

export const Delegate = c.named('Delegate', c.record({ principal: c.principal(), expires_at: c.nat64() }));
export type Delegate = z.infer<typeof Delegate>;

export const Device = c.named(
    'Device',
    c.record({
        /** The device's self-authenticating principal: the IC's name for whoever signs with its key. */
        id: c.principal(),
        key: DeviceKey,
        manufacturer: c.principal(),
        registered_at: c.nat64(),
        owner: c.opt(c.principal()),
        /** Where rewards are paid; the owner's default account when unset. */
        beneficiary: c.opt(Account),
        delegates: c.vec(Delegate),
        status: DeviceStatus,
        /** The highest nonce the device has signed with; a message must carry a higher one. */
        last_nonce: c.nat64(),
        last_heartbeat_at: c.opt(c.nat64()),
        /** Heartbeats counted (at most one per interval), over the device's life. */
        heartbeats: c.nat64(),
        /** The last H3 cell the device reported, and how many times it changed. */
        location: c.opt(c.nat64()),
        location_changes: c.nat32(),
        rewards_earned: c.nat(),
        rewards_claimed: c.nat()
    })
);
export type Device = z.infer<typeof Device>;

export const ManufacturerStatus = c.named(
    'ManufacturerStatus',
    c.variant({ Active: c.null(), Revoked: c.record({ reason: c.text(), at: c.nat64() }) })
);

export const Manufacturer = c.named(
    'Manufacturer',
    c.record({
        /** The principal of the issuing key: the manufacturer signs its registration calls with that key. */
        id: c.principal(),
        name: c.text(),
        issuing_key: DeviceKey,
        /** How many devices it may register in all. */
        quota: c.nat64(),
        /** How many it registered (kept as a counter: O(1)). */
        registered: c.nat64(),
        status: ManufacturerStatus,
        added_at: c.nat64()
    })
);
export type Manufacturer = z.infer<typeof Manufacturer>;

export const RegistryError = c.named(
    'RegistryError',
    c.variant({
        /** The caller may not do this; the reason says who may. */
        NotAuthorized: c.record({ reason: c.text() }),
        InvalidArgument: c.record({ reason: c.text() }),
        InvalidKey: c.record({ reason: c.text() }),
        UnknownManufacturer: c.record({ manufacturer: c.principal() }),
        ManufacturerRevoked: c.record({ reason: c.text() }),
        QuotaExhausted: c.record({ quota: c.nat64() }),
        AlreadyRegistered: c.record({ device: c.principal() }),
        UnknownDevice: c.record({ device: c.principal() }),
        DeviceNotActive: c.record({ device: c.principal(), status: StatusKind }),
        AlreadyOwned: c.record({ owner: c.principal() }),
        InvalidSignature: c.null(),
        /** The signed message's expiry has passed. */
        SignatureExpired: c.record({ expires_at: c.nat64(), now: c.nat64() }),
        /** The signed message's expiry is further ahead than the action allows. */
        ExpiryTooFar: c.record({ max_expires_at: c.nat64() }),
        /** The nonce is not above the device's last one: a replay, or a message older than one already used. */
        NonceReused: c.record({ nonce: c.nat64(), last_nonce: c.nat64() }),
        /** A heartbeat already counted in this interval. */
        TooSoon: c.record({ next_interval_at: c.nat64() }),
        BatchTooLarge: c.record({ max: c.nat32() }),
        NothingToClaim: c.null(),
        /** The token refused or did not answer the payout; nothing was marked paid. */
        PayoutFailed: c.record({ reason: c.text() }),
        /** The sponsorship policy refused the caller (quota, deny list, anonymous). */
        Throttled: c.record({ reason: c.text() })
    })
);
export type RegistryError = z.infer<typeof RegistryError>;

function result<S extends Parameters<typeof c.variant>[0]['Ok']>(name: string, ok: S) {
    return c.named(name, c.variant({ Ok: ok, Err: RegistryError }));
}

export const RegistryResult = result('RegistryResult', c.null());
export type RegistryResult = z.infer<typeof RegistryResult>;
export const DeviceResult = result('DeviceResult', c.principal());
export type DeviceResult = z.infer<typeof DeviceResult>;
export const ManufacturerResult = result('ManufacturerResult', c.principal());
export type ManufacturerResult = z.infer<typeof ManufacturerResult>;

export const HeartbeatAck = c.named(
    'HeartbeatAck',
    c.record({ epoch: c.nat64(), beats_this_epoch: c.nat32(), next_interval_at: c.nat64() })
);
export type HeartbeatAck = z.infer<typeof HeartbeatAck>;
export const HeartbeatResult = result('HeartbeatResult', HeartbeatAck);
export type HeartbeatResult = z.infer<typeof HeartbeatResult>;

export const BatchResult = c.named('BatchResult', c.variant({ Ok: c.vec(DeviceResult), Err: RegistryError }));
export type BatchResult = z.infer<typeof BatchResult>;
export const RelayResult = c.named('RelayResult', c.variant({ Ok: c.vec(HeartbeatResult), Err: RegistryError }));
export type RelayResult = z.infer<typeof RelayResult>;

export const AddManufacturerArgs = c.named(
    'AddManufacturerArgs',
    c.record({ name: c.text(), issuing_key: DeviceKey, quota: c.nat64() })
);
export type AddManufacturerArgs = z.infer<typeof AddManufacturerArgs>;

/** One device to register: its key and its proof of possession (a `register_device` message it signed). */
export const DeviceRegistration = c.named('DeviceRegistration', c.record({ key: DeviceKey, proof: DeviceSignature }));
export type DeviceRegistration = z.infer<typeof DeviceRegistration>;

/** A heartbeat a gateway relays: signed by the device, with the location it reports. */
export const RelayedHeartbeat = c.named(
    'RelayedHeartbeat',
    c.record({ device: c.principal(), location: c.opt(c.nat64()), proof: DeviceSignature })
);
export type RelayedHeartbeat = z.infer<typeof RelayedHeartbeat>;

export const HeartbeatArgs = c.named('HeartbeatArgs', c.record({ location: c.opt(c.nat64()) }));
export type HeartbeatArgs = z.infer<typeof HeartbeatArgs>;

export const ClaimDeviceArgs = c.named('ClaimDeviceArgs', c.record({ device: c.principal(), proof: DeviceSignature }));
export type ClaimDeviceArgs = z.infer<typeof ClaimDeviceArgs>;

export const TransferDeviceArgs = c.named('TransferDeviceArgs', c.record({ device: c.principal(), to: c.principal() }));
export const SetBeneficiaryArgs = c.named('SetBeneficiaryArgs', c.record({ device: c.principal(), beneficiary: c.opt(Account) }));
export const AddDelegateArgs = c.named(
    'AddDelegateArgs',
    c.record({ device: c.principal(), delegate: c.principal(), expires_at: c.nat64() })
);
export const RemoveDelegateArgs = c.named('RemoveDelegateArgs', c.record({ device: c.principal(), delegate: c.principal() }));
export const SetStatusArgs = c.named('SetStatusArgs', c.record({ device: c.principal(), status: StatusKind, reason: c.text() }));

export const DeviceRef = c.named('DeviceRef', c.variant({ Id: c.principal(), Key: DeviceKey }));
export type DeviceRef = z.infer<typeof DeviceRef>;

export const DeviceFilter = c.named(
    'DeviceFilter',
    c.variant({ Owner: c.principal(), Manufacturer: c.principal(), Status: StatusKind })
);
export type DeviceFilter = z.infer<typeof DeviceFilter>;

/** ICRC-7's paging: the devices after `prev` in the listing's order, at most `take` (and at most the maximum). */
export const ListDevicesArgs = c.named(
    'ListDevicesArgs',
    c.record({ filter: DeviceFilter, prev: c.opt(c.principal()), take: c.opt(c.nat32()) })
);
export type ListDevicesArgs = z.infer<typeof ListDevicesArgs>;

export const ClaimRewardsArgs = c.named('ClaimRewardsArgs', c.record({ devices: c.vec(c.principal()) }));
export const RewardPayout = c.named('RewardPayout', c.record({ amount: c.nat(), to: Account, block_index: c.nat() }));
export const ClaimRewardsResult = result('ClaimRewardsResult', RewardPayout);
export type ClaimRewardsResult = z.infer<typeof ClaimRewardsResult>;

/**
 * The reward rule's settings. The interval, the epoch length and the uptime gate fix what a heartbeat counts
 * for, so they are set at install and never change; the amounts and the cap may change between epochs.
 */
export const EpochSettings = c.named(
    'EpochSettings',
    c.record({
        heartbeat_interval_seconds: c.nat64(),
        epoch_seconds: c.nat64(),
        /** Devices below this uptime in an epoch earn nothing for it (an activity gate, as XNET and IoTeX use). */
        min_uptime_percent: c.nat8()
    })
);
export type EpochSettings = z.infer<typeof EpochSettings>;

export const RewardSettings = c.named(
    'RewardSettings',
    c.record({
        /** Token units per counted heartbeat. */
        reward_per_heartbeat: c.nat(),
        /** The circuit breaker: an epoch pays at most this much; above it every device's reward is cut pro rata. */
        epoch_cap: c.nat()
    })
);
export type RewardSettings = z.infer<typeof RewardSettings>;

export const RegistryInit = c.named(
    'RegistryInit',
    c.record({
        /** The ICRC-1 ledger that pays rewards; the registry must be its minting account. */
        token: c.opt(c.principal()),
        epochs: EpochSettings,
        rewards: RewardSettings
    })
);
export type RegistryInit = z.infer<typeof RegistryInit>;

export const EpochSummary = c.named(
    'EpochSummary',
    c.record({
        epoch: c.nat64(),
        devices_seen: c.nat32(),
        devices_rewarded: c.nat32(),
        heartbeats: c.nat64(),
        points: c.nat64(),
        reward_per_point: c.nat(),
        rewarded: c.nat(),
        capped: c.bool(),
        closed_at: c.nat64()
    })
);
export type EpochSummary = z.infer<typeof EpochSummary>;

export const RegistryStats = c.named(
    'RegistryStats',
    c.record({
        devices: c.nat64(),
        active: c.nat64(),
        suspended: c.nat64(),
        revoked: c.nat64(),
        manufacturers: c.nat64(),
        current_epoch: c.nat64(),
        /** Epochs before this one are closed and their rewards credited. */
        next_epoch_to_close: c.nat64(),
        rewards_earned: c.nat(),
        rewards_claimed: c.nat()
    })
);
export type RegistryStats = z.infer<typeof RegistryStats>;

export const RegistryConfig = c.named(
    'RegistryConfig',
    c.record({
        token: c.opt(c.principal()),
        epochs: EpochSettings,
        rewards: RewardSettings,
        genesis: c.nat64(),
        gateways: c.vec(c.principal())
    })
);
export type RegistryConfig = z.infer<typeof RegistryConfig>;
