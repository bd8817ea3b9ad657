//! The suite's native functions on `_azleIc`, the object Azle's runtime gives canister code
//! (`src/ic/mod.rs` of Azle's stable template). Added to a copy of the template as one module with one
//! registration (`scripts/build-runtime.ts`); their TypeScript declarations are in
//! `src/ic/crypto/native.ts`. Bytes come in as `Uint8Array`s (a wrong type is a JS TypeError the caller
//! can catch, never a trap); the checks answer `false` and the decoders `undefined` on any input they refuse.

use rquickjs::{Ctx, Function, Object, Result, TypedArray};

pub fn register<'js>(ctx: Ctx<'js>, ic: &Object<'js>) -> Result<()> {
    ic.set("suiteSha256", digester(ctx.clone(), |data| suite_crypto::sha256(data).to_vec()))?;
    ic.set("suiteSha224", digester(ctx.clone(), |data| suite_crypto::sha224(data).to_vec()))?;
    ic.set("suiteEd25519Verify", verifier(ctx.clone(), suite_crypto::ed25519_verify))?;
    ic.set(
        "suiteSecp256k1EcdsaVerify",
        verifier(ctx.clone(), suite_crypto::secp256k1_ecdsa_verify),
    )?;
    ic.set("suiteP256EcdsaVerify", verifier(ctx.clone(), suite_crypto::p256_ecdsa_verify))?;
    ic.set(
        "suiteEd25519KeyIsValid",
        Function::new(ctx.clone(), |key: TypedArray<u8>| suite_crypto::ed25519_public_key_is_valid(key.as_ref())),
    )?;
    ic.set(
        "suiteSecp256k1UncompressedKey",
        uncompressor(ctx.clone(), suite_crypto::secp256k1_uncompressed_key),
    )?;
    ic.set("suiteP256UncompressedKey", uncompressor(ctx.clone(), suite_crypto::p256_uncompressed_key))?;
    let out_ctx = ctx.clone();
    ic.set(
        "suiteIcrc3ValueHash",
        Function::new(ctx, move |encoded: TypedArray<u8>| -> Result<Option<TypedArray<u8>>> {
            suite_crypto::icrc3_value_hash(encoded.as_ref())
                .map(|hash| TypedArray::<u8>::new(out_ctx.clone(), hash.to_vec()))
                .transpose()
        }),
    )?;
    Ok(())
}

/// `(key) => Uint8Array | undefined` over one of the crate's SEC1 decoders.
fn uncompressor<'js>(ctx: Ctx<'js>, decode: fn(&[u8]) -> Option<[u8; 65]>) -> Result<Function<'js>> {
    let out_ctx = ctx.clone();
    Function::new(ctx, move |key: TypedArray<u8>| -> Result<Option<TypedArray<u8>>> {
        decode(key.as_ref())
            .map(|point| TypedArray::<u8>::new(out_ctx.clone(), point.to_vec()))
            .transpose()
    })
}

/// `(data) => Uint8Array` over one of the crate's hashes.
fn digester<'js>(ctx: Ctx<'js>, hash: fn(&[u8]) -> Vec<u8>) -> Result<Function<'js>> {
    let out_ctx = ctx.clone();
    Function::new(ctx, move |data: TypedArray<u8>| TypedArray::<u8>::new(out_ctx.clone(), hash(data.as_ref())))
}

/// `(publicKey, message, signature) => boolean` over one of the crate's checks.
fn verifier<'js>(ctx: Ctx<'js>, check: fn(&[u8], &[u8], &[u8]) -> bool) -> Result<Function<'js>> {
    Function::new(
        ctx,
        move |key: TypedArray<u8>, message: TypedArray<u8>, signature: TypedArray<u8>| -> bool {
            check(key.as_ref(), message.as_ref(), signature.as_ref())
        },
    )
}

// Links the runtime's `sbrk` (azle-runtime/heap): nothing calls it from Rust, so without this the crate
// would not be linked and wasi-libc's own would be.
extern crate suite_heap;
