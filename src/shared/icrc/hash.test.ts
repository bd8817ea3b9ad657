/**
 * ICRC-3's representation-independent hashing: the test vectors of the ICRC-3 standard, and the properties the
 * standard states (a map's entry order does not matter; the encodings are LEB128).
 */
import fc from 'fast-check';

import { leb128, sleb128 } from '../leb128';
import { hashValue } from './hash';
import type { ICRC3Value } from './ledger';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const blob = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe("the ICRC-3 standard's test vectors", () => {
    it.each<[string, ICRC3Value, string]>([
        ['Nat(42)', { Nat: 42n }, '684888c0ebb17f374298b65ee2807526c066094c701bcc7ebbe1c1095f494fc1'],
        ['Int(-42)', { Int: -42n }, 'de5a6f78116eca62d7fc5ce159d23ae6b889b365a1739ad2cf36f925a140d0cc'],
        ['Text("Hello, World!")', { Text: 'Hello, World!' }, 'dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f'],
        ['Blob(01020304)', { Blob: blob('01020304') }, '9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a'],
        [
            'Array([Nat(3), Text("foo"), Blob(0506)])',
            { Array: [{ Nat: 3n }, { Text: 'foo' }, { Blob: blob('0506') }] },
            '514a04011caa503990d446b7dec5d79e19c221ae607fb08b2848c67734d468d6'
        ],
        [
            'Map(from, to, amount, created_at, memo)',
            {
                Map: [
                    ['from', { Blob: blob('00abcdef0012340056789a00bcdef000012345678900abcdef01') }],
                    ['to', { Blob: blob('00ab0def0012340056789a00bcdef000012345678900abcdef01') }],
                    ['amount', { Nat: 42n }],
                    ['created_at', { Nat: 1699218263n }],
                    ['memo', { Nat: 0n }]
                ]
            },
            'c56ece650e1de4269c5bdeff7875949e3e2033f85b2d193c2ff4f7f78bdcfc75'
        ]
    ])('%s', (_, value, expected) => {
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
