/**
 * ICRC-3's representation-independent hashing: the test vectors of the ICRC-3 standard, and the properties the
 * standard states (a map's entry order does not matter; the encodings are LEB128).
 */
import fc from 'fast-check';

import { leb128, sleb128 } from '../ic/leb128';
import { hashValue } from './hash';
import { ICRC3_TEST_VECTORS } from '../../test/support/icrc3-vectors';
import type { ICRC3Value } from './interface';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe("the ICRC-3 standard's test vectors", () => {
    it.each(ICRC3_TEST_VECTORS)('%s', (_, value, expected) => {
        expect(hex(hashValue(value))).toBe(expected);
    });
});

describe('properties', () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string(), fc.bigInt({ min: 0n, max: 2n ** 70n })), {
        selector: ([k]) => k,
        maxLength: 6
    });

    it("a map's hash does not depend on the order of its entries", () => {
        fc.assert(
            fc.property(entries, (list) => {
                const map: ICRC3Value = { Map: list.map(([k, n]) => [k, { Nat: n }]) };
                const reversed: ICRC3Value = { Map: [...list].reverse().map(([k, n]) => [k, { Nat: n }]) };
                expect(hex(hashValue(reversed))).toBe(hex(hashValue(map)));
            })
        );
    });

    it('a legacy Nat64 hashes as a Nat', () => {
        fc.assert(
            fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) =>
                expect(hashValue({ Nat64: n })).toEqual(hashValue({ Nat: n }))
            )
        );
    });

    it('different values of one kind hash differently', () => {
        fc.assert(
            fc.property(fc.bigInt({ min: 0n }), fc.bigInt({ min: 0n }), (a, b) => {
                fc.pre(a !== b);
                expect(hex(hashValue({ Nat: a }))).not.toBe(hex(hashValue({ Nat: b })));
            })
        );
    });
});

describe('LEB128', () => {
    it.each([
        [0n, '00'],
        [127n, '7f'],
        [128n, '8001'],
        [624485n, 'e58e26'],
        [2n ** 64n, '80808080808080808002']
    ])('unsigned %p is %s', (n, expected) => expect(hex(leb128(n))).toBe(expected));

    it.each([
        [0n, '00'],
        [-1n, '7f'],
        [63n, '3f'],
        [64n, 'c000'],
        [-64n, '40'],
        [-65n, 'bf7f'],
        [-123456n, 'c0bb78']
    ])('signed %p is %s', (n, expected) => expect(hex(sleb128(n))).toBe(expected));

    it('refuses a negative number for the unsigned encoding', () => {
        expect(() => leb128(-1n)).toThrow('LEB128 encodes naturals');
    });
});
