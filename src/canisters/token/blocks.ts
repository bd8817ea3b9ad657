/**
 * The ledger's blocks as ICRC-3 values (ICRC-3 standard, "Supported block types"; ICRC-107 for `107feecol`).
 * Every operation appends one: `btype`, the ledger time `ts`, the parent hash `phash` (absent on block 0), the
 * effective `fee` at the top when the caller did not name one, and the transaction `tx`. An account is
 * `Array [Blob owner, Blob subaccount]`, the subaccount only when the caller gave one, so None and an all-zero
 * subaccount make different transactions (as they do in DFINITY's ledger, and for deduplication).
 */
import { type Account, type ICRC3Value } from '../../shared/icrc/ledger';

/** The block types this ledger emits, with the standard that defines each (`icrc3_supported_block_types`). */
export const BLOCK_TYPES = [
    { block_type: '1burn', url: 'https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md' },
    { block_type: '1mint', url: 'https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md' },
    { block_type: '1xfer', url: 'https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md' },
    { block_type: '2approve', url: 'https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md' },
    { block_type: '2xfer', url: 'https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md' },
    { block_type: '107feecol', url: 'https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-107/ICRC-107.md' }
] as const;

export type BlockType = (typeof BLOCK_TYPES)[number]['block_type'];

/** The method ICRC-107 names in a `107feecol` block. */
export const SET_FEE_COLLECTOR_METHOD = '107set_fee_collector';

type Entries = [string, ICRC3Value][];

/** An account as ICRC-3 writes it. */
export function accountValue(account: Account): ICRC3Value {
    const owner: ICRC3Value = { Blob: account.owner.toUint8Array() };
    const [subaccount] = account.subaccount;
    return { Array: subaccount === undefined ? [owner] : [owner, { Blob: subaccount }] };
}

/** What a token operation records; the optional fields appear in the block only when the caller gave them. */
export type Operation = {
    readonly btype: Exclude<BlockType, '107feecol'>;
    readonly amount: bigint;
    readonly from?: Account;
    readonly to?: Account;
    readonly spender?: Account;
    /** The fee the caller named (`tx.fee`). */
    readonly fee: [] | [bigint];
    /** The fee charged, written at the top of the block when the caller named none (omitted when 0 for mints and burns). */
    readonly effectiveFee: bigint;
    readonly memo: [] | [Uint8Array];
    readonly createdAt: [] | [bigint];
    readonly expectedAllowance?: [] | [bigint];
    readonly expiresAt?: [] | [bigint];
};

/** The `tx` map of a token operation. */
export function transactionValue(op: Operation): ICRC3Value {
    const tx: Entries = [['amt', { Nat: op.amount }]];
    if (op.from !== undefined) tx.push(['from', accountValue(op.from)]);
    if (op.to !== undefined) tx.push(['to', accountValue(op.to)]);
    if (op.spender !== undefined) tx.push(['spender', accountValue(op.spender)]);
    if (op.fee[0] !== undefined) tx.push(['fee', { Nat: op.fee[0] }]);
    if (op.memo[0] !== undefined) tx.push(['memo', { Blob: op.memo[0] }]);
    if (op.createdAt[0] !== undefined) tx.push(['ts', { Nat: op.createdAt[0] }]);
    if (op.expectedAllowance?.[0] !== undefined) tx.push(['expected_allowance', { Nat: op.expectedAllowance[0] }]);
    if (op.expiresAt?.[0] !== undefined) tx.push(['expires_at', { Nat: op.expiresAt[0] }]);
    return { Map: tx };
}

/** The `tx` map of an ICRC-107 fee collector change. */
export function feeCollectorValue(collector: [] | [Account], createdAt: bigint, caller: Uint8Array): ICRC3Value {
    const tx: Entries = [];
    if (collector[0] !== undefined) tx.push(['fee_collector', accountValue(collector[0])]);
    tx.push(['created_at_time', { Nat: createdAt }], ['caller', { Blob: caller }], ['mthd', { Text: SET_FEE_COLLECTOR_METHOD }]);
    return { Map: tx };
}

/** A whole block around a `tx` map. */
export function blockValue(
    btype: BlockType,
    tx: ICRC3Value,
    ts: bigint,
    parentHash: Uint8Array | undefined,
    topFee: bigint | undefined
): ICRC3Value {
    const block: Entries = [
        ['btype', { Text: btype }],
        ['ts', { Nat: ts }]
    ];
    if (parentHash !== undefined) block.push(['phash', { Blob: parentHash }]);
    if (topFee !== undefined) block.push(['fee', { Nat: topFee }]);
    block.push(['tx', tx]);
    return { Map: block };
}

/** The fee written at the top of a token operation's block, if any. */
export function topFeeOf(op: Operation): bigint | undefined {
    if (op.fee[0] !== undefined) return undefined;
    if ((op.btype === '1mint' || op.btype === '1burn') && op.effectiveFee === 0n) return undefined;
    return op.effectiveFee;
}
