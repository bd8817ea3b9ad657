/**
 * The model-based test's vocabulary: random ledger operations (fast-check arbitraries), a driver interface that
 * the canister and the in-process ledger both implement, and the runner that plays operations on a driver and
 * on the reference model (`model.ts`) and checks, after every step, that they agree.
 */
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';
import * as fc from 'fast-check';

import type {
    Account,
    ApproveArgs,
    ApproveResult,
    ICRC3Value,
    SetFeeCollectorArgs,
    SetFeeCollectorResult,
    TransferArg,
    TransferBatchResults,
    TransferFromArgs,
    TransferFromResult,
    TransferResult
} from '../../src/icrc/interface';
import { decodeDfinityBlock } from '../support/dfinity-block';
import { accountId, pairId, replay, TokenModel, type Trapped } from './model';

export const FEE = 10_000n;
export const MAX_MEMO = 32;
const SECOND_NS = 1_000_000_000n;
const DAY_NS = 86_400n * SECOND_NS;

/** Four users, the minter (owner of the minting account) and the controller that may set the fee collector. */
export const USERS = [1, 2, 3, 4].map((n) => Ed25519KeyIdentity.generate(new Uint8Array(32).fill(100 + n)));
export const MINTER = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(100));
export const CONTROLLER = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(99));

/** How a test names a subaccount: none, 32 zero bytes (the same account as none), another one, or a bad length. */
type Sub = 'none' | 'zero' | 'one' | 'short';
type Who = number | 'minter';

const subaccountOf = (sub: Sub): [] | [Uint8Array] =>
    sub === 'none'
        ? []
        : sub === 'zero'
          ? [new Uint8Array(32)]
          : sub === 'one'
            ? [Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0))]
            : [new Uint8Array(31)];

const principalOf = (who: Who): Principal => (who === 'minter' ? MINTER : (USERS[who] as Ed25519KeyIdentity)).getPrincipal();
const accountRef = (who: Who, sub: Sub): Account => ({ owner: principalOf(who), subaccount: subaccountOf(sub) });
export const MINTING_ACCOUNT: Account = accountRef('minter', 'none');
export const INITIAL_BALANCES: [Account, bigint][] = [
    [accountRef(0, 'none'), 1_000_000n],
    [accountRef(1, 'one'), 400_000n]
];

/** Every account the operations touch (subaccount `zero` is `none`): balances are checked on all of them. */
export const UNIVERSE: Account[] = [
    MINTING_ACCOUNT,
    accountRef('minter', 'one'),
    ...[0, 1, 2, 3].flatMap((user) => [accountRef(user, 'none'), accountRef(user, 'one')])
];

type TimeChoice = 'none' | 'now' | 'recent' | 'drift' | 'old' | 'future';
type FeeChoice = 'none' | 'right' | 'wrong';

type TransferSpec = { from: Sub; to: { who: Who; sub: Sub }; amount: bigint; fee: FeeChoice; memo?: Uint8Array; at: TimeChoice };

export type Operation =
    | { kind: 'transfer'; caller: Who; spec: TransferSpec }
    | { kind: 'batch'; caller: Who; specs: TransferSpec[] }
    | {
          kind: 'approve';
          caller: number;
          from: Sub;
          spender: { who: Who; sub: Sub };
          amount: bigint;
          fee: FeeChoice;
          expected: 'none' | 'current' | 'other';
          expires: 'none' | 'past' | 'future';
          at: TimeChoice;
      }
    | {
          kind: 'transferFrom';
          caller: number;
          spenderSub: Sub;
          from: { who: Who; sub: Sub };
          to: { who: Who; sub: Sub };
          amount: bigint;
          fee: FeeChoice;
          at: TimeChoice;
      }
    | { kind: 'setFeeCollector'; asController: boolean; collector: { who: Who; sub: Sub } | undefined; at: TimeChoice }
    /** Sends an earlier call again, verbatim: one of the last few, or one that succeeded (a duplicate if timed). */
    | { kind: 'repeat'; back: number; succeeded: boolean }
    | { kind: 'wait'; seconds: number };

