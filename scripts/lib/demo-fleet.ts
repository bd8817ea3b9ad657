/**
 * Who is who in the demo (`scripts/lib/demo.ts`), in one place, so that the examples can find the demo's devices
 * and owners as the demo made them: device i is named `demo device i`, its secret key the SHA-256 of that name,
 * its curve set by its place in every 20 (the curve mix of a fleet); owner n is seeded identity 0x40 + n and
 * owns devices 20n to 20n + 19.
 */
import type { Ed25519KeyIdentity } from '@dfinity/identity';

import type { CurveName } from '../../src/ic/keys';
import { seededIdentity } from './identities';

export const DEMO_DEVICES = 1_000;
export const DEMO_OWNERS = 50;
const DEMO_OWNER_SEED = 0x40;

/** The name device `i` of the demo derives its key from. */
export function demoDeviceName(i: number): string {
    return `demo device ${i}`;
}

/** The curve of demo device `i`: 0-11 of every 20 are Ed25519, 12-16 secp256k1, 17-19 P-256. */
export function demoDeviceCurve(i: number): CurveName {
    const r = i % 20;
    return r < 12 ? 'Ed25519' : r < 17 ? 'Secp256k1' : 'P256';
}

/** The index of a demo device from its name, or undefined for a name the demo does not use. */
export function demoDeviceIndex(name: string): number | undefined {
    const match = /^demo device (\d+)$/.exec(name);
    const i = match === null ? undefined : Number(match[1]);
    return i !== undefined && i < DEMO_DEVICES && `${i}` === match?.[1] ? i : undefined;
}

/** Owner `n` of the demo (0 to DEMO_OWNERS - 1). */
export function demoOwner(n: number): Ed25519KeyIdentity {
    if (!Number.isInteger(n) || n < 0 || n >= DEMO_OWNERS) throw new RangeError(`the demo has owners 0 to ${DEMO_OWNERS - 1}`);
    return seededIdentity(DEMO_OWNER_SEED + n);
}
