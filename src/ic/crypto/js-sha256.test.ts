import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import fc from 'fast-check';

import { jsSha256 as sha256 } from './js-sha256';

describe('jsSha256 (the JS fallback)', () => {
    it.each([
        ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
        ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
        [
            'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
            '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
        ]
    ])('gives the FIPS 180-4 example digest of %j', (message, digest) => {
        expect(bytesToHex(sha256(utf8ToBytes(message)))).toBe(digest);
    });

    it('agrees with @noble/hashes on every length around the block and padding boundaries', () => {
        for (let n = 0; n <= 200; n++) {
            const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
            expect(bytesToHex(sha256(data))).toBe(bytesToHex(nobleSha256(data)));
        }
    });

    it('agrees with @noble/hashes on random inputs', () => {
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => bytesToHex(sha256(data)) === bytesToHex(nobleSha256(data))),
            { numRuns: 300 }
        );
    });

    it('hashes a subarray by its own bytes, not its buffer', () => {
        const buffer = Uint8Array.from({ length: 100 }, (_, i) => i);
        expect(bytesToHex(sha256(buffer.subarray(10, 80)))).toBe(bytesToHex(nobleSha256(buffer.slice(10, 80))));
    });
});
