/**
 * The index's rules in Node: the token's own ledger code runs random sequences of operations, the index syncs
 * its blocks through `syncStep` (part of them served as an archive's, as DFINITY's ledger serves archived
 * blocks), and the two must agree: every balance, and every account's history, which is worked out here from the
 * blocks' raw fields rather than by the index's decoder. Then paging, subaccounts, and the reading of both
 * block schemas.
 */
import { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';
import * as fc from 'fast-check';

import type { Account, ICRC3Value } from '../../icrc/interface';
import { configFromInit } from '../token/config';
import { ledgerInit } from '../token/deploy';
import { Ledger } from '../token/ledger';
import { heapMaps as tokenMaps, LedgerState } from '../token/state';
import { accountName, historiesOf } from '../../../test/support/histories';
import { decodeBlock } from './blocks';
import { LedgerIndex } from './indexer';
import { heapMaps, IndexState } from './state';
import { type BlockSource, MAX_BLOCKS_PER_SYNC, syncStep } from './sync';

const FEE = 10_000n;
const START_NS = 1_780_000_000_000_000_000n;
const users = [1, 2, 3, 4].map((n) => Ed25519KeyIdentity.generate(new Uint8Array(32).fill(60 + n)).getPrincipal());
const minter = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(60)).getPrincipal();
const ONE = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0));
const acct = (owner: Principal, sub?: Uint8Array): Account => ({ owner, subaccount: sub === undefined ? [] : [sub] });
const MINTING = acct(minter);
const UNIVERSE = users.flatMap((u) => [acct(u), acct(u, ONE)]);

type Op =
    | { kind: 'transfer' | 'burn' | 'mint'; from: number; to: number; amount: bigint; memo: boolean }
    | { kind: 'approve'; from: number; to: number; amount: bigint; memo: boolean }
    | { kind: 'transferFrom'; from: number; to: number; amount: bigint; spender: number; memo: boolean }
    | { kind: 'feeCollector'; to: number | undefined };

const who = fc.integer({ min: 0, max: UNIVERSE.length - 1 });
const amount = fc.bigInt({ min: 0n, max: 300_000n });
const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constantFrom('transfer', 'burn', 'mint' as const), from: who, to: who, amount, memo: fc.boolean() }),
    fc.record({ kind: fc.constant('approve' as const), from: who, to: who, amount, memo: fc.boolean() }),
    fc.record({ kind: fc.constant('transferFrom' as const), from: who, to: who, amount, spender: who, memo: fc.boolean() }),
    fc.record({ kind: fc.constant('feeCollector' as const), to: fc.option(who, { nil: undefined }) })
);

/** A new ledger (the token's code on heap maps) with two funded accounts. */
function newLedger(): Ledger {
    const init = ledgerInit({
        mintingAccount: MINTING,
        transferFee: FEE,
        initialBalances: [
            [UNIVERSE[0] as Account, 1_000_000n],
            [UNIVERSE[3] as Account, 500_000n]
        ],
        archiveController: minter
    });
    if (!('Init' in init)) throw new Error('ledgerInit returns Init');
    const ledger = new Ledger(new LedgerState(tokenMaps()), () => undefined);
    ledger.initialize(configFromInit(init.Init), init.Init.initial_balances, START_NS);
    return ledger;
}

function play(ledger: Ledger, ops: readonly Op[]): void {
    ops.forEach((o, step) => {
        const ctx = (caller: Principal) => ({ caller, now: START_NS + BigInt(step) * 1_000_000_000n });
        const memo: [] | [Uint8Array] = 'memo' in o && o.memo ? [Uint8Array.of(step % 256)] : [];
        const common = { fee: [] as [], memo, created_at_time: [] as [] };
        const from = UNIVERSE[o.kind === 'feeCollector' ? 0 : o.from] as Account;
        const to = o.kind === 'feeCollector' ? undefined : (UNIVERSE[o.to] as Account);
        switch (o.kind) {
            case 'transfer':
            case 'burn':
                ledger.transfer(ctx(from.owner), {
                    ...common,
                    from_subaccount: from.subaccount,
                    to: o.kind === 'burn' ? MINTING : (to as Account),
                    amount: o.amount
                });
                return;
            case 'mint':
                ledger.transfer(ctx(minter), { ...common, from_subaccount: [], to: to as Account, amount: o.amount });
                return;
            case 'approve':
                if (from.owner.compareTo((to as Account).owner) === 'eq') return; // self-approval traps
                ledger.approve(ctx(from.owner), {
                    ...common,
                    from_subaccount: from.subaccount,
                    spender: to as Account,
                    amount: o.amount,
                    expected_allowance: [],
                    expires_at: []
                });
                return;
            case 'transferFrom': {
                const spender = UNIVERSE[o.spender] as Account;
                ledger.transferFrom(ctx(spender.owner), {
                    ...common,
                    spender_subaccount: spender.subaccount,
                    from,
                    to: to as Account,
                    amount: o.amount
                });
                return;
            }
            case 'feeCollector': {
                const collector = o.to === undefined ? [] : [UNIVERSE[o.to] as Account];
                ledger.setFeeCollector(
                    ctx(minter),
                    { fee_collector: collector as [] | [Account], created_at_time: ctx(minter).now },
                    true
                );
                return;
            }
        }
    });
}

