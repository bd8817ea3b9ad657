/**
 * Authentication of an HTTP request to the IC (interface specification, "Authentication" and "Request ids"):
 * the envelope's content, the key that signed it and the delegations between that key and the sender.
 *
 * A request is accepted when its `ingress_expiry` lies within the window the replica allows, its sender is
 * the anonymous principal (no key, no signature) or the self-authenticating principal of `sender_pubkey`,
 * every delegation is signed by the key before it, unexpired and (when it names targets) names the canister,
 * and the last key signed the request id. Keys are Ed25519, secp256k1 or P-256 (what @dfinity/identity and
 * WebCrypto make); the IC's canister signatures (Internet Identity's) are not verified here: see
 * docs/local-ic.md.
 */
import { hashOfMap, IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, IC_REQUEST_DOMAIN_SEPARATOR, requestIdOf } from '@dfinity/agent';
import { Principal } from '@dfinity/principal';

import { NANOS_PER_SECOND, PERMITTED_DRIFT_NS } from '../ic/constants';
import { keyOfDer, verifyDeviceSignature } from '../ic/keys';

/** How far ahead an ingress expiry may be: the replica's 5-minute TTL plus the clock drift it permits. */
export const MAX_INGRESS_TTL_NS = 5n * 60n * NANOS_PER_SECOND;
/** The longest delegation chain the replica accepts, and the most targets one delegation may name. */
export const MAX_DELEGATIONS = 20;
export const MAX_DELEGATION_TARGETS = 1_000;

export type RequestType = 'call' | 'query' | 'read_state';

/** The fields of a request's content this network reads; the request id covers all of them. */
export type RequestContent = {
    readonly request_type: RequestType;
    readonly sender: Uint8Array;
    readonly ingress_expiry: bigint | number;
    readonly canister_id?: Uint8Array;
    readonly method_name?: string;
    readonly arg?: Uint8Array;
    readonly paths?: Uint8Array[][];
    readonly nonce?: Uint8Array;
};

type SignedDelegation = {
    readonly delegation: { readonly pubkey: Uint8Array; readonly expiration: bigint | number; readonly targets?: Uint8Array[] };
    readonly signature: Uint8Array;
};

export type Envelope = {
    readonly content: RequestContent;
    readonly sender_pubkey?: Uint8Array;
    readonly sender_sig?: Uint8Array;
    readonly sender_delegation?: SignedDelegation[];
};

/** A request the network refuses, with the HTTP status and the text the replica would answer. */
export class InvalidRequestError extends Error {
    override readonly name = 'InvalidRequestError';
    constructor(
        readonly status: 400 | 403,
        message: string
    ) {
        super(message);
    }
}

export type AuthenticatedRequest = {
    readonly content: RequestContent;
    readonly requestId: Uint8Array;
    readonly sender: Principal;
};

const ANONYMOUS = Principal.anonymous();

/**
 * Checks an envelope for a request of `type` at time `nowNs`, addressed to `effectiveCanisterId`; returns its
 * content, request id and sender, or throws an {@link InvalidRequestError}.
 */
