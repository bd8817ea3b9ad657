/**
 * Values that Candid could carry but the schema forbids (and values of the wrong shape) are refused with a
 * reason a person can act on, naming where in the value the problem is.
 */
import { Principal } from '@dfinity/principal';
import fc from 'fast-check';
import * as z from 'zod/mini';

import { c } from './builders';
import { check, checkArgs, MAX_REASON_ISSUES } from './validate';

function reasonFor(schema: z.ZodMiniType, value: unknown): string {
    const result = check(schema, value);
    if (result.ok) throw new Error(`expected ${String(value)} to be refused`);
    return result.reason;
}

describe('each Candid type refuses values outside it', () => {
    it.each([
        ['nat', c.nat(), -1n, 'expected nat: a bigint >= 0'],
        ['nat', c.nat(), 1, 'expected nat: a bigint >= 0'],
        ['nat8', c.nat8(), 256, 'expected nat8: an integer from 0 to 255'],
        ['nat8', c.nat8(), 1.5, 'expected nat8: an integer from 0 to 255'],
        ['nat16', c.nat16(), -1, 'expected nat16: an integer from 0 to 65535'],
        ['nat32', c.nat32(), 2 ** 32, 'expected nat32: an integer from 0 to 4294967295'],
        ['nat64', c.nat64(), 2n ** 64n, 'expected nat64: a bigint from 0 to 18446744073709551615'],
        ['nat64', c.nat64(), 5, 'expected nat64'],
        ['int8', c.int8(), -129, 'expected int8: an integer from -128 to 127'],
        ['int16', c.int16(), 32768, 'expected int16'],
        ['int32', c.int32(), 2 ** 31, 'expected int32'],
        ['int64', c.int64(), -(2n ** 63n) - 1n, 'expected int64'],
        ['int', c.int(), '1', 'expected int: a bigint'],
        ['float32', c.float32(), 0.1, 'expected float32: a number that a 32-bit float represents exactly'],
        ['float64', c.float64(), 1n, 'expected float64'],
        ['bool', c.bool(), 0, 'expected bool'],
        ['text', c.text(), 7, 'expected text'],
        ['text', c.text(), 'a\uD800b', 'lone UTF-16 surrogate'],
        ['null', c.null(), undefined, 'expected null'],
        ['empty', c.empty(), null, 'the Candid type empty has no values'],
        ['principal', c.principal(), 'aaaaa-aa', 'expected a principal'],
        ['principal', c.principal(), Principal.fromUint8Array(new Uint8Array(30)), 'at most 29 bytes'],
        ['blob', c.blob(), [1, 2, 3], 'expected vec nat8: a Uint8Array'],
        ['vec nat16', c.vec(c.nat16()), new Uint8Array(2), 'expected vec nat16: a Uint16Array'],
        ['opt', c.opt(c.nat()), [1n, 2n], 'expected an opt: [] for none or [value] for some'],
        ['opt', c.opt(c.nat()), undefined, 'expected an opt'],
        ['variant with two keys', c.variant({ A: c.null(), B: c.null() }), { A: null, B: null }, 'exactly one of the keys A, B'],
        ['variant with an unknown key', c.variant({ A: c.null() }), { C: null }, 'exactly one of the keys A'],
        ['func', c.func([], []), ['not a principal', 'm'], 'expected a principal'],
        ['service', c.service({}), 'aaaaa-aa', 'expected a principal']
    ])('%s refuses %p', (_, schema, value, reason) => {
        expect(reasonFor(schema, value)).toContain(reason);
    });

    it('a valid variant arm with an invalid payload names the payload', () => {
        expect(reasonFor(c.variant({ Ok: c.nat8(), Err: c.text() }), { Ok: 300 })).toBe(
            'Ok: expected nat8: an integer from 0 to 255'
        );
    });
});

describe('refinements: what Candid cannot express', () => {
    const Subaccount = c.blob().check(z.length(32, { error: 'a subaccount is 32 bytes' }));
    const Account = c.record({ owner: c.principal(), subaccount: c.opt(Subaccount) });

    it('names the path of the failing field', () => {
        const reason = reasonFor(Account, { owner: Principal.anonymous(), subaccount: [new Uint8Array(31)] });
        expect(reason).toBe('subaccount.0: a subaccount is 32 bytes');
    });

    it('accepts every value that satisfies the refinement', () => {
        fc.assert(
            fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
                expect(check(Account, { owner: Principal.anonymous(), subaccount: [bytes] }).ok).toBe(true);
            })
        );
    });

    it('refuses every length but 32', () => {
        fc.assert(
            fc.property(
                fc.uint8Array({ maxLength: 64 }).filter((b) => b.length !== 32),
                (bytes) => {
                    expect(check(Subaccount, bytes).ok).toBe(false);
                }
            )
        );
    });

    it('checks an element refinement on every element of a typed-array vec', () => {
        const SmallPorts = c.vec(c.nat16().check(z.lte(1023)));
        expect(check(SmallPorts, Uint16Array.from([22, 80, 443])).ok).toBe(true);
        expect(reasonFor(SmallPorts, Uint16Array.from([22, 8080]))).toContain('out of its allowed range');
    });

    it('keeps the refinement of a recursive type at every depth', () => {
        type Tree = { leaf: number } | { node: Tree[] };
        const Tree: z.ZodMiniType<Tree> = c.rec(() => c.variant({ leaf: c.nat8().check(z.lte(9)), node: c.vec(Tree) }));
        expect(check(Tree, { node: [{ node: [{ leaf: 9 }] }] }).ok).toBe(true);
        expect(reasonFor(Tree, { node: [{ node: [{ leaf: 10 }] }] })).toContain('node.0.node.0.leaf');
    });
});

describe('argument lists', () => {
    it('refuses a wrong number of arguments', () => {
        const result = checkArgs([c.nat()], []);
        expect(result).toEqual({ ok: false, reason: 'expected 1 argument(s), got 0' });
    });

    it('labels the failing argument', () => {
        const result = checkArgs([c.nat(), c.text()], [1n, 2]);
        expect(result).toEqual({ ok: false, reason: 'arg 1: expected text: a string' });
    });

    it(`lists at most ${MAX_REASON_ISSUES} issues, so a hostile value cannot make the reason huge`, () => {
        const many = c.record(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, c.nat()])));
        const reason = reasonFor(many, {});
        expect(reason.split(';')).toHaveLength(MAX_REASON_ISSUES + 1);
        expect(reason).toMatch(/and 7 more$/);
    });
});