const who = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }) },
    { weight: 1, arbitrary: fc.constant('minter' as const) }
);
const goodSub = fc.constantFrom<Sub>('none', 'zero', 'one');
const anySub = fc.oneof({ weight: 12, arbitrary: goodSub }, { weight: 1, arbitrary: fc.constant<Sub>('short') });
const target = fc.record({ who, sub: goodSub });
const amount = fc.oneof(
    { weight: 3, arbitrary: fc.bigInt(0n, 2n * FEE) },
    { weight: 4, arbitrary: fc.bigInt(0n, 300_000n) },
    { weight: 1, arbitrary: fc.constantFrom(FEE, 2n ** 64n, 2n ** 80n) }
);
const fee = fc.constantFrom<FeeChoice>('none', 'none', 'right', 'wrong');
const at = fc.constantFrom<TimeChoice>('none', 'none', 'now', 'recent', 'drift', 'old', 'future');
// Sizes named: fast-check keeps arrays short by default, so a long or oversized memo must be asked for.
const memo = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 8 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: MAX_MEMO, maxLength: MAX_MEMO }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: MAX_MEMO + 1, maxLength: MAX_MEMO + 2 }) }
);
const transferSpec: fc.Arbitrary<TransferSpec> = fc.record({
    from: goodSub,
    to: fc.record({ who, sub: anySub }),
    amount,
    fee,
    memo,
    at
});

/** One random operation; bad ones (wrong fee, old time, short subaccount, long memo, self-approval) included. */
export const operation: fc.Arbitrary<Operation> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('transfer' as const), caller: who, spec: transferSpec }) },
    {
        weight: 1,
        arbitrary: fc.record({
            kind: fc.constant('batch' as const),
            caller: who,
            specs: fc.array(transferSpec, { minLength: 0, maxLength: 4 })
        })
    },
    {
        weight: 3,
        arbitrary: fc.record({
            kind: fc.constant('approve' as const),
            caller: fc.integer({ min: 0, max: 3 }),
            from: anySub,
            spender: target,
            amount,
            fee,
            expected: fc.constantFrom('none', 'none', 'current', 'other'),
            expires: fc.constantFrom('none', 'none', 'past', 'future'),
            at
        })
    },
    {
        weight: 3,
        arbitrary: fc.record({
            kind: fc.constant('transferFrom' as const),
            caller: fc.integer({ min: 0, max: 3 }),
            spenderSub: goodSub,
            from: target,
            to: target,
            amount,
            fee,
            at
        })
    },
    {
        weight: 1,
        arbitrary: fc.record({
            kind: fc.constant('setFeeCollector' as const),
            asController: fc.boolean(),
            collector: fc.option(target, { nil: undefined }),
            at: fc.constantFrom<TimeChoice>('now', 'recent', 'old')
        })
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), back: fc.nat(5), succeeded: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.constantFrom(1, 600, 7_200, 90_000) }) }
);

/** A ledger the runner can drive: the canister through an IC, or the ledger's code in Node. */
export interface TokenDriver {
    /** The ledger's time, in nanoseconds. */
    now(): Promise<bigint>;
    wait(seconds: number): Promise<void>;
    transfer(caller: Principal, arg: TransferArg): Promise<TransferResult | Trapped>;
    transferBatch(caller: Principal, args: TransferArg[]): Promise<TransferBatchResults | Trapped>;
    approve(caller: Principal, arg: ApproveArgs): Promise<ApproveResult | Trapped>;
    transferFrom(caller: Principal, arg: TransferFromArgs): Promise<TransferFromResult | Trapped>;
    setFeeCollector(caller: Principal, arg: SetFeeCollectorArgs): Promise<SetFeeCollectorResult | Trapped>;
    balances(accounts: Account[]): Promise<bigint[]>;
    allowance(owner: Account, spender: Account): Promise<{ allowance: bigint; expires_at: [] | [bigint] }>;
    totalSupply(): Promise<bigint>;
    blocks(): Promise<ICRC3Value[]>;
}

