/**
 * A small reference model of an ICRC ledger, written from the standards and DFINITY's ledger (the rules and
 * their sources are in ../shared/reference/icrc.md §2.3), independently of the canister's code: plain maps, no
 * hashing, no stable structures. The model-based test runs the same calls on the canister and here and
 * requires the same answers. It also replays a block log into balances, as an index canister would.
 */
import type { Principal } from '@dfinity/principal';

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

/** The outcome of a call that trapped: the canister rejects it and nothing changes. */
export type Trapped = { trapped: string };

const DAY_NS = 86_400_000_000_000n;
const DRIFT_NS = 60_000_000_000n;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** One key per account: the default subaccount, as None or as 32 zero bytes, is the same account. */
export function accountId(account: Account): string {
    const sub = account.subaccount[0];
    return `${account.owner.toText()}.${sub === undefined || sub.every((b) => b === 0) ? '' : hex(sub)}`;
}

/** One key per (owner, spender) pair of accounts. */
export function pairId(owner: Account, spender: Account): string {
    return `${accountId(owner)}>${accountId(spender)}`;
}

/** The transaction as the caller wrote it, so that None and a zero subaccount stay apart (deduplication). */
function rawAccount(account: Account): string {
    const sub = account.subaccount[0];
    return `${account.owner.toText()}/${sub === undefined ? '-' : hex(sub)}`;
}

const opt = (value: [] | [bigint] | [Uint8Array]) =>
    value[0] === undefined ? '-' : typeof value[0] === 'bigint' ? value[0].toString() : hex(value[0]);

type Approval = { allowance: bigint; expiresAt: bigint | undefined };

/**
 * The canister checks every argument against its schema before the method runs: a subaccount that is not 32
 * bytes is refused there, as the method's GenericError (or a trap, for a method without an error variant).
 */
function badSubaccount(subaccount: [] | [Uint8Array], path: string): string | undefined {
    const sub = subaccount[0];
    return sub !== undefined && sub.length !== 32 ? `arg 0.${path}.0: a subaccount is 32 bytes` : undefined;
}

const invalidArgument = (message: string) => ({ Err: { GenericError: { error_code: 0n, message } } });

export class TokenModel {
    readonly balances = new Map<string, bigint>();
    readonly approvals = new Map<string, Approval>();
    /** Transactions with `created_at_time`, by their raw form, with the index of their block. */
    private readonly seen = new Map<string, bigint>();
    blocks = 0n;
    totalSupply = 0n;
    feeCollector: Account | undefined;

    constructor(
        readonly minting: Account,
        readonly fee: bigint,
        readonly maxMemo: number,
        initial: readonly [Account, bigint][]
    ) {
        for (const [account, amount] of initial) {
            this.credit(account, amount);
            this.totalSupply += amount;
            this.blocks++;
        }
    }

    balance(account: Account): bigint {
        return this.balances.get(accountId(account)) ?? 0n;
    }

    allowance(owner: Account, spender: Account, now: bigint): { allowance: bigint; expires_at: [] | [bigint] } {
        const approval = this.approvals.get(pairId(owner, spender));
        if (approval === undefined || (approval.expiresAt !== undefined && approval.expiresAt <= now))
            return { allowance: 0n, expires_at: [] };
        if (approval.allowance === 0n) return { allowance: 0n, expires_at: [] };
        return { allowance: approval.allowance, expires_at: approval.expiresAt === undefined ? [] : [approval.expiresAt] };
    }

    transfer(caller: Principal, arg: TransferArg, now: bigint): TransferResult | Trapped {
        const invalid =
            badSubaccount(arg.from_subaccount, 'from_subaccount') ?? badSubaccount(arg.to.subaccount, 'to.subaccount');
        if (invalid !== undefined) return invalidArgument(invalid);
        const long = this.memoTrap(arg.memo);
        return long ?? this.transferChecked(caller, arg, now);
    }

    transferBatch(caller: Principal, args: readonly TransferArg[], now: bigint): TransferBatchResults | Trapped {
        for (const arg of args) {
            const invalid =
                badSubaccount(arg.from_subaccount, 'from_subaccount') ?? badSubaccount(arg.to.subaccount, 'to.subaccount');
            if (invalid !== undefined) return { trapped: invalid };
        }
        for (const arg of args) {
            const long = this.memoTrap(arg.memo);
            if (long !== undefined) return long;
        }
        // A trap in any transfer undoes the whole batch.
        const snapshot = this.snapshot();
        const results: TransferBatchResults = [];
        for (const arg of args) {
            const result = this.transferChecked(caller, arg, now);
            if ('trapped' in result) {
                this.restore(snapshot);
                return result;
            }
            results.push([result]);
        }
        return results;
    }

