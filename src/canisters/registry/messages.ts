/**
 * The messages devices sign for the registry, shared by the registry (which verifies) and by clients, gateways
 * and the demo (which sign): one definition of the bytes, so the two ends cannot drift apart.
 */
import { concat } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { u64be } from '../../ic/bytes';

/** Domain separator: no message signed for the registry can be mistaken for an IC request or anything else. */
export const SIGNING_DOMAIN = 'icp-depin-registry/v1';

const utf8 = new TextEncoder();

/** A field led by its length, so that concatenated fields cannot run into each other. */
function field(bytes: Uint8Array): Uint8Array {
    return concat(Uint8Array.of(bytes.length), bytes);
}

/** What a device authorizes with a signature; each action's message names what the action needs bound. */
export type DeviceAction =
    | { readonly action: 'register_device'; readonly manufacturer: Principal }
    | { readonly action: 'claim_device'; readonly owner: Principal }
    | { readonly action: 'heartbeat'; readonly location: bigint | undefined };

export type SignedMessageFields = {
    /** The registry canister: a signature for one registry is worthless at another. */
    readonly registry: Principal;
    readonly device: Principal;
    /** Above the device's last used nonce: a message is accepted once. */
    readonly nonce: bigint;
    /** Nanoseconds since the epoch, after which the registry refuses the message. */
    readonly expiresAt: bigint;
} & DeviceAction;

/**
 * The bytes a device signs:
 * `len ‖ "icp-depin-registry/v1" ‖ len ‖ action ‖ len ‖ registry ‖ len ‖ device ‖ nonce u64 BE ‖ expires_at u64 BE ‖ bound`,
 * where `bound` is `len ‖ manufacturer` (register_device), `len ‖ owner` (claim_device) or a location flag
 * byte followed by the H3 cell u64 BE when the flag is 1 (heartbeat). docs/registry.md spells it out for
 * firmware written in other languages.
 */
export function signedMessage(fields: SignedMessageFields): Uint8Array {
    let bound: Uint8Array;
    if (fields.action === 'register_device') bound = field(fields.manufacturer.toUint8Array());
    else if (fields.action === 'claim_device') bound = field(fields.owner.toUint8Array());
    else bound = fields.location === undefined ? Uint8Array.of(0) : concat(Uint8Array.of(1), u64be(fields.location));
    return concat(
        field(utf8.encode(SIGNING_DOMAIN)),
        field(utf8.encode(fields.action)),
        field(fields.registry.toUint8Array()),
        field(fields.device.toUint8Array()),
        u64be(fields.nonce),
        u64be(fields.expiresAt),
        bound
    );
}
