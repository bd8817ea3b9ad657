/**
 * The one module the suite's code hashes and checks signatures through. Inside a canister on the suite's
 * runtime (`azle-runtime/`) each function is the native one (./native.ts): about 5K instructions per SHA-256
 * block and a few million per signature check, against ~0.9M and 0.21B–0.45B for the same work interpreted by
 * QuickJS (docs/benchmarks.md). Elsewhere (Node, or a canister built with stock Azle) it is the JS
 * implementation, which gives the same results and only costs more. The choice is made once, when the module
 * loads: Azle's runtime registers `_azleIc` before it runs the canister's code.
 */
import { sha224 as nobleSha224 } from '@noble/hashes/sha2';

import { jsSha256 } from './js-sha256';
import { nativeCrypto } from './native';
import {
    jsEd25519KeyIsValid,
    jsEd25519Verify,
    jsP256EcdsaVerify,
    jsP256UncompressedKey,
    jsSecp256k1EcdsaVerify,
    jsSecp256k1UncompressedKey
} from './signatures';

export { SIGNATURE_BYTES } from './signatures';

type Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

const native = nativeCrypto();

/** Whether this runtime has the suite's native functions (for benchmarks and diagnostics). */
export const usesNativeCrypto: boolean = native !== undefined;

/** SHA-256 (FIPS 180-4): 32 bytes. */
export const sha256: (data: Uint8Array) => Uint8Array = native?.suiteSha256 ?? jsSha256;

/** SHA-224 (FIPS 180-4): 28 bytes; a self-authenticating principal is SHA-224 of a DER key, then 0x02. */
export const sha224: (data: Uint8Array) => Uint8Array = native?.suiteSha224 ?? ((data) => nobleSha224(data));

/** Ed25519 under the suite's policy (./signatures.ts). */
export const ed25519Verify: Verify = native?.suiteEd25519Verify ?? jsEd25519Verify;

/** ECDSA on secp256k1 of SHA-256(message), a high `s` accepted (./signatures.ts). */
export const secp256k1EcdsaVerify: Verify = native?.suiteSecp256k1EcdsaVerify ?? jsSecp256k1EcdsaVerify;

/** ECDSA on P-256 of SHA-256(message), a high `s` accepted (./signatures.ts). */
export const p256EcdsaVerify: Verify = native?.suiteP256EcdsaVerify ?? jsP256EcdsaVerify;

/** Whether a key is an Ed25519 key the policy takes: 32 bytes, a canonically encoded point of order L. */
export const ed25519KeyIsValid: (publicKey: Uint8Array) => boolean = native?.suiteEd25519KeyIsValid ?? jsEd25519KeyIsValid;

/** A secp256k1 key's uncompressed SEC1 form (65 bytes) from either SEC1 form, or undefined if it is no key. */
export const secp256k1UncompressedKey: (publicKey: Uint8Array) => Uint8Array | undefined =
    native?.suiteSecp256k1UncompressedKey ?? jsSecp256k1UncompressedKey;

/** A P-256 key's uncompressed SEC1 form (65 bytes) from either SEC1 form, or undefined if it is no key. */
export const p256UncompressedKey: (publicKey: Uint8Array) => Uint8Array | undefined =
    native?.suiteP256UncompressedKey ?? jsP256UncompressedKey;

/**
 * ICRC-3's hash of a value from its Candid value encoding, natively; undefined where the runtime lacks the
 * native function (then hash the value itself with `hashValue` in ../icrc/hash.ts, which gives the same hash).
 * Throws on bytes that are not one canonically encoded value: the suite's own encoder never writes them.
 */
export const nativeIcrc3ValueHash: ((encoded: Uint8Array) => Uint8Array) | undefined =
    native === undefined
        ? undefined
        : (encoded) => {
              const hash = native.suiteIcrc3ValueHash(encoded);
              if (hash === undefined) throw new TypeError('not the canonical Candid encoding of one ICRC-3 value');
              return hash;
          };
