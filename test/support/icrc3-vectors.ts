/** The test vectors of the ICRC-3 standard ("Value" hashing), shared by the tests that check hashing. */
import type { ICRC3Value } from '../../src/icrc/interface';

const blob = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

export const ICRC3_TEST_VECTORS: readonly [name: string, value: ICRC3Value, hash: string][] = [
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
];
