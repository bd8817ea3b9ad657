/**
 * Time and integer constants of the IC that more than one part of the suite needs, in one place so that no two
 * copies can drift apart.
 */

/** Nanoseconds in a second: the IC's clock (`ic0.time`) counts nanoseconds since the epoch. */
export const NANOS_PER_SECOND = 1_000_000_000n;

/** The largest value of a Candid `nat64`. */
export const U64_MAX = 2n ** 64n - 1n;

/**
 * How far a caller's clock may run ahead of the IC's (`ic_limits::PERMITTED_DRIFT`: 60 s): the replica allows it
 * on ingress expiry, and the ledgers and the wallet on `created_at_time`.
 */
export const PERMITTED_DRIFT_NS = 60n * NANOS_PER_SECOND;