/** A call with concrete arguments, kept so that `repeat` can send it again verbatim. */
type Call =
    | { method: 'transfer'; caller: Principal; arg: TransferArg }
    | { method: 'transferBatch'; caller: Principal; arg: TransferArg[] }
    | { method: 'approve'; caller: Principal; arg: ApproveArgs }
    | { method: 'transferFrom'; caller: Principal; arg: TransferFromArgs }
    | { method: 'setFeeCollector'; caller: Principal; arg: SetFeeCollectorArgs };

function createdAt(choice: TimeChoice, now: bigint): [] | [bigint] {
    switch (choice) {
        case 'none':
            return [];
        case 'now':
            return [now];
        case 'recent':
            return [now - 600n * SECOND_NS];
        case 'drift':
            return [now + 30n * SECOND_NS];
        case 'old':
            return [now - DAY_NS - 120n * SECOND_NS];
        case 'future':
            return [now + 120n * SECOND_NS];
    }
}

function feeArg(choice: FeeChoice, right: bigint): [] | [bigint] {
    return choice === 'none' ? [] : choice === 'right' ? [right] : [right + 1n];
}

export function newModel(): TokenModel {
    return new TokenModel(MINTING_ACCOUNT, FEE, MAX_MEMO, INITIAL_BALANCES);
}

/** Turns an operation into a call with concrete arguments, given the model's state and the ledger's time. */
function resolve(op: Exclude<Operation, { kind: 'repeat' | 'wait' }>, model: TokenModel, now: bigint): Call {
    const transferArg = (caller: Who, spec: TransferSpec): TransferArg => {
        const to = accountRef(spec.to.who, spec.to.sub);
        const minting = caller === 'minter' || accountId(to) === accountId(MINTING_ACCOUNT);
        return {
            from_subaccount: subaccountOf(spec.from),
            to,
            amount: spec.amount,
            fee: feeArg(spec.fee, minting ? 0n : FEE),
            memo: spec.memo === undefined ? [] : [spec.memo],
            created_at_time: createdAt(spec.at, now)
        };
    };
    switch (op.kind) {
        case 'transfer':
            return { method: 'transfer', caller: principalOf(op.caller), arg: transferArg(op.caller, op.spec) };
        case 'batch':
            return {
                method: 'transferBatch',
                caller: principalOf(op.caller),
                arg: op.specs.map((spec) => transferArg(op.caller, spec))
            };
        case 'approve': {
            const from = accountRef(op.caller, op.from === 'short' ? 'none' : op.from);
            const spender = accountRef(op.spender.who, op.spender.sub);
            const current = model.allowance(from, spender, now).allowance;
            return {
                method: 'approve',
                caller: principalOf(op.caller),
                arg: {
                    from_subaccount: subaccountOf(op.from),
                    spender,
                    amount: op.amount,
                    fee: feeArg(op.fee, FEE),
                    memo: [],
                    created_at_time: createdAt(op.at, now),
                    expected_allowance: op.expected === 'none' ? [] : op.expected === 'current' ? [current] : [current + 1n],
                    expires_at:
                        op.expires === 'none' ? [] : op.expires === 'past' ? [now - SECOND_NS] : [now + 3_600n * SECOND_NS]
                }
            };
        }
        case 'transferFrom': {
            const to = accountRef(op.to.who, op.to.sub);
            return {
                method: 'transferFrom',
                caller: principalOf(op.caller),
                arg: {
                    spender_subaccount: subaccountOf(op.spenderSub),
                    from: accountRef(op.from.who, op.from.sub),
                    to,
                    amount: op.amount,
                    fee: feeArg(op.fee, accountId(to) === accountId(MINTING_ACCOUNT) ? 0n : FEE),
                    memo: [],
                    created_at_time: createdAt(op.at, now)
                }
            };
        }
        case 'setFeeCollector':
            return {
                method: 'setFeeCollector',
                caller: (op.asController ? CONTROLLER : (USERS[0] as Ed25519KeyIdentity)).getPrincipal(),
                arg: {
                    fee_collector: op.collector === undefined ? [] : [accountRef(op.collector.who, op.collector.sub)],
                    created_at_time: createdAt(op.at, now)[0] ?? now
                }
            };
    }
}

