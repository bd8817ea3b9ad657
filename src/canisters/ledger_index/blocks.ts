/**
 * The index's one reading of a ledger block. Two schemas name the operation: DFINITY's ledger writes `tx.op`
 * (`mint`, `burn`, `xfer`, `approve`) and no `btype`; the ICRC-3 standard's block types put it in `btype`
 * (`1mint`, `1burn`, `1xfer`, `2xfer`, `2approve`), and ICRC-107 adds `107feecol`. Both are read, `btype` first
 * where a block has both, into one {@link IndexedBlock}; a block neither names is refused with the reason, and
 * the index stops there rather than count a balance wrong.
 */
import { Principal } from '@dfinity/principal';

import type { Account, ICRC3Value, Transaction, Value } from '../../icrc/interface';

export type BlockKind = 'mint' | 'burn' | 'transfer' | 'approve' | 'fee_collector';

/** What the index needs of a block: who it touches, what it moves, and how to show it. */
export type IndexedBlock = {
    readonly kind: BlockKind;
    /** The ledger time of the block (`ts`). */
    readonly timestamp: bigint;
    readonly from?: Account;
    readonly to?: Account;
    readonly spender?: Account;
    readonly amount: bigint;
    /** The fee the block charges: `tx.fee`, else the block's `fee`, else none (mints, burns, fee-collector changes). */
    readonly fee: bigint;
    /** The fee as the transaction record shows it: `tx.fee`, and for transfers and approvals the block's `fee`. */
    readonly recordedFee: [] | [bigint];
    readonly memo: [] | [Uint8Array];
    readonly createdAt: [] | [bigint];
    readonly expectedAllowance: [] | [bigint];
    readonly expiresAt: [] | [bigint];
    /** A fee-collector change: the new collector (none = fees are burned from here on). */
    readonly feeCollector?: [] | [Account];
    /** Legacy fee collection (`fee_col`, or `fee_col_block` pointing at the block that set it). */
    readonly legacyFeeCollector?: Account;
    readonly legacyFeeCollectorBlock?: bigint;
    readonly caller: [] | [Principal];
    readonly method: [] | [string];
};

/** A block the index cannot read; its message says which block and why. */
export class BlockDecodeError extends Error {
    override readonly name = 'BlockDecodeError';
}

const KIND_OF_OP: Readonly<Record<string, BlockKind>> = {
    mint: 'mint',
    burn: 'burn',
    xfer: 'transfer',
    approve: 'approve',
    '107set_fee_collector': 'fee_collector'
};
const KIND_OF_BTYPE: Readonly<Record<string, BlockKind>> = {
    '1mint': 'mint',
    '1burn': 'burn',
    '1xfer': 'transfer',
    '2xfer': 'transfer',
    '2approve': 'approve',
    '107feecol': 'fee_collector'
};

type AnyValue = ICRC3Value | Value;
type Fields = Map<string, AnyValue>;

function fieldsOf(value: AnyValue | undefined, what: string): Fields {
    if (value === undefined || !('Map' in value)) throw new BlockDecodeError(`${what} is not a map`);
    return new Map<string, AnyValue>(value.Map);
}

function nat(fields: Fields, key: string, what: string): [] | [bigint] {
    const value = fields.get(key);
    if (value === undefined) return [];
    if ('Nat' in value) return [value.Nat];
    if ('Nat64' in value) return [value.Nat64];
    if ('Int' in value && value.Int >= 0n) return [value.Int];
    throw new BlockDecodeError(`${what} is not a natural number`);
}

function blob(fields: Fields, key: string, what: string): [] | [Uint8Array] {
    const value = fields.get(key);
    if (value === undefined) return [];
    if ('Blob' in value) return [value.Blob];
    throw new BlockDecodeError(`${what} is not a blob`);
}

function text(fields: Fields, key: string): string | undefined {
    const value = fields.get(key);
    return value !== undefined && 'Text' in value ? value.Text : undefined;
}

/** `[owner]` or `[owner, subaccount]`, as both schemas write an account. */
function account(fields: Fields, key: string, what: string): Account | undefined {
    const value = fields.get(key);
    if (value === undefined) return undefined;
    const [owner, subaccount, ...rest] = 'Array' in value ? value.Array : [];
    if (owner === undefined || !('Blob' in owner) || rest.length > 0) throw new BlockDecodeError(`${what} is not an account`);
    if (subaccount !== undefined && (!('Blob' in subaccount) || subaccount.Blob.length !== 32))
        throw new BlockDecodeError(`${what} has a subaccount that is not 32 bytes`);
    return { owner: Principal.fromUint8Array(owner.Blob), subaccount: subaccount === undefined ? [] : [subaccount.Blob] };
}

function needs<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new BlockDecodeError(`${what} is missing`);
    return value;
}

/** The operation a block records: by `btype` when it has one the index knows, else by `tx.op`. */
function kindOf(top: Fields, tx: Fields): BlockKind {
    const btype = text(top, 'btype');
    const op = text(tx, 'op');
    const kind = (btype === undefined ? undefined : KIND_OF_BTYPE[btype]) ?? (op === undefined ? undefined : KIND_OF_OP[op]);
    if (kind === undefined)
        throw new BlockDecodeError(`names no operation the index knows (btype ${btype ?? 'none'}, tx.op ${op ?? 'none'})`);
    return kind;
}

