/**
 * The checks on a message a device signed, cheapest first: the expiry and the nonce are compared before the
 * signature is verified (by far the dearest check: docs/benchmarks.md), so a stale or replayed message is refused
 * for almost nothing.
 */
import type { Principal } from '@dfinity/principal';

import { type CurveName, verifyDeviceSignature } from '../../ic/keys';
import { type DeviceAction, signedMessage } from './messages';
import type { DeviceKey, DeviceSignature, RegistryError } from './types';
import { MAX_VALIDITY_NS } from './limits';

export function curveName(key: DeviceKey): CurveName {
    return Object.keys(key.curve)[0] as CurveName;
}

export type ProofContext = {
    readonly registry: Principal;
    readonly device: Principal;
    /** The canonical key (see `canonicalKey`). */
    readonly key: DeviceKey;
    /** The device's last used nonce, or undefined before its registration (any nonce is then fresh). */
    readonly lastNonce: bigint | undefined;
    readonly now: bigint;
};

/** Why the device's signed message is refused, or undefined when it is good. */
export function proofError(ctx: ProofContext, action: DeviceAction, proof: DeviceSignature): RegistryError | undefined {
    return cheapProofError(ctx, action, proof) ?? signatureError(ctx, action, proof);
}

/** The checks that cost next to nothing: the expiry, and the nonce against the device's last. */
export function cheapProofError(ctx: ProofContext, action: DeviceAction, proof: DeviceSignature): RegistryError | undefined {
    if (proof.expires_at < ctx.now) return { SignatureExpired: { expires_at: proof.expires_at, now: ctx.now } };
    const maxExpiresAt = ctx.now + MAX_VALIDITY_NS[action.action];
    if (proof.expires_at > maxExpiresAt) return { ExpiryTooFar: { max_expires_at: maxExpiresAt } };
    if (ctx.lastNonce !== undefined && proof.nonce <= ctx.lastNonce) {
        return { NonceReused: { nonce: proof.nonce, last_nonce: ctx.lastNonce } };
    }
    return undefined;
}

/** The signature check itself, the dearest of the checks (its cost per curve is in docs/benchmarks.md). */
export function signatureError(ctx: ProofContext, action: DeviceAction, proof: DeviceSignature): RegistryError | undefined {
    const message = signedMessage({
        registry: ctx.registry,
        device: ctx.device,
        nonce: proof.nonce,
        expiresAt: proof.expires_at,
        ...action
    });
    if (!verifyDeviceSignature(curveName(ctx.key), ctx.key.public_key, message, proof.signature)) {
        return { InvalidSignature: null };
    }
    return undefined;
}
