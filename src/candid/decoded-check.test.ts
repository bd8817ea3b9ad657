/**
 * The check of decoded arguments runs only the refinements, and says what Zod's whole check says: it accepts
 * and refuses the same values, with the same reason, for argument types that hold refinements in records,
 * tuples, vecs, opts, variants and aliases; for a type that holds none it checks nothing (the decoder has).
 */
import { Principal } from '@dfinity/principal';
import fc from 'fast-check';
import * as z from 'zod/mini';

import { c } from './builders';
import { checkArgs, decodedArgsChecker } from './validate';

const Subaccount = c.named('Subaccount', c.blob().check(z.length(32, { error: 'a subaccount is 32 bytes' })));
const Account = c.named('Account', c.record({ owner: c.principal(), subaccount: c.opt(Subaccount) }));
const Memo = c.blob().check(z.maxLength(8, { error: 'a memo is at most 8 bytes' }));
const Small = c.nat16().check(z.lte(1000, { error: 'at most 1000' }));
const Arg = c.record({
    to: Account,
    memo: c.opt(Memo),
    amount: c.nat(),
    tags: c.vec(c.text().check(z.minLength(1, { error: 'a tag is not empty' }))),
    limits: c.vec(Small),
    pair: c.tuple(c.text(), Memo),
    choice: c.variant({ plain: c.nat(), refined: Small })
});

const bytesArb = fc.uint8Array({ maxLength: 34 });
const principal = Principal.fromUint8Array(new Uint8Array([1, 2, 3]));
const argArb = fc.record({
    to: fc.record({
        owner: fc.constant(principal),
        subaccount: fc.oneof(
            fc.constant([]),
            bytesArb.map((b) => [b])
        )
    }),
    memo: fc.oneof(
        fc.constant([]),
        fc.uint8Array({ maxLength: 10 }).map((b) => [b])
    ),
    amount: fc.bigInt({ min: 0n, max: 2n ** 70n }),
    tags: fc.array(fc.string({ maxLength: 2 }), { maxLength: 3 }),
    limits: fc.array(fc.integer({ min: 990, max: 1010 }), { maxLength: 3 }).map((xs) => Uint16Array.from(xs)),
    pair: fc.tuple(fc.string({ maxLength: 2 }), fc.uint8Array({ maxLength: 10 })),
    choice: fc.oneof(
        fc.bigInt({ min: 0n, max: 5n }).map((plain) => ({ plain })),
        fc.integer({ min: 995, max: 1005 }).map((refined) => ({ refined }))
    )
});

it("accepts and refuses what Zod's whole check does, with the same reason", () => {
    const decodedCheck = decodedArgsChecker([Arg, Small]);
    fc.assert(
        fc.property(argArb, fc.integer({ min: 995, max: 1005 }), (arg, small) => {
            const whole = checkArgs([Arg, Small], [arg, small]);
            const decoded = decodedCheck([arg, small]);
            expect(decoded.ok).toBe(whole.ok);
            if (!whole.ok && !decoded.ok) expect(decoded.reason).toBe(whole.reason);
        }),
        { numRuns: 400 }
    );
});

it('names the refined part that is wrong, under its argument', () => {
    const arg = {
        to: { owner: principal, subaccount: [new Uint8Array(3)] },
        memo: [],
        amount: 1n,
        tags: ['x', ''],
        limits: Uint16Array.of(1),
        pair: ['a', new Uint8Array(0)],
        choice: { plain: 0n }
    };
    const checked = decodedArgsChecker([Arg])([arg]);
    expect(checked).toEqual({ ok: false, reason: expect.stringContaining('arg 0.tags.1: a tag is not empty') });
    expect(checked.ok ? '' : checked.reason).toContain('arg 0.to.subaccount');
});

it('checks nothing for a type that holds no refinement: the decoder has enforced the type', () => {
    const Plain = c.record({ owner: c.principal(), amount: c.nat(), memo: c.opt(c.blob()) });
    expect(decodedArgsChecker([Plain])([{ owner: 'not a principal', amount: -1n }])).toEqual({
        ok: true,
        value: [{ owner: 'not a principal', amount: -1n }]
    });
    expect(checkArgs([Plain], [{ owner: 'not a principal', amount: -1n }]).ok).toBe(false);
});

it('refuses a wrong number of arguments', () => {
    expect(decodedArgsChecker([c.nat()])([])).toEqual({ ok: false, reason: 'expected 1 argument(s), got 0' });
});
