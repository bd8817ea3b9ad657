/**
 * Values valid under a schema survive Candid: `IDL.decode(IDL.encode(v))` equals `v`, and the decoded value
 * passes the schema again. Checked for every Candid type alone, then for random nested types.
 */
import { IDL } from '@dfinity/candid';
import { IDL as IcpSdkIDL } from '@icp-sdk/core/candid';
import fc from 'fast-check';

import {
    COMPOSITE_SHAPES,
    decodedForm,
    type Desc,
    descArb,
    inhabited,
    PRIMITIVES,
    schemaOf,
    valueArb
} from '../../test/support/arbitraries';
import { toIdl } from './idl';

function roundTrips(d: Desc, value: unknown): void {
    const schema = schemaOf(d);
    expect(schema.safeParse(value).error).toBeUndefined();
    const type = toIdl(schema, IDL);
    const [decoded] = IDL.decode([type], IDL.encode([type], [value]));
    expect(decoded).toEqual(decodedForm(d, value));
    expect(schema.safeParse(decoded).error).toBeUndefined();
}

const property = (d: Desc) => fc.property(valueArb(d), (v) => roundTrips(d, v));

describe('a valid value round-trips through the generated IDL', () => {
    it.each(PRIMITIVES.filter((k) => k !== 'empty'))('%s', (kind) => {
        fc.assert(property({ kind }), { numRuns: 200 });
    });

    it.each(PRIMITIVES.filter((k) => k !== 'empty' && k !== 'reserved'))(
        'vec %s (typed arrays for fixed-width integers)',
        (kind) => {
            fc.assert(property({ kind: 'vec', inner: { kind } }), { numRuns: 100 });
        }
    );

    it.each(COMPOSITE_SHAPES)('%s', (_, d) => {
        fc.assert(property(d), { numRuns: 100 });
    });

    it('random nested types', () => {
        const typeAndValue = descArb.filter(inhabited).chain((d) => fc.tuple(fc.constant(d), valueArb(d)));
        fc.assert(
            fc.property(typeAndValue, ([d, v]) => roundTrips(d, v)),
            { numRuns: 400 }
        );
    });
});

describe('the IDL namespace is a parameter', () => {
    it('builds types with @icp-sdk/core (the candid library of @dfinity/pic) that encode the same bytes', () => {
        const typeAndValue = descArb.filter(inhabited).chain((d) => fc.tuple(fc.constant(d), valueArb(d)));
        fc.assert(
            fc.property(typeAndValue, ([d, v]) => {
                const schema = schemaOf(d);
                const ours = IDL.encode([toIdl(schema, IDL)], [v]);
                // The layer is typed against @dfinity/candid's namespace; @icp-sdk/core's has the same shape.
                const theirType = toIdl(schema, IcpSdkIDL as unknown as typeof IDL) as unknown as InstanceType<
                    typeof IcpSdkIDL.Type
                >;
                const theirs = IcpSdkIDL.encode([theirType], [v]);
                expect(new Uint8Array(theirs)).toEqual(new Uint8Array(ours));
            }),
            { numRuns: 100 }
        );
    });
});
