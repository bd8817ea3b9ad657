/**
 * What the suite's crypto costs inside a canister, on each path: the `crypto` test fixture built on the suite's
 * runtime (native functions) and on the template Azle ships (the JS fallback), read from the canister's own
 * instruction counter around each call.
 */
import { IDL } from '@dfinity/candid';

import { cryptoIdlFactory, type CryptoActor } from '../../../test/fixtures/crypto/interface';
import { hostileCases } from '../../../test/support/signature-cases';
import { LocalIc } from '../../replica';

export type CryptoFigures = {
    readonly sha256: { bytes: number; native: bigint; js: bigint; noble: bigint }[];
    readonly verify: { curve: string; native: bigint; js: bigint }[];
};

const SIZES = [32, 64, 1024];

async function fixture(ic: LocalIc, wasm: string): Promise<CryptoActor> {
    const { actor } = await ic.setupCanister<CryptoActor>({
        idlFactory: cryptoIdlFactory,
        wasm,
        arg: new Uint8Array(IDL.encode([], []))
    });
    return actor;
}

export async function benchCrypto(wasm: { suite: string; azle: string }): Promise<CryptoFigures> {
    const ic = await LocalIc.create();
    const native = await fixture(ic, wasm.suite);
    const fallback = await fixture(ic, wasm.azle);
    if (!(await native.native_available()) || (await fallback.native_available())) {
        throw new Error('the crypto fixture is not on the runtimes the bench expects');
    }
    const sha256: CryptoFigures['sha256'] = [];
    for (const bytes of SIZES) {
        const data = Uint8Array.from({ length: bytes }, (_, i) => i & 0xff);
        const [n, j, b] = [await native.sha256(data), await native.js_sha256(data), await native.noble_sha256(data)];
        if (Buffer.compare(n.digest, j.digest) !== 0 || Buffer.compare(n.digest, b.digest) !== 0) {
            throw new Error(`the SHA-256 paths disagree on ${bytes} bytes`);
        }
        sha256.push({ bytes, native: n.instructions, js: j.instructions, noble: b.instructions });
    }
    const verify: CryptoFigures['verify'] = [];
    for (const curve of ['Ed25519', 'Secp256k1', 'P256'] as const) {
        const honest = hostileCases().find((c) => c.curve === curve && c.valid);
        if (honest === undefined) throw new Error(`no honest ${curve} case`);
        const check = { curve, key: honest.key, message: honest.message, signature: honest.signature };
        const [n] = await native.verify([check]);
        // twice: the JS path's first check on a curve also builds its base-point table
        await fallback.js_verify([check]);
        const [j] = await fallback.js_verify([check]);
        if (n?.valid !== true || j?.valid !== true) throw new Error(`the ${curve} check failed in the bench`);
        verify.push({ curve, native: n.instructions, js: j.instructions });
    }
    await ic.tearDown();
    return { sha256, verify };
}