function onModel(model: TokenModel, call: Call, now: bigint): unknown {
    switch (call.method) {
        case 'transfer':
            return model.transfer(call.caller, call.arg, now);
        case 'transferBatch':
            return model.transferBatch(call.caller, call.arg, now);
        case 'approve':
            return model.approve(call.caller, call.arg, now);
        case 'transferFrom':
            return model.transferFrom(call.caller, call.arg, now);
        case 'setFeeCollector':
            return model.setFeeCollector(call.caller.toText() === CONTROLLER.getPrincipal().toText(), call.caller, call.arg, now);
    }
}

function onDriver(driver: TokenDriver, call: Call): Promise<unknown> {
    switch (call.method) {
        case 'transfer':
            return driver.transfer(call.caller, call.arg);
        case 'transferBatch':
            return driver.transferBatch(call.caller, call.arg);
        case 'approve':
            return driver.approve(call.caller, call.arg);
        case 'transferFrom':
            return driver.transferFrom(call.caller, call.arg);
        case 'setFeeCollector':
            return driver.setFeeCollector(call.caller, call.arg);
    }
}

/**
 * The same outcome: equal values, except that a trap matches any trap, and a `ledger_time` the ledger reports
 * may differ from the model's clock by the rounds that passed (the IC adds 1 ns a round) when `timeSlack` is set.
 */
function sameOutcome(actual: unknown, expected: unknown, timeSlack: bigint): boolean {
    if (typeof expected === 'object' && expected !== null && 'trapped' in expected)
        return typeof actual === 'object' && actual !== null && 'trapped' in actual;
    return equalValues(actual, expected, timeSlack, '');
}

function equalValues(a: unknown, b: unknown, slack: bigint, key: string): boolean {
    if (typeof a === 'bigint' && typeof b === 'bigint') return key === 'ledger_time' ? (a > b ? a - b : b - a) <= slack : a === b;
    if (a instanceof Principal || b instanceof Principal)
        return a instanceof Principal && b instanceof Principal && a.toText() === b.toText();
    if (a instanceof Uint8Array || b instanceof Uint8Array)
        return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
    if (Array.isArray(a) || Array.isArray(b))
        return (
            Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equalValues(x, b[i], slack, ''))
        );
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
        const ka = Object.keys(a).sort();
        const kb = Object.keys(b).sort();
        return (
            ka.join() === kb.join() &&
            ka.every((k) => equalValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], slack, k))
        );
    }
    return a === b;
}

const show = (value: unknown) =>
    JSON.stringify(value, (_, v) =>
        typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v
    );

/** Names of what a call came to (`transfer:Ok`, `approve:AllowanceChanged`, `transfer:trap`…), to count coverage. */
function outcomesOf(method: Call['method'], outcome: unknown): string[] {
    if (typeof outcome !== 'object' || outcome === null) return [];
    if ('trapped' in outcome) return [`${method}:trap`];
    if (Array.isArray(outcome)) return outcome.flatMap((r: unknown[]) => outcomesOf(method, r[0]));
    if ('Ok' in outcome) return [`${method}:Ok`];
    if ('Err' in outcome && typeof outcome.Err === 'object' && outcome.Err !== null)
        return Object.keys(outcome.Err).map((variant) => `${method}:${variant}`);
    return [];
}

/**
 * Plays the operations on the driver and the model. After each step: the same answer; the same balance on every
 * account of the universe; the same allowances on the pairs used so far; total supply equal to the sum of
 * balances; the minting account at 0. At the end, the block log replays to the same balances and supply.
 * `seen` counts the outcomes, so a test can require that the sequences reached each of them.
 */
