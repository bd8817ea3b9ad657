/** Random ICRC-3 values for property tests: every variant, nested, with numbers around LEB128's byte edges. */
import fc from 'fast-check';

import type { ICRC3Value } from '../../src/icrc/interface';

/** Naturals of every LEB128 length up to 2^128, and the edges where a float or a bigint path takes over. */
const natArb = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 14n }),
    fc.bigInt({ min: 0n, max: 2n ** 64n }),
    fc.bigInt({ min: 0n, max: 2n ** 128n }),
    fc.constantFrom(0n, 127n, 128n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 81n - 1n, 2n ** 81n, 2n ** 64n - 1n)
);

export const icrc3ValueArb: fc.Arbitrary<ICRC3Value> = fc.letrec<{ value: ICRC3Value }>((tie) => ({
    value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        natArb.map((Nat) => ({ Nat })),
        fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }).map((Int) => ({ Int })),
        fc.string({ unit: 'binary', maxLength: 40 }).map((Text) => ({ Text })),
        fc.uint8Array({ maxLength: 40 }).map((Blob) => ({ Blob })),
        fc.array(tie('value'), { maxLength: 4 }).map((Array) => ({ Array })),
        fc.array(fc.tuple(fc.string({ maxLength: 12 }), tie('value')), { maxLength: 4 }).map((Map) => ({ Map }))
    )
})).value;