/** The ledger's blocks as `icrc3_get_blocks` serves them, the first `archived` of them through an archive's callback. */
function sourceOf(ledger: Ledger, archived: bigint): BlockSource {
    const block = (id: bigint) => ({ id, block: ledger.state.block(id) as ICRC3Value });
    const range = (start: bigint, end: bigint) => {
        const out = [];
        for (let id = start; id < end; id++) out.push(block(id));
        return out;
    };
    return async (start, length) => {
        const log = ledger.tip.length;
        const end = start + length < log ? start + length : log;
        const localStart = start > archived ? start : archived;
        const inArchive = start < archived;
        return {
            log_length: log,
            blocks: range(localStart, end),
            archived_blocks: inArchive
                ? [
                      {
                          args: [{ start, length: (archived < end ? archived : end) - start }],
                          fetch: async () => ({
                              log_length: log,
                              blocks: range(start, archived < end ? archived : end),
                              archived_blocks: []
                          })
                      }
                  ]
                : []
        };
    };
}

async function syncAll(index: LedgerIndex, source: BlockSource): Promise<number> {
    let steps = 0;
    for (;;) {
        const outcome = await syncStep(index, source);
        steps++;
        if (outcome.applied > MAX_BLOCKS_PER_SYNC) throw new Error('a step applied more than its bound');
        if (!outcome.behind) return steps;
    }
}

function newIndex(): LedgerIndex {
    const index = new LedgerIndex(new IndexState(heapMaps()));
    index.state.writeConfig({ ledger_id: minter, min_interval_seconds: 1n, max_interval_seconds: 10n });
    return index;
}

it('agrees with the ledger on every balance and every account’s history, after random operations', async () => {
    await fc.assert(
        fc.asyncProperty(
            fc.array(op, { minLength: 1, maxLength: 60 }),
            fc.bigInt({ min: 0n, max: 30n }),
            async (ops, archived) => {
                const ledger = newLedger();
                play(ledger, ops);
                const index = newIndex();
                await syncAll(index, sourceOf(ledger, archived));
                expect(index.sync.halted).toEqual([]);
                expect(index.sync.synced).toBe(ledger.tip.length);
                const blocks: ICRC3Value[] = [];
                for (let id = 0n; id < ledger.tip.length; id++) blocks.push(ledger.state.block(id) as ICRC3Value);
                const histories = historiesOf(blocks);
                for (const account of [...UNIVERSE, MINTING]) {
                    expect(index.balanceOf(account)).toBe(ledger.balanceOf(account));
                    const expected = histories.get(accountName(account)) ?? [];
                    const listed = index.accountTransactions(account, [], 1_000n);
                    expect(listed.transactions.map((t) => t.id)).toEqual(expected);
                    expect(listed.oldest_tx_id).toEqual(expected.length === 0 ? [] : [expected[expected.length - 1]]);
                    expect(listed.balance).toBe(ledger.balanceOf(account));
                }
            }
        ),
        { numRuns: 60, seed: 20_261_204 }
    );
});

