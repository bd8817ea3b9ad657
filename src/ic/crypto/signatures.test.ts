import { ed25519 } from '@noble/curves/ed25519';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';
import { sha256 } from '@noble/hashes/sha2';
import fc from 'fast-check';

import { allSignatureCases, type Curve, keyCases, RFC8032_VECTORS } from '../../../test/support/signature-cases';
import { canonicalKey } from '../keys';
import { jsEd25519Verify, jsP256EcdsaVerify, jsSecp256k1EcdsaVerify } from './signatures';

const JS: Record<Curve, (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean> = {
    Ed25519: jsEd25519Verify,
    Secp256k1: jsSecp256k1EcdsaVerify,
    P256: jsP256EcdsaVerify
};

describe('the JS signature checks (the fallback path)', () => {
    it("sign RFC 8032 test vectors 1–3 as @noble/curves does (the vectors are the RFC's)", () => {
        for (const [secret, key, message, signature] of RFC8032_VECTORS) {
            expect(Buffer.from(ed25519.getPublicKey(Buffer.from(secret, 'hex'))).toString('hex')).toBe(key);
            expect(Buffer.from(ed25519.sign(Buffer.from(message, 'hex'), Buffer.from(secret, 'hex'))).toString('hex')).toBe(
                signature
            );
        }
    });

    it.each(allSignatureCases().map((c) => [c.name, c] as const))('answer the policy on %s', (_, c) => {
        expect(JS[c.curve](c.key, c.message, c.signature)).toBe(c.valid);
    });

    it('verify what each curve signs, and nothing once a byte of the message changes', () => {
        const signers = {
            Ed25519: (secret: Uint8Array, m: Uint8Array) => ({ key: ed25519.getPublicKey(secret), sig: ed25519.sign(m, secret) }),
            Secp256k1: (secret: Uint8Array, m: Uint8Array) => ({
                key: secp256k1.getPublicKey(secret, false),
                sig: secp256k1.sign(sha256(m), secret, { prehash: false }).toCompactRawBytes()
            }),
            P256: (secret: Uint8Array, m: Uint8Array) => ({
                key: p256.getPublicKey(secret, true),
                sig: p256.sign(sha256(m), secret, { prehash: false }).toCompactRawBytes()
            })
        } as const;
        fc.assert(
            fc.property(
                fc.constantFrom<Curve>('Ed25519', 'Secp256k1', 'P256'),
                fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((s) => s.some((b) => b !== 0)),
                fc.uint8Array({ minLength: 1, maxLength: 300 }),
                fc.nat(),
                (curve, secret, message, at) => {
                    const { key, sig } = signers[curve](secret, message);
                    const other = message.slice();
                    other[at % other.length] = (other[at % other.length] as number) ^ 0x80;
                    return JS[curve](key, message, sig) && !JS[curve](key, other, sig);
                }
            ),
            { numRuns: 60 }
        );
    });

    it.each(keyCases().map((c) => [c.name, c] as const))('give the key %s its canonical form, or refuse it', (_, c) => {
        if (c.canonical === undefined) expect(() => canonicalKey(c.curve, c.key)).toThrow();
        else expect(Buffer.from(canonicalKey(c.curve, c.key)).toString('hex')).toBe(Buffer.from(c.canonical).toString('hex'));
    });

    it('answer false, never throw, on bytes of any length', () => {
        fc.assert(
            fc.property(
                fc.constantFrom<Curve>('Ed25519', 'Secp256k1', 'P256'),
                fc.uint8Array({ maxLength: 70 }),
                fc.uint8Array({ maxLength: 70 }),
                fc.uint8Array({ maxLength: 70 }),
                (curve, key, message, signature) => JS[curve](key, message, signature) === false
            ),
            { numRuns: 300 }
        );
    });
});