/** Reads block `id`; throws a {@link BlockDecodeError} naming the block and the field it cannot read. */
export function decodeBlock(id: bigint, value: AnyValue): IndexedBlock {
    try {
        return decode(value);
    } catch (error) {
        if (error instanceof BlockDecodeError) throw new BlockDecodeError(`block ${id}: ${error.message}`);
        throw error;
    }
}

function decode(value: AnyValue): IndexedBlock {
    const top = fieldsOf(value, 'the block');
    const tx = fieldsOf(top.get('tx'), 'tx');
    const kind = kindOf(top, tx);
    const timestamp = needs(nat(top, 'ts', 'ts')[0], 'ts');
    const from = account(tx, 'from', 'tx.from');
    const to = account(tx, 'to', 'tx.to');
    const spender = account(tx, 'spender', 'tx.spender');
    const stated = nat(tx, 'fee', 'tx.fee')[0];
    const topFee = nat(top, 'fee', 'fee')[0];
    const caller = blob(tx, 'caller', 'tx.caller')[0];
    const method = kind === 'fee_collector' ? (text(tx, 'mthd') ?? text(tx, 'op')) : undefined;
    const legacyCollector = account(top, 'fee_col', 'fee_col');
    const legacyBlock = nat(top, 'fee_col_block', 'fee_col_block')[0];
    const block: IndexedBlock = {
        kind,
        timestamp,
        from,
        to,
        spender,
        amount: kind === 'fee_collector' ? 0n : needs(nat(tx, 'amt', 'tx.amt')[0], 'tx.amt'),
        fee: stated ?? topFee ?? 0n,
        recordedFee:
            stated !== undefined ? [stated] : topFee !== undefined && (kind === 'transfer' || kind === 'approve') ? [topFee] : [],
        memo: blob(tx, 'memo', 'tx.memo'),
        // ICRC-107's own field name for the time, then the ICRC-1 one
        createdAt:
            kind === 'fee_collector' && tx.has('created_at_time')
                ? nat(tx, 'created_at_time', 'tx.created_at_time')
                : nat(tx, 'ts', 'tx.ts'),
        expectedAllowance: nat(tx, 'expected_allowance', 'tx.expected_allowance'),
        expiresAt: nat(tx, 'expires_at', 'tx.expires_at'),
        feeCollector: kind === 'fee_collector' ? optionOf(account(tx, 'fee_collector', 'tx.fee_collector')) : undefined,
        legacyFeeCollector: legacyCollector,
        legacyFeeCollectorBlock: legacyBlock,
        caller: caller === undefined ? [] : [Principal.fromUint8Array(caller)],
        method: method === undefined ? [] : [method]
    };
    if (kind === 'mint') needs(to, 'tx.to');
    if (kind === 'burn' || kind === 'transfer' || kind === 'approve') needs(from, 'tx.from');
    if (kind === 'transfer') needs(to, 'tx.to');
    if (kind === 'approve') needs(spender, 'tx.spender');
    return block;
}

function optionOf<T>(value: T | undefined): [] | [T] {
    return value === undefined ? [] : [value];
}

/** The accounts whose history lists the block: its `from`, `to` and `spender`, each once. */
export function accountsOf(block: IndexedBlock): Account[] {
    const out: Account[] = [];
    for (const account of [block.from, block.to, block.spender]) if (account !== undefined) out.push(account);
    return out;
}

/** The block as index-ng's `Transaction` record (the legacy `get_transactions` shape). */
export function transactionOf(block: IndexedBlock): Transaction {
    const common = { memo: block.memo, created_at_time: block.createdAt, amount: block.amount };
    const fee = block.recordedFee;
    const record: Transaction = {
        kind: block.kind === 'fee_collector' ? '107feecol' : block.kind,
        timestamp: block.timestamp,
        mint: [],
        burn: [],
        transfer: [],
        approve: [],
        fee_collector: []
    };
    const from = block.from as Account;
    switch (block.kind) {
        case 'mint':
            return { ...record, mint: [{ ...common, to: block.to as Account, fee }] };
        case 'burn':
            return { ...record, burn: [{ ...common, from, spender: optionOf(block.spender), fee }] };
        case 'transfer':
            return { ...record, transfer: [{ ...common, from, to: block.to as Account, spender: optionOf(block.spender), fee }] };
        case 'approve':
            return {
                ...record,
                approve: [
                    {
                        ...common,
                        from,
                        spender: block.spender as Account,
                        fee,
                        expected_allowance: block.expectedAllowance,
                        expires_at: block.expiresAt
                    }
                ]
            };
        case 'fee_collector':
            return {
                ...record,
                fee_collector: [
                    { caller: block.caller, fee_collector: block.feeCollector ?? [], ts: block.createdAt, mthd: block.method }
                ]
            };
    }
}
