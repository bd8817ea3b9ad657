/**
 * The suite's runtime (azle-runtime/) inside a canister: its native SHA-256/224, signature checks and key
 * validation give exactly the answers of the JS path (which Node runs: src/ic/crypto/*.test.ts) on the
 * standards' vectors (ICRC-3's through icrc-hash-in-canister.test.ts), Wycheproof's and the hostile cases,
 * answer `false` rather than trap, and throw a catchable JS error on arguments of the wrong type. A canister
 * built on the template Azle ships has no native functions and falls back to JS with the same answers.
 */
import { IDL } from '@dfinity/candid';
import { sha224 as nobleSha224, sha256 as nobleSha256 } from '@noble/hashes/sha2';
import fc from 'fast-check';

import { wasmOf } from '../../scripts/lib/build';
import type { RuntimeName } from '../../scripts/lib/runtime';
import { cryptoIdlFactory, type CryptoActor } from '../fixtures/crypto/interface';
import { createIc, type TestIc } from '../support/ic';
import { allSignatureCases, hostileCases, keyCases, type SignatureCase } from '../support/signature-cases';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The crypto fixture on `runtime`, installed once for the enclosing describe block. */
function cryptoCanisterOn(runtime: RuntimeName): () => CryptoActor {
    let ic: TestIc | undefined;
    let canister: CryptoActor | undefined;
    beforeAll(async () => {
        ic = await createIc();
        const { actor } = await ic.setupCanister<CryptoActor>({
            idlFactory: cryptoIdlFactory,
            wasm: await wasmOf('crypto', 'fixtures', runtime),
            arg: new Uint8Array(IDL.encode([], []))
        });
        canister = actor;
    }, 180_000);
    afterAll(() => ic?.tearDown());
    return () => {
        if (canister === undefined) throw new Error('the crypto fixture is not installed');
        return canister;
    };
}

const asCheck = (c: SignatureCase) => ({ curve: c.curve, key: c.key, message: c.message, signature: c.signature });

describe('on the suite runtime', () => {
    const fixture = cryptoCanisterOn('suite');

    it('has the native functions', async () => {
        expect(await fixture().native_available()).toBe(true);
    });

    it.each([
        ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
        ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
        [
            'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
            '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
        ]
    ])('gives the FIPS 180-4 SHA-256 of %j natively', async (message, digest) => {
        expect(hex((await fixture().sha256(utf8(message))).digest)).toBe(digest);
    });

    it('gives the FIPS 180-4 SHA-224 of "abc" natively', async () => {
        expect(hex((await fixture().sha224(utf8('abc'))).digest)).toBe(
            '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7'
        );
    });

    it('agrees with @noble/hashes on every length around the block and padding edges, and on random bytes', async () => {
        for (let n = 0; n <= 130; n++) {
            const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
            expect(hex((await fixture().sha256(data)).digest)).toBe(hex(nobleSha256(data)));
        }
        await fc.assert(
            fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (data) => {
                const [sha256, sha224] = await Promise.all([fixture().sha256(data), fixture().sha224(data)]);
                return hex(sha256.digest) === hex(nobleSha256(data)) && hex(sha224.digest) === hex(nobleSha224(data));
            }),
            { numRuns: 60 }
        );
    }, 120_000);

    it.each(['Ed25519', 'Secp256k1', 'P256'] as const)(
        'answers every %s vector and hostile case as the policy does, natively',
        async (curve) => {
            const cases = allSignatureCases().filter((c) => c.curve === curve);
            const verdicts = await fixture().verify(cases.map(asCheck));
            const wrong = cases.filter((c, i) => verdicts[i]?.valid !== c.valid).map((c) => c.name);
            expect(wrong).toEqual([]);
            expect(verdicts).toHaveLength(cases.length);
        },
        120_000
    );

    it('costs a few million instructions per check natively, hundreds of millions through JS', async () => {
        const honest = hostileCases().filter((c) => c.valid && c.name.includes('an honest signature'));
        const native = await fixture().verify(honest.map(asCheck));
        const js = await fixture().js_verify(honest.map(asCheck));
        expect(native.map((v) => v.valid)).toEqual(honest.map(() => true));
        expect(js.map((v) => v.valid)).toEqual(honest.map(() => true));
        for (let i = 0; i < honest.length; i++) {
            expect(native[i]?.instructions).toBeLessThan(20_000_000n);
            expect((native[i]?.instructions ?? 0n) * 10n).toBeLessThan(js[i]?.instructions ?? 0n);
        }
    }, 180_000);

    it('gives the JS path inside the canister the same answers on the hostile cases', async () => {
        const cases = hostileCases().filter((c) => c.curve === 'Ed25519');
        const js = await fixture().js_verify(cases.map(asCheck));
        expect(js.map((v) => v.valid)).toEqual(cases.map((c) => c.valid));
    }, 180_000);

    it('gives each device key its one canonical form natively, and refuses small-order, mixed-order and off-curve keys', async () => {
        const cases = keyCases();
        const canonical = await fixture().canonical_keys(cases.map(({ curve, key }) => ({ curve, key })));
        expect(canonical.map((k) => (k[0] === undefined ? undefined : hex(k[0])))).toEqual(
            cases.map((c) => (c.canonical === undefined ? undefined : hex(c.canonical)))
        );
    });

    it('throws a JS error the caller can catch on arguments of the wrong type, and keeps serving', async () => {
        const errors = await fixture().native_type_errors();
        expect(errors).toHaveLength(3);
        for (const error of errors) expect(error).not.toBe('no error');
        expect(hex((await fixture().sha256(utf8('abc'))).digest)).toBe(
            'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
        );
    });
});

describe('on the template Azle ships (no native functions)', () => {
    const fixture = cryptoCanisterOn('azle');

    it('falls back to JS, with the same digests and verdicts', async () => {
        expect(await fixture().native_available()).toBe(false);
        expect(hex((await fixture().sha256(utf8('abc'))).digest)).toBe(
            'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
        );
        // two checks: the JS path's first check on a curve also builds its base-point table (billions of
        // instructions), and a query may take 5B
        const cases = hostileCases()
            .filter((c) => c.curve === 'P256')
            .filter((c) => c.name.endsWith('an honest signature (low s)') || c.name.endsWith('another message'));
        expect(cases).toHaveLength(2);
        const verdicts = await fixture().verify(cases.map(asCheck));
        expect(verdicts.map((v) => v.valid)).toEqual(cases.map((c) => c.valid));
    }, 180_000);
});
