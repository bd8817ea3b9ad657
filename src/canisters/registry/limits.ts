/**
 * The registry's limits, each with the reason for its value. Signature checks dominate what a batch costs,
 * against 40B instructions for a whole update message on the IC. What a device in a batch costs, on the suite's
 * runtime (native checks) and on Azle's own template (JS checks, far dearer), is in
 * docs/benchmarks.md (`npm run bench`).
 */
import { NANOS_PER_SECOND } from '../../ic/constants';
import { usesNativeCrypto } from '../../ic/crypto';

/**
 * Devices per `register_devices` and heartbeats per `relay_heartbeats` call, for a runtime with or without
 * the native checks, each sized from the dearest device (docs/benchmarks.md: a P-256 proof natively; on the JS
 * path an Ed25519 registration, which pays its check and as much again to validate the key) so that a full
 * batch leaves room under the 40B limit for the rest of the message. The argument bound follows the batch.
 */
export function batchLimits(native: boolean): { readonly register: number; readonly relay: number; readonly argBytes: number } {
    return native ? { register: 500, relay: 500, argBytes: 160 * 1024 } : { register: 40, relay: 40, argBytes: 64 * 1024 };
}

const LIMITS = batchLimits(usesNativeCrypto);

/** Devices per `register_devices` call on this runtime (see {@link batchLimits}). */
export const MAX_REGISTER_BATCH = LIMITS.register;

/** Heartbeats per `relay_heartbeats` call on this runtime (see {@link batchLimits}). */
export const MAX_RELAY_BATCH = LIMITS.relay;

/** Devices per `claim_rewards` call: one mint pays them all; 100 keeps the call well inside its limits. */
export const MAX_CLAIM_DEVICES = 100;

/** ICRC-7's `max_take_value`: a page of 500 devices stays under the 3 MiB a query may reply. */
export const MAX_TAKE = 500;
export const DEFAULT_TAKE = 100;

/** Delegates per device: each one is stored in the device's record, read on every owner action. */
export const MAX_DELEGATES = 10;

/** Names and reasons are shown, not parsed: a bound keeps records small. */
export const MAX_TEXT_BYTES = 256;

const MINUTE = 60n * NANOS_PER_SECOND;

/**
 * How far ahead a signed message may expire, per action. A proof of possession is signed at the factory and
 * registered in a later batch (30 days); a claim is signed when the owner pairs the device (1 day); a relayed
 * heartbeat is buffered by a gateway for at most an hour. A short bound limits how long a leaked message is
 * worth anything.
 */
export const MAX_VALIDITY_NS = {
    register_device: 30n * 24n * 60n * MINUTE,
    claim_device: 24n * 60n * MINUTE,
    heartbeat: 60n * MINUTE
} as const;

/**
 * Failed claim signatures an unowned device allows per {@link CLAIM_WINDOW_NS}; past them, claims of the device
 * are refused before the check until the window ends. A claim's signer is a first-time owner, whom nothing
 * cheaper than the device's signature can tell from a stranger, so the check is bounded per device instead:
 * a stranger makes the registry verify at most this many bad claims per device and window (and the
 * sponsorship policy's cap on failed calls bounds them over all devices).
 */
export const MAX_FAILED_CLAIMS = 3;
export const CLAIM_WINDOW_NS = 60n * MINUTE;
/** Devices whose failed claims are remembered at once; the least recent is forgotten first. */
export const MAX_CLAIM_THROTTLED_DEVICES = 100_000;

/**
 * The largest argument an ingress message may carry, checked in inspect_message before decoding: a full
 * batch of registrations or relayed heartbeats (about 250 bytes each) fits; anything larger is refused unread.
 */
export const MAX_ARG_BYTES = LIMITS.argBytes;

/** Devices credited per message when an epoch closes: about 1,000 stable reads and writes, far under 40B. */
export const CLOSE_CHUNK = 1_000;

/** `list_manufacturers` returns at most this many: manufacturers are few, and a page of 1,000 fits a reply. */
export const MAX_MANUFACTURERS_LISTED = 1_000;
