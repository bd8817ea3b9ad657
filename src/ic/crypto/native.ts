/**
 * The suite's native functions: Rust (`azle-runtime/crypto/`) registered on `globalThis._azleIc`, the object
 * Azle's runtime gives canister code, when the canister runs on the suite's runtime (`azle-runtime/`, built by
 * `npm run build:runtime`). A canister built with stock Azle (dfx with Azle's extension) has `_azleIc`
 * without them, and Node has no `_azleIc`: there `nativeCrypto()` is undefined and `./index.ts` falls back to
 * the JS implementations, which apply the same rules.
 *
 * Every function takes `Uint8Array`s; a check answers `false` to any input it refuses and never traps.
 */
export type NativeCrypto = {
    /** SHA-256 (FIPS 180-4): 32 bytes. */
    readonly suiteSha256: (data: Uint8Array) => Uint8Array;
    /** SHA-224 (FIPS 180-4): 28 bytes. */
    readonly suiteSha224: (data: Uint8Array) => Uint8Array;
    /** Ed25519 under the suite's policy (see `ed25519Verify` in ./signatures.ts). */
    readonly suiteEd25519Verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
    /** ECDSA on secp256k1 of SHA-256(message) (see `ecdsaVerify` in ./signatures.ts). */
    readonly suiteSecp256k1EcdsaVerify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
    /** ECDSA on P-256 of SHA-256(message). */
    readonly suiteP256EcdsaVerify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
    /** Whether a key is a canonically encoded Ed25519 point of order L (see `ed25519KeyIsValid` in ./signatures.ts). */
    readonly suiteEd25519KeyIsValid: (publicKey: Uint8Array) => boolean;
    /** A secp256k1 key's uncompressed SEC1 form (65 bytes), or undefined for one that is not a key. */
    readonly suiteSecp256k1UncompressedKey: (publicKey: Uint8Array) => Uint8Array | undefined;
    /** A P-256 key's uncompressed SEC1 form, or undefined. */
    readonly suiteP256UncompressedKey: (publicKey: Uint8Array) => Uint8Array | undefined;
    /**
     * ICRC-3's hash of the value whose Candid value encoding is `encoded` (as `src/icrc/value-encoding.ts`
     * writes it), or undefined when the bytes are not exactly one such value in canonical form.
     */
    readonly suiteIcrc3ValueHash: (encoded: Uint8Array) => Uint8Array | undefined;
};

const NATIVE_NAMES = [
    'suiteSha256',
    'suiteSha224',
    'suiteEd25519Verify',
    'suiteSecp256k1EcdsaVerify',
    'suiteP256EcdsaVerify',
    'suiteEd25519KeyIsValid',
    'suiteSecp256k1UncompressedKey',
    'suiteP256UncompressedKey',
    'suiteIcrc3ValueHash'
] as const satisfies readonly (keyof NativeCrypto)[];

/** The native functions if this runtime has all of them (a runtime has them all or none). */
export function nativeCrypto(): NativeCrypto | undefined {
    const ic = (globalThis as { _azleIc?: Partial<Record<keyof NativeCrypto, unknown>> })._azleIc;
    if (ic === undefined) return undefined;
    return NATIVE_NAMES.every((name) => typeof ic[name] === 'function') ? (ic as NativeCrypto) : undefined;
}