export async function runOperations(
    driver: TokenDriver,
    operations: Operation[],
    timeSlack: bigint,
    seen: Map<string, number> = new Map()
): Promise<void> {
    const model = newModel();
    const calls: Call[] = [];
    const succeeded: Call[] = [];
    const earlier = (list: Call[], back: number) => list[list.length - 1 - (back % Math.max(list.length, 1))];
    const pairs = new Map<string, [Account, Account]>();
    for (const [step, op] of operations.entries()) {
        const where = `step ${step} (${show(op)})`;
        if (op.kind === 'wait') {
            await driver.wait(op.seconds);
            continue;
        }
        const now = await driver.now();
        const call = op.kind === 'repeat' ? earlier(op.succeeded ? succeeded : calls, op.back) : resolve(op, model, now);
        if (call === undefined) continue;
        calls.push(call);
        const expected = onModel(model, call, now);
        if (typeof expected === 'object' && expected !== null && 'Ok' in expected) succeeded.push(call);
        const actual = await onDriver(driver, call);
        if (!sameOutcome(actual, expected, timeSlack))
            throw new Error(`${where}: the ledger answered ${show(actual)}, the model ${show(expected)}`);
        for (const outcome of outcomesOf(call.method, expected)) seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        if (call.method === 'approve' || call.method === 'transferFrom') {
            const owner =
                call.method === 'approve' ? { owner: call.caller, subaccount: call.arg.from_subaccount } : call.arg.from;
            const spender =
                call.method === 'approve' ? call.arg.spender : { owner: call.caller, subaccount: call.arg.spender_subaccount };
            if ((owner.subaccount[0]?.length ?? 32) === 32) pairs.set(pairId(owner, spender), [owner, spender]);
        }
        await checkState(driver, model, [...pairs.values()], now, where);
    }
    const blocks = await driver.blocks();
    if (BigInt(blocks.length) !== model.blocks)
        throw new Error(`the ledger has ${blocks.length} blocks, the model ${model.blocks}`);
    // Every block must be one DFINITY's index-ng and Rosetta can read: their decoder, rewritten field by field
    // (its u256 build, as ckETH's: the random amounts reach past 64 bits, which this ledger's nat allows)
    for (const [i, block] of blocks.entries()) {
        try {
            decodeDfinityBlock(block, 'u256');
        } catch (e) {
            throw new Error(`block ${i} is not one DFINITY's decoder reads: ${(e as Error).message}`, { cause: e });
        }
    }
    const replayed = replay(blocks, (bytes) => Principal.fromUint8Array(bytes));
    if (replayed.totalSupply !== model.totalSupply) throw new Error(`the blocks replay to supply ${replayed.totalSupply}`);
    for (const account of UNIVERSE) {
        const id = accountId(account);
        if ((replayed.balances.get(id) ?? 0n) !== model.balance(account))
            throw new Error(`the blocks replay ${id} to ${replayed.balances.get(id)}, the model has ${model.balance(account)}`);
    }
}

async function checkState(
    driver: TokenDriver,
    model: TokenModel,
    pairs: [Account, Account][],
    now: bigint,
    where: string
): Promise<void> {
    const balances = await driver.balances(UNIVERSE);
    let sum = 0n;
    for (const [i, account] of UNIVERSE.entries()) {
        const expected = model.balance(account);
        if (balances[i] !== expected)
            throw new Error(`${where}: ${accountId(account)} holds ${balances[i]}, the model ${expected}`);
        sum += expected;
    }
    if (balances[0] !== 0n) throw new Error(`${where}: the minting account holds ${balances[0]}`);
    const supply = await driver.totalSupply();
    if (supply !== model.totalSupply || supply !== sum)
        throw new Error(`${where}: total supply ${supply}, the model ${model.totalSupply}, the balances sum to ${sum}`);
    for (const [owner, spender] of pairs) {
        const actual = await driver.allowance(owner, spender);
        const expected = model.allowance(owner, spender, now);
        if (!equalValues(actual, expected, 0n, ''))
            throw new Error(`${where}: allowance ${pairId(owner, spender)} is ${show(actual)}, the model ${show(expected)}`);
    }
}