    approve(caller: Principal, arg: ApproveArgs, now: bigint): ApproveResult | Trapped {
        // DFINITY's ApproveArgs types this subaccount as a plain blob; the ledger checks its length itself, first.
        const sub = arg.from_subaccount[0];
        if (sub !== undefined && sub.length !== 32) return invalidArgument('a subaccount is 32 bytes');
        const from: Account = { owner: caller, subaccount: arg.from_subaccount };
        // DFINITY's order: self-approval, the minting account, then the memo (with its approve wording)
        if (caller.toText() === arg.spender.owner.toText()) return { trapped: 'self approval is not allowed' };
        if (this.isMinting(from)) return { trapped: 'the minting account cannot delegate mints' };
        if ((arg.memo[0]?.length ?? 0) > this.maxMemo) return { trapped: 'the memo field is too large' };
        if (arg.fee[0] !== undefined && arg.fee[0] !== this.fee) return { Err: { BadFee: { expected_fee: this.fee } } };
        const key = this.dedupKey('2approve', [
            rawAccount(from),
            rawAccount(arg.spender),
            arg.amount.toString(),
            opt(arg.fee),
            opt(arg.memo),
            opt(arg.created_at_time),
            opt(arg.expected_allowance),
            opt(arg.expires_at)
        ]);
        const timeError = this.checkTime(arg.created_at_time, key, now);
        if (timeError !== undefined) return { Err: timeError };
        const balance = this.balance(from);
        if (balance < this.fee) return { Err: { InsufficientFunds: { balance } } };
        const expires = arg.expires_at[0];
        if (expires !== undefined && expires <= now) return { Err: { Expired: { ledger_time: now } } };
        const current = this.allowance(from, arg.spender, now).allowance;
        const expected = arg.expected_allowance[0];
        if (expected !== undefined && expected !== current) return { Err: { AllowanceChanged: { current_allowance: current } } };
        this.debit(from, this.fee);
        this.approvals.set(pairId(from, arg.spender), { allowance: arg.amount, expiresAt: expires });
        this.payFee(this.fee);
        return { Ok: this.append(key, arg.created_at_time) };
    }

    transferFrom(caller: Principal, arg: TransferFromArgs, now: bigint): TransferFromResult | Trapped {
        const long = this.memoTrap(arg.memo);
        if (long !== undefined) return long;
        if (this.isMinting(arg.from)) return { trapped: 'the minter account cannot delegate mints' };
        const spender: Account = { owner: caller, subaccount: arg.spender_subaccount };
        const burn = this.isMinting(arg.to);
        const fee = burn ? 0n : this.fee;
        if (arg.fee[0] !== undefined && arg.fee[0] !== fee) return { Err: { BadFee: { expected_fee: fee } } };
        const balance = this.balance(arg.from);
        if (burn) {
            const badBurn = this.badBurn(arg.amount, balance);
            if (badBurn !== undefined) return { Err: badBurn };
        }
        const key = this.dedupKey(burn ? '1burn' : '2xfer', [
            rawAccount(arg.from),
            burn ? '-' : rawAccount(arg.to),
            rawAccount(spender),
            arg.amount.toString(),
            // a burn records no fee (DFINITY's ledger: docs/ledger-parity.md D4), so it is not part of its identity
            burn ? '-' : opt(arg.fee),
            opt(arg.memo),
            opt(arg.created_at_time)
        ]);
        const timeError = this.checkTime(arg.created_at_time, key, now);
        if (timeError !== undefined) return { Err: timeError };
        const debit = arg.amount + fee;
        const selfSpend = accountId(spender) === accountId(arg.from);
        const allowance = this.allowance(arg.from, spender, now).allowance;
        if (!selfSpend && debit > allowance) return { Err: { InsufficientAllowance: { allowance } } };
        if (debit > balance) return { Err: { InsufficientFunds: { balance } } };
        this.debit(arg.from, debit);
        if (burn) this.totalSupply -= arg.amount;
        else this.credit(arg.to, arg.amount);
        if (!selfSpend) {
            const pair = pairId(arg.from, spender);
            const approval = this.approvals.get(pair) as Approval;
            this.approvals.set(pair, { ...approval, allowance: approval.allowance - debit });
        }
        this.payFee(fee);
        return { Ok: this.append(key, arg.created_at_time) };
    }

