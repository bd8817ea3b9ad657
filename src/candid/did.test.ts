/**
 * The generated `.did` text means what the schemas mean: DFINITY's Candid parser reads it back to the same
 * types as the IDL converter builds, for every kind of type, named or not, recursive or not.
 */
import { IDL } from '@dfinity/candid';
import fc from 'fast-check';
import * as z from 'zod/mini';

import { descArb, PRIMITIVES, schemaOf } from '../../test/support/arbitraries';
import { parseDid, sameType, serviceDifference, stopDidParser } from '../../test/support/candid-types';
import { c } from './builders';
import { IdlConverter } from './idl';
import { defineService, query, update } from './service';

/** A service that takes and returns `schema` in every position a type can stand in a `.did`. */
function serviceAround(schema: z.ZodMiniType) {
    return defineService({
        init: [schema],
        methods: {
            echo: query([schema], schema),
            store: update([schema, c.nat()], schema),
            'quoted name': query([], schema, { composite: true })
        }
    });
}

async function expectParsesBackToSameTypes(schema: z.ZodMiniType): Promise<void> {
    const service = serviceAround(schema);
    const parsed = await parseDid(service.did());
    expect(serviceDifference(service.idlFactory({ IDL }), parsed.service)).toBeUndefined();
    expect(parsed.init).toHaveLength(1);
    expect(sameType(parsed.init[0] as IDL.Type, new IdlConverter(IDL).type(schema))).toBe(true);
}

afterAll(stopDidParser);

describe('the generated .did parses back to the same types', () => {
    it.each(PRIMITIVES)('%s', async (kind) => {
        await expectParsesBackToSameTypes(c[kind]());
    });

    it('blob, opt, vec, record with keyword and non-identifier fields, variant with null tags, tuple', async () => {
        await expectParsesBackToSameTypes(
            c.record({
                blob: c.blob(),
                maybe: c.opt(c.vec(c.int16())),
                type: c.variant({ Ok: c.null(), Err: c.text(), 'not an identifier': c.nat8() }),
                pair: c.tuple(c.principal(), c.float32())
            })
        );
    });

    it('a recursive type, named and unnamed', async () => {
        type Tree = { leaf: bigint } | { node: Tree[] };
        const Tree: z.ZodMiniType<Tree> = c.named(
            'Tree',
            c.rec(() => c.variant({ leaf: c.nat(), node: c.vec(Tree) }))
        );
        const List: z.ZodMiniType<unknown> = c.rec(() => c.opt(c.record({ head: c.int(), tail: List })));
        await expectParsesBackToSameTypes(c.record({ tree: Tree, list: List }));
    });

    it("func and service references, as in ICRC-3's archived_blocks", async () => {
        const GetBlocks = c.func([c.vec(c.record({ start: c.nat(), length: c.nat() }))], [c.nat()], ['query']);
        await expectParsesBackToSameTypes(c.record({ callback: GetBlocks, ledger: c.service({ get: GetBlocks }) }));
    });

    it('random nested types', async () => {
        await fc.assert(
            fc.asyncProperty(descArb, async (d) => {
                await expectParsesBackToSameTypes(schemaOf(d));
            }),
            { numRuns: 150 }
        );
    });
});

describe('the .did text', () => {
    it('declares each named type once and refers to it by name', () => {
        const Account = c.named('Account', c.record({ owner: c.principal(), subaccount: c.opt(c.blob()) }));
        const did = defineService({
            methods: { balance_of: query([Account], c.nat()), owner_of: query([c.nat()], c.opt(Account)) }
        }).did();
        expect(did).toContain('type Account = record { owner : principal; subaccount : opt blob };');
        expect(did.match(/type Account =/g)).toHaveLength(1);
        expect(did).toContain('balance_of : (Account) -> (nat) query;');
        expect(did).toContain('owner_of : (nat) -> (opt Account) query;');
    });

    it('refuses two different types under one name', () => {
        const A = c.named('Same', c.nat());
        const B = c.named('Same', c.text());
        expect(() => defineService({ methods: { f: query([A], B) } }).did()).toThrow(
            'two different Candid types are both named "Same"'
        );
    });

    it('keeps the name of a refined named type (refinements do not change the Candid type)', () => {
        const Memo = c.named('Memo', c.blob());
        const ShortMemo = Memo.check(z.maxLength(32));
        expect(defineService({ methods: { f: update([ShortMemo], Memo) } }).did()).toContain('f : (Memo) -> (Memo);');
    });
});

describe('the type comparison these tests rely on', () => {
    it('tells apart types that differ in a width, a field name, a tag, an annotation or an arity', () => {
        expect(sameType(IDL.Nat, IDL.Nat64)).toBe(false);
        expect(sameType(IDL.Record({ a: IDL.Nat }), IDL.Record({ b: IDL.Nat }))).toBe(false);
        expect(sameType(IDL.Variant({ a: IDL.Nat }), IDL.Record({ a: IDL.Nat }))).toBe(false);
        expect(sameType(IDL.Func([], [], ['query']), IDL.Func([], []))).toBe(false);
        expect(sameType(IDL.Tuple(IDL.Nat), IDL.Tuple(IDL.Nat, IDL.Nat))).toBe(false);
        expect(sameType(IDL.Vec(IDL.Nat8), IDL.Opt(IDL.Nat8))).toBe(false);
    });

    it('equates a recursive type with its unrolled form, and a tuple with its record spelling', () => {
        const a = IDL.Rec();
        a.fill(IDL.Opt(a));
        const b = IDL.Rec();
        b.fill(IDL.Opt(IDL.Opt(b)));
        expect(sameType(a, b)).toBe(true);
        expect(sameType(IDL.Tuple(IDL.Nat, IDL.Text), IDL.Record({ _0_: IDL.Nat, _1_: IDL.Text }))).toBe(true);
    });
});