it('pages an account’s history newest first, each page after the last id of the one before', async () => {
    const ledger = newLedger();
    const sender = UNIVERSE[0] as Account;
    play(
        ledger,
        Array.from({ length: 23 }, (_, i): Op => ({ kind: 'transfer', from: 0, to: 1 + (i % 3), amount: 1n, memo: false }))
    );
    const index = newIndex();
    await syncAll(index, sourceOf(ledger, 0n));
    const all = index.accountTransactions(sender, [], 1_000n).transactions.map((t) => t.id);
    expect(all).toHaveLength(24); // the initial mint and 23 transfers
    const paged: bigint[] = [];
    let start: [] | [bigint] = [];
    for (;;) {
        const page: bigint[] = index.accountTransactions(sender, start, 5n).transactions.map((t) => t.id);
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(5);
        paged.push(...page);
        start = [page[page.length - 1] as bigint];
    }
    expect(paged).toEqual(all);
    expect(index.accountTransactions(sender, [], 0n).transactions).toEqual([]);
});

it('syncs at most one page of blocks per step', async () => {
    const ledger = newLedger();
    play(
        ledger,
        Array.from({ length: 250 }, (): Op => ({ kind: 'mint', from: 0, to: 2, amount: 1n, memo: false }))
    );
    const index = newIndex();
    const steps = await syncAll(index, sourceOf(ledger, 0n));
    expect(index.sync.synced).toBe(252n);
    expect(steps).toBe(3);
});

it('lists an owner’s subaccounts that have a history, in order, after the one given', async () => {
    const ledger = newLedger();
    play(ledger, [
        { kind: 'transfer', from: 0, to: 1, amount: 5n, memo: false },
        { kind: 'transfer', from: 0, to: 2, amount: 5n, memo: false }
    ]);
    const index = newIndex();
    await syncAll(index, sourceOf(ledger, 0n));
    const owner = users[0] as Principal;
    expect(index.listSubaccounts(owner, [])).toEqual([new Uint8Array(32), ONE]);
    expect(index.listSubaccounts(owner, [new Uint8Array(32)])).toEqual([ONE]);
    expect(index.listSubaccounts(users[3] as Principal, [])).toEqual([]);
});

describe('block reading', () => {
    const owner: ICRC3Value = { Array: [{ Blob: (users[0] as Principal).toUint8Array() }] };
    const other: ICRC3Value = { Array: [{ Blob: (users[1] as Principal).toUint8Array() }] };
    const block = (top: [string, ICRC3Value][], tx: [string, ICRC3Value][]): ICRC3Value => ({
        Map: [['ts', { Nat: 7n }], ...top, ['tx', { Map: tx }]]
    });

    it('reads a transfer the same whether tx.op or btype names it', () => {
        const fields: [string, ICRC3Value][] = [
            ['from', owner],
            ['to', other],
            ['amt', { Nat: 5n }]
        ];
        const dfinity = decodeBlock(0n, block([['fee', { Nat: FEE }]], [['op', { Text: 'xfer' }], ...fields]));
        const icrc3 = decodeBlock(
            0n,
            block(
                [
                    ['btype', { Text: '1xfer' }],
                    ['fee', { Nat: FEE }]
                ],
                fields
            )
        );
        expect(dfinity).toEqual(icrc3);
        expect(dfinity).toMatchObject({ kind: 'transfer', amount: 5n, fee: FEE, recordedFee: [FEE] });
    });

    it('refuses a block that names no operation, naming the block, and halts there', async () => {
        expect(() => decodeBlock(3n, block([], [['amt', { Nat: 1n }]]))).toThrow(
            'block 3: names no operation the index knows (btype none, tx.op none)'
        );
        const index = newIndex();
        expect(index.apply(0n, block([], [['amt', { Nat: 1n }]]))).toBe(false);
        expect(index.sync.halted).toEqual(['block 0: names no operation the index knows (btype none, tx.op none)']);
        expect(index.sync.synced).toBe(0n);
    });

    it('halts on a block that would take an account below zero, and writes nothing of it', () => {
        const index = newIndex();
        const overdraft = block(
            [['btype', { Text: '1burn' }]],
            [
                ['from', owner],
                ['amt', { Nat: 1n }]
            ]
        );
        expect(index.apply(0n, overdraft)).toBe(false);
        expect(index.sync.halted[0]).toMatch(/^block 0: takes .* balance below zero \(-1\)$/);
        expect(index.balanceOf(acct(users[0] as Principal))).toBe(0n);
        expect(index.accountTransactions(acct(users[0] as Principal), [], 10n).transactions).toEqual([]);
    });
});