    setFeeCollector(isController: boolean, caller: Principal, arg: SetFeeCollectorArgs, now: bigint): SetFeeCollectorResult {
        if (!isController) return { Err: { AccessDenied: 'only a controller of the ledger may set the fee collector' } };
        const collector = arg.fee_collector[0];
        if (collector !== undefined && this.isMinting(collector))
            return { Err: { InvalidAccount: 'the fee collector cannot be the minting account' } };
        const key = this.dedupKey('107feecol', [
            collector === undefined ? '-' : rawAccount(collector),
            arg.created_at_time.toString(),
            caller.toText()
        ]);
        const timeError = this.checkTime([arg.created_at_time], key, now);
        if (timeError !== undefined) {
            if ('Duplicate' in timeError) return { Err: timeError };
            const message = 'TooOld' in timeError ? 'created_at_time is too old' : 'created_at_time is in the future';
            return { Err: { GenericError: { error_code: 1n, message } } };
        }
        this.feeCollector = collector;
        return { Ok: this.append(key, [arg.created_at_time]) };
    }

    /** A transfer whose memo has been checked. */
    private transferChecked(caller: Principal, arg: TransferArg, now: bigint): TransferResult | Trapped {
        const from: Account = { owner: caller, subaccount: arg.from_subaccount };
        // DFINITY looks at the destination first: the minting account to itself is a burn (of nothing it holds)
        const burn = this.isMinting(arg.to);
        const mint = !burn && this.isMinting(from);
        const fee = mint || burn ? 0n : this.fee;
        if (arg.fee[0] !== undefined && arg.fee[0] !== fee) return { Err: { BadFee: { expected_fee: fee } } };
        const balance = this.balance(from);
        if (burn) {
            const badBurn = this.badBurn(arg.amount, balance);
            if (badBurn !== undefined) return { Err: badBurn };
        }
        const key = this.dedupKey(mint ? '1mint' : burn ? '1burn' : '1xfer', [
            mint ? '-' : rawAccount(from),
            burn ? '-' : rawAccount(arg.to),
            arg.amount.toString(),
            mint || burn ? '-' : opt(arg.fee),
            opt(arg.memo),
            opt(arg.created_at_time)
        ]);
        const timeError = this.checkTime(arg.created_at_time, key, now);
        if (timeError !== undefined) return { Err: timeError };
        if (!mint) {
            if (arg.amount + fee > balance) return { Err: { InsufficientFunds: { balance } } };
            this.debit(from, arg.amount + fee);
        }
        if (!burn) this.credit(arg.to, arg.amount);
        if (mint) this.totalSupply += arg.amount;
        if (burn) this.totalSupply -= arg.amount;
        this.payFee(fee);
        return { Ok: this.append(key, arg.created_at_time) };
    }

    /** A burn below the fee, or below the whole balance when that is smaller; of nothing, the fee is the minimum. */
    private badBurn(amount: bigint, balance: bigint): { BadBurn: { min_burn_amount: bigint } } | undefined {
        const min = this.fee < balance ? this.fee : balance;
        if (amount < min) return { BadBurn: { min_burn_amount: min } };
        return amount === 0n ? { BadBurn: { min_burn_amount: this.fee } } : undefined;
    }

    private memoTrap(memo: [] | [Uint8Array]): Trapped | undefined {
        const length = memo[0]?.length ?? 0;
        return length > this.maxMemo
            ? { trapped: `the memo field size of ${length} bytes is above the allowed limit of ${this.maxMemo} bytes` }
            : undefined;
    }

    private checkTime(
        createdAt: [] | [bigint],
        key: string,
        now: bigint
    ): { TooOld: null } | { CreatedInFuture: { ledger_time: bigint } } | { Duplicate: { duplicate_of: bigint } } | undefined {
        const at = createdAt[0];
        if (at === undefined) return undefined;
        if (at + DAY_NS < now) return { TooOld: null }; // DFINITY adds no drift to the old bound
        if (at > now + DRIFT_NS) return { CreatedInFuture: { ledger_time: now } };
        const earlier = this.seen.get(key);
        return earlier === undefined ? undefined : { Duplicate: { duplicate_of: earlier } };
    }

    private dedupKey(btype: string, fields: string[]): string {
        return [btype, ...fields].join('|');
    }

