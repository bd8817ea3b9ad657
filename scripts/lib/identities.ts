/**
 * Deterministic identities for scripts, tests and benchmarks: the same seed gives the same principal on every
 * run, so output and failures can be compared. Never for real keys.
 */
import { Ed25519KeyIdentity } from '@dfinity/identity';

/** The Ed25519 identity whose 32-byte seed is `seed` repeated. */
export function seededIdentity(seed: number): Ed25519KeyIdentity {
    return Ed25519KeyIdentity.generate(new Uint8Array(32).fill(seed));
}
