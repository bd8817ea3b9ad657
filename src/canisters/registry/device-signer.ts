/**
 * A device's side of the registry, for firmware simulators, gateways, tests and the demo: it holds the
 * device's secret key and its nonce counter and signs the messages `messages.ts` defines. (A canister
 * never holds a device's secret key; this module runs in clients.)
 */
import { type DerEncodedPublicKey, type PublicKey, type Signature, SignIdentity } from '@dfinity/agent';
import type { Principal } from '@dfinity/principal';

import { type CurveName, derOf, devicePrincipal, publicKeyOf, signAsDevice } from '../../ic/keys';
import { signedMessage, type SignedMessageFields } from './messages';
import type { ClaimDeviceArgs, DeviceKey, DeviceRegistration, DeviceSignature, RelayedHeartbeat } from './types';

export class DeviceSigner {
    readonly publicKey: Uint8Array;
    readonly id: Principal;
    /** The next nonce this device signs with; each message uses a higher one. */
    nonce = 1n;

    constructor(
        readonly curve: CurveName,
        private readonly secretKey: Uint8Array,
        /** The registry canister the device's messages are for. */
        readonly registry: Principal
    ) {
        this.publicKey = publicKeyOf(curve, secretKey);
        this.id = devicePrincipal(curve, this.publicKey);
    }

    get key(): DeviceKey {
        return { curve: { [this.curve]: null } as DeviceKey['curve'], public_key: this.publicKey };
    }

    /** The signature over the message `fields` define. */
    private sign(fields: SignedMessageFields): DeviceSignature {
        const signature = signAsDevice(this.curve, this.secretKey, signedMessage(fields));
        return { nonce: fields.nonce, expires_at: fields.expiresAt, signature };
    }

    /** What every message of this device names: the registry, the device, the next nonce and the expiry. */
    private envelope(expiresAt: bigint) {
        return { registry: this.registry, device: this.id, nonce: this.nonce++, expiresAt };
    }

    /** The proof of possession a manufacturer registers the device with. */
    registration(manufacturer: Principal, expiresAt: bigint): DeviceRegistration {
        return { key: this.key, proof: this.sign({ action: 'register_device', manufacturer, ...this.envelope(expiresAt) }) };
    }

    /** A claim naming `owner`, which the owner submits. */
    claim(owner: Principal, expiresAt: bigint): ClaimDeviceArgs {
        return { device: this.id, proof: this.sign({ action: 'claim_device', owner, ...this.envelope(expiresAt) }) };
    }

    /**
     * The device as an @dfinity/agent identity: the calls it makes itself (a heartbeat as its own principal)
     * are signed with its key, on any of the three curves.
     */
    identity(): SignIdentity {
        return new DeviceIdentity(this.curve, this.secretKey, this.publicKey);
    }

    /** A heartbeat for a gateway to relay. */
    heartbeat(expiresAt: bigint, location?: bigint): RelayedHeartbeat {
        const proof = this.sign({ action: 'heartbeat', location, ...this.envelope(expiresAt) });
        return { device: this.id, location: location === undefined ? [] : [location], proof };
    }
}

/** An agent identity over a device key: the IC's ingress signature is the device's signature of the request. */
class DeviceIdentity extends SignIdentity {
    private readonly publicKey: PublicKey;

    constructor(
        private readonly curve: CurveName,
        private readonly secretKey: Uint8Array,
        rawKey: Uint8Array
    ) {
        super();
        const derKey = derOf(curve, rawKey) as DerEncodedPublicKey;
        this.publicKey = { rawKey, derKey, toDer: () => derKey };
    }

    getPublicKey(): PublicKey {
        return this.publicKey;
    }

    async sign(blob: Uint8Array): Promise<Signature> {
        return signAsDevice(this.curve, this.secretKey, blob) as Signature;
    }
}