    private append(key: string, createdAt: [] | [bigint]): bigint {
        const index = this.blocks++;
        if (createdAt[0] !== undefined) this.seen.set(key, index);
        return index;
    }

    private isMinting(account: Account): boolean {
        return accountId(account) === accountId(this.minting);
    }

    private credit(account: Account, amount: bigint): void {
        this.balances.set(accountId(account), this.balance(account) + amount);
    }

    private debit(account: Account, amount: bigint): void {
        this.balances.set(accountId(account), this.balance(account) - amount);
    }

    private payFee(fee: bigint): void {
        if (fee === 0n) return;
        if (this.feeCollector === undefined) this.totalSupply -= fee;
        else this.credit(this.feeCollector, fee);
    }

    private snapshot() {
        return {
            balances: new Map(this.balances),
            approvals: new Map(this.approvals),
            seen: new Map(this.seen),
            blocks: this.blocks,
            totalSupply: this.totalSupply
        };
    }

    private restore(s: ReturnType<TokenModel['snapshot']>): void {
        for (const [target, source] of [
            [this.balances, s.balances],
            [this.approvals, s.approvals],
            [this.seen, s.seen]
        ] as [Map<string, unknown>, Map<string, unknown>][]) {
            target.clear();
            for (const [k, v] of source) target.set(k, v);
        }
        this.blocks = s.blocks;
        this.totalSupply = s.totalSupply;
    }
}

// --- replaying a block log, as an index canister does ---

function field(map: ICRC3Value, name: string): ICRC3Value | undefined {
    return 'Map' in map ? map.Map.find(([key]) => key === name)?.[1] : undefined;
}

function nat(value: ICRC3Value | undefined): bigint | undefined {
    return value !== undefined && 'Nat' in value ? value.Nat : undefined;
}

/** The account id of an ICRC-3 account value (`Array [Blob owner, Blob subaccount?]`). */
function accountOf(value: ICRC3Value | undefined, principalOf: (bytes: Uint8Array) => Principal): string | undefined {
    if (value === undefined || !('Array' in value)) return undefined;
    const [owner, sub] = value.Array;
    if (owner === undefined || !('Blob' in owner)) throw new Error('an account without an owner blob');
    const subaccount: [] | [Uint8Array] = sub !== undefined && 'Blob' in sub ? [sub.Blob] : [];
    return accountId({ owner: principalOf(owner.Blob), subaccount });
}

/**
 * Balances and supply from the blocks alone: each block's effect by its `tx.op` (a `107feecol` block by its
 * `btype`), the fee being the
 * transaction's `fee` or else the block's, paid to the fee collector that the last `107feecol` block named.
 */
export function replay(
    blocks: readonly ICRC3Value[],
    principalOf: (bytes: Uint8Array) => Principal
): { balances: Map<string, bigint>; totalSupply: bigint } {
    const balances = new Map<string, bigint>();
    const add = (id: string | undefined, amount: bigint) => {
        if (id === undefined) throw new Error('a block without the account it moves');
        balances.set(id, (balances.get(id) ?? 0n) + amount);
    };
    let supply = 0n;
    let collector: string | undefined;
    for (const block of blocks) {
        const btype = field(block, 'btype');
        const tx = field(block, 'tx');
        if (tx === undefined) throw new Error('a block without tx');
        if (btype !== undefined && 'Text' in btype && btype.Text === '107feecol') {
            collector = accountOf(field(tx, 'fee_collector'), principalOf);
            continue;
        }
        // DFINITY's schema (docs/ledger-parity.md §1): every other block says what it is in `tx.op`
        const op = field(tx, 'op');
        if (op === undefined || !('Text' in op)) throw new Error('a block without tx.op');
        const amount = nat(field(tx, 'amt')) ?? 0n;
        const fee = nat(field(tx, 'fee')) ?? nat(field(block, 'fee')) ?? 0n;
        const from = accountOf(field(tx, 'from'), principalOf);
        const to = accountOf(field(tx, 'to'), principalOf);
        switch (op.Text) {
            case 'mint':
                add(to, amount);
                supply += amount;
                break;
            case 'burn':
                add(from, -amount - fee);
                supply -= amount;
                break;
            case 'xfer':
                add(from, -amount - fee);
                add(to, amount);
                break;
            case 'approve':
                add(from, -fee);
                break;
            default:
                throw new Error(`unknown operation ${op.Text}`);
        }
        if (fee > 0n) {
            if (collector === undefined) supply -= fee;
            else add(collector, fee);
        }
    }
    return { balances, totalSupply: supply };
}
