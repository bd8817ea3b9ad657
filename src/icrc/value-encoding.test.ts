/**
 * The hand-written ICRC-3 value encoder writes exactly what the generic Candid codec writes for the type, so
 * blocks stored by either read back the same, and a `preEncoded` part is spliced in as its bytes.
 */
import fc from 'fast-check';

import { preEncoded, valueCodec } from '../candid/wire';
import { ICRC3Value } from './interface';
import { encodeIcrc3Value } from './value-encoding';
import { icrc3ValueArb } from '../../test/support/icrc3-arbitrary';
import { ICRC3_TEST_VECTORS } from '../../test/support/icrc3-vectors';

const codec = valueCodec<ICRC3Value>(ICRC3Value);

it.each(ICRC3_TEST_VECTORS)('encodes the standard vector %s as the Candid codec does', (_, value) => {
    expect(encodeIcrc3Value(value)).toEqual(codec.encode(value));
});

it('encodes every value as the Candid codec does, and the codec reads it back', () => {
    fc.assert(
        fc.property(icrc3ValueArb, (value) => {
            const encoded = encodeIcrc3Value(value);
            expect(encoded).toEqual(codec.encode(value));
            expect(codec.decode(encoded)).toEqual(value);
        }),
        { numRuns: 500 }
    );
});

it('writes a pre-encoded part as its bytes, giving the encoding of the whole value', () => {
    fc.assert(
        fc.property(icrc3ValueArb, fc.string({ maxLength: 8 }), (inner, key) => {
            const spliced = encodeIcrc3Value({ Map: [[key, preEncoded<ICRC3Value>(encodeIcrc3Value(inner))]] });
            expect(spliced).toEqual(codec.encode({ Map: [[key, inner]] }));
        })
    );
});

it('writes numbers in their shortest LEB128 form around the float/bigint edges', () => {
    for (const n of [2n ** 53n - 1n, 2n ** 53n, 2n ** 60n + 12345n, 2n ** 81n - 1n, 2n ** 81n]) {
        expect(encodeIcrc3Value({ Nat: n })).toEqual(codec.encode({ Nat: n }));
    }
});
