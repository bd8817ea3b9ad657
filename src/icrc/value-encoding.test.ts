/**
 * The hand-written ICRC-3 value encoder writes exactly what the generic Candid codec writes for the type, so
 * blocks stored by either read back the same, and a `preEncoded` part is spliced in as its bytes.
 */
import fc from 'fast-check';

import { preEncoded, valueCodec } from '../candid/wire';
import { ICRC3Value } from './interface';
import { encodeIcrc3Value, Icrc3MapWriter } from './value-encoding';
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

describe('the map writer', () => {
    type Entry = [string, 'nat' | 'blob' | 'text' | 'blobs' | 'encoded', ICRC3Value];
    const entryArb: fc.Arbitrary<Entry> = fc.oneof(
        fc.tuple(
            fc.string({ maxLength: 8 }),
            fc.constant('nat' as const),
            fc.bigInt({ min: 0n, max: 2n ** 90n }).map((Nat) => ({ Nat }))
        ),
        fc.tuple(
            fc.string({ maxLength: 8 }),
            fc.constant('blob' as const),
            fc.uint8Array({ maxLength: 40 }).map((Blob) => ({ Blob }))
        ),
        fc.tuple(
            fc.string({ maxLength: 8 }),
            fc.constant('text' as const),
            fc.string({ maxLength: 40 }).map((Text) => ({ Text }))
        ),
        fc.tuple(
            fc.string({ maxLength: 8 }),
            fc.constant('blobs' as const),
            fc.array(fc.uint8Array({ maxLength: 32 }), { maxLength: 2 }).map((bs) => ({ Array: bs.map((Blob) => ({ Blob })) }))
        ),
        fc.tuple(fc.string({ maxLength: 8 }), fc.constant('encoded' as const), icrc3ValueArb)
    );

    it('writes the bytes the value encoder writes for the same entries, in order', () => {
        fc.assert(
            fc.property(fc.array(entryArb, { maxLength: 8 }), (entries) => {
                const writer = new Icrc3MapWriter();
                for (const [key, kind, value] of entries) {
                    if (kind === 'nat' && 'Nat' in value) writer.nat(key, value.Nat);
                    else if (kind === 'blob' && 'Blob' in value) writer.blob(key, value.Blob);
                    else if (kind === 'text' && 'Text' in value) writer.text(key, value.Text);
                    else if (kind === 'blobs' && 'Array' in value)
                        writer.blobs(
                            key,
                            value.Array.map((v) => ('Blob' in v ? v.Blob : new Uint8Array()))
                        );
                    else writer.encoded(key, encodeIcrc3Value(value));
                }
                const map: ICRC3Value = { Map: entries.map(([key, , value]) => [key, value]) };
                expect(writer.finish()).toEqual(codec.encode(map));
            })
        );
    });

    it('refuses a 128th entry, which its one-byte count cannot hold', () => {
        const writer = new Icrc3MapWriter();
        for (let i = 0; i < Icrc3MapWriter.MAX_ENTRIES; i++) writer.nat(String(i), 1n);
        expect(() => writer.nat('one more', 1n)).toThrow('at most 127 entries');
    });
});