export function authenticate(
    envelope: Envelope,
    type: RequestType,
    nowNs: bigint,
    effectiveCanisterId: Principal | undefined
): AuthenticatedRequest {
    const { content } = envelope;
    if (typeof content !== 'object' || content === null) throw new InvalidRequestError(400, 'the envelope has no content');
    if (content.request_type !== type) {
        throw new InvalidRequestError(400, `a ${type} endpoint got a ${String(content.request_type)} request`);
    }
    checkExpiry(BigInt(content.ingress_expiry), nowNs);
    if (!(content.sender instanceof Uint8Array)) throw new InvalidRequestError(400, 'the request has no sender');
    const sender = Principal.fromUint8Array(content.sender);
    const requestId = requestIdOf(content as unknown as Record<string, unknown>);
    if (sender.compareTo(ANONYMOUS) === 'eq') {
        if (envelope.sender_pubkey !== undefined || envelope.sender_sig !== undefined) {
            throw new InvalidRequestError(400, 'an anonymous request carries no key and no signature');
        }
        return { content, requestId, sender };
    }
    const { sender_pubkey: publicKey, sender_sig: signature } = envelope;
    if (publicKey === undefined || signature === undefined) {
        throw new InvalidRequestError(400, `the request from ${sender.toText()} is not signed`);
    }
    if (Principal.selfAuthenticating(publicKey).compareTo(sender) !== 'eq') {
        throw new InvalidRequestError(
            400,
            `the sender ${sender.toText()} is not the principal of the key that signed the request ` +
                `(${Principal.selfAuthenticating(publicKey).toText()})`
        );
    }
    // Delegation targets name the canisters a request may be sent to: its `canister_id`, the management
    // canister's for a management call (not the canister the call is about), as the IC checks them.
    const target = content.canister_id !== undefined ? Principal.fromUint8Array(content.canister_id) : effectiveCanisterId;
    const signer = followDelegations(publicKey, envelope.sender_delegation ?? [], nowNs, target);
    if (!verifies(signer, IC_REQUEST_DOMAIN_SEPARATOR, requestId, signature)) {
        throw new InvalidRequestError(400, `the signature of request 0x${Buffer.from(requestId).toString('hex')} is not valid`);
    }
    return { content, requestId, sender };
}

/** The replica's rule and wording (the agent recognises the prefix and re-synchronises its clock). */
function checkExpiry(expiry: bigint, nowNs: bigint): void {
    const max = nowNs + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS;
    if (expiry < nowNs || expiry > max) {
        throw new InvalidRequestError(
            400,
            `Invalid request expiry: Specified ingress_expiry not within expected range: ` +
                `Minimum allowed expiry: ${nowNs}, Maximum allowed expiry: ${max}, Provided expiry: ${expiry}`
        );
    }
}

/** Walks the delegation chain from the sender's key; returns the key that must have signed the request. */
function followDelegations(
    senderKey: Uint8Array,
    chain: readonly SignedDelegation[],
    nowNs: bigint,
    target: Principal | undefined
): Uint8Array {
    if (chain.length > MAX_DELEGATIONS) {
        throw new InvalidRequestError(
            400,
            `a delegation chain holds at most ${MAX_DELEGATIONS} delegations, not ${chain.length}`
        );
    }
    const seen = new Set<string>([Buffer.from(senderKey).toString('hex')]);
    let signer = senderKey;
    for (const [i, { delegation, signature }] of chain.entries()) {
        if (!verifies(signer, IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, hashOfMap(delegation), signature)) {
            throw new InvalidRequestError(400, `delegation ${i} is not signed by the key before it`);
        }
        if (BigInt(delegation.expiration) < nowNs) throw new InvalidRequestError(400, `delegation ${i} has expired`);
        const { targets } = delegation;
        if (targets !== undefined) {
            if (targets.length > MAX_DELEGATION_TARGETS) {
                throw new InvalidRequestError(400, `delegation ${i} names more than ${MAX_DELEGATION_TARGETS} targets`);
            }
            const allowed = target !== undefined && targets.some((t) => Principal.fromUint8Array(t).compareTo(target) === 'eq');
            if (!allowed)
                throw new InvalidRequestError(
                    403,
                    `delegation ${i} does not allow calls to ${target?.toText() ?? 'this canister'}`
                );
        }
        const key = Buffer.from(delegation.pubkey).toString('hex');
        if (seen.has(key)) throw new InvalidRequestError(400, `delegation ${i} repeats a key of the chain (a cycle)`);
        seen.add(key);
        signer = delegation.pubkey;
    }
    return signer;
}

function verifies(derKey: Uint8Array, domain: Uint8Array, hash: Uint8Array, signature: Uint8Array): boolean {
    const key = keyOfDer(derKey);
    if (key === undefined) return false;
    return verifyDeviceSignature(key.curve, key.key, Buffer.concat([domain, hash]), signature);
}
