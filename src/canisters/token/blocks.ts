/**
 * The ledger's blocks as ICRC-3 values, in the schema DFINITY's ICRC-1 ledger writes (`rs/ledger_suite/icrc1/src/
 * lib.rs` in dfinity/ic: `Block`, `FlattenedTransaction`), so DFINITY's index-ng, Rosetta and explorers decode
 * them (docs/ledger-parity.md §1): the ledger time `ts`, the parent hash `phash` (absent on block 0), the
 * effective `fee` at the top when the caller of a transfer or approval named none, and the transaction `tx`,
 * whose `op` says what it is (`mint`, `burn`, `xfer`, `approve`; a transfer_from is an `xfer` with a `spender`).
 * Only ICRC-107's fee-collector blocks carry a `btype` (`107feecol`), as DFINITY's do. An account is
 * `Array [Blob owner, Blob subaccount]`, the subaccount only when the caller gave one, so None and an all-zero
 * subaccount make different transactions (as they do in DFINITY's ledger, and for deduplication).
 *
 * The layout is written here once, straight into the bytes the ledger stores and hashes (`Icrc3MapWriter`);
 * `icrc3_get_blocks` serves those bytes, and the JS path reads a transaction back as a value to hash it.
 *
 * Blocks written before this schema (by earlier versions of this ledger) carry `btype` (`1xfer`, ...) and no
 * `tx.op`; they stay as they were hashed, and {@link blockTypeOf} reads both.
 */
import { type Account, type ICRC3Value } from '../../icrc/interface';
import { Icrc3MapWriter } from '../../icrc/value-encoding';

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

/** An account as ICRC-3 writes it: `Array [Blob owner]`, or `Array [Blob owner, Blob subaccount]`. */
function accountBlobs(account: Account): Uint8Array[] {
    const owner = account.owner.toUint8Array();
    const [subaccount] = account.subaccount;
    return subaccount === undefined ? [owner] : [owner, subaccount];
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

/** The `tx.op` DFINITY's ledger writes for each block type (lib.rs, `Operation`). */
export const OPERATION_NAMES = {
    '1mint': 'mint',
    '1burn': 'burn',
    '1xfer': 'xfer',
    '2xfer': 'xfer',
    '2approve': 'approve'
} as const satisfies Record<Operation['btype'], string>;

/** Whether the block type writes the fee a caller named: transfers and approvals do; mints and burns never do. */
function recordsCallerFee(btype: Operation['btype']): boolean {
    return btype !== '1mint' && btype !== '1burn';
}

/**
 * The `tx` map of a token operation, encoded. A mint or burn records no `fee`, even one the caller named (it
 * can only be 0), as DFINITY's `Transaction::mint` and its burns do: so a burn with `fee: [0]` and one without
 * are the same transaction, for deduplication too.
 */
export function transactionBytes(op: Operation): Uint8Array {
    const tx = new Icrc3MapWriter().text('op', OPERATION_NAMES[op.btype]).nat('amt', op.amount);
    if (op.from !== undefined) tx.blobs('from', accountBlobs(op.from));
    if (op.to !== undefined) tx.blobs('to', accountBlobs(op.to));
    if (op.spender !== undefined) tx.blobs('spender', accountBlobs(op.spender));
    if (op.fee[0] !== undefined && recordsCallerFee(op.btype)) tx.nat('fee', op.fee[0]);
    if (op.memo[0] !== undefined) tx.blob('memo', op.memo[0]);
    if (op.createdAt[0] !== undefined) tx.nat('ts', op.createdAt[0]);
    if (op.expectedAllowance?.[0] !== undefined) tx.nat('expected_allowance', op.expectedAllowance[0]);
    if (op.expiresAt?.[0] !== undefined) tx.nat('expires_at', op.expiresAt[0]);
    return tx.finish();
}

/** The `tx` map of an ICRC-107 fee collector change, encoded. */
export function feeCollectorBytes(collector: [] | [Account], createdAt: bigint, caller: Uint8Array): Uint8Array {
    const tx = new Icrc3MapWriter();
    if (collector[0] !== undefined) tx.blobs('fee_collector', accountBlobs(collector[0]));
    return tx.nat('created_at_time', createdAt).blob('caller', caller).text('mthd', SET_FEE_COLLECTOR_METHOD).finish();
}

/** A whole block around an encoded `tx` map; only a fee-collector block names its `btype` (as DFINITY's ledger). */
export function blockBytes(
    btype: BlockType,
    txBytes: Uint8Array,
    ts: bigint,
    parentHash: Uint8Array | undefined,
    topFee: bigint | undefined
): Uint8Array {
    const block = new Icrc3MapWriter();
    if (btype === '107feecol') block.text('btype', btype);
    block.nat('ts', ts);
    if (parentHash !== undefined) block.blob('phash', parentHash);
    if (topFee !== undefined) block.nat('fee', topFee);
    return block.encoded('tx', txBytes).finish();
}

/** The fee written at the top of a token operation's block: the effective fee of a transfer or approval whose caller named none. */
export function topFeeOf(op: Operation): bigint | undefined {
    if (op.fee[0] !== undefined || !recordsCallerFee(op.btype)) return undefined;
    return op.effectiveFee;
}

const BLOCK_TYPE_OF_OPERATION: Readonly<Record<string, Operation['btype']>> = {
    mint: '1mint',
    burn: '1burn',
    approve: '2approve'
};

function field(map: ICRC3Value | undefined, key: string): ICRC3Value | undefined {
    return map !== undefined && 'Map' in map ? map.Map.find(([k]) => k === key)?.[1] : undefined;
}

/**
 * The block type of a block this ledger wrote, in either schema: from `tx.op` (an `xfer` with a `spender` is a
 * transfer_from's `2xfer`), or from `btype` (fee-collector blocks, and blocks written before `tx.op`).
 */
export function blockTypeOf(block: ICRC3Value): BlockType | undefined {
    const tx = field(block, 'tx');
    const op = field(tx, 'op');
    if (op !== undefined && 'Text' in op) {
        if (op.Text === 'xfer') return field(tx, 'spender') === undefined ? '1xfer' : '2xfer';
        return BLOCK_TYPE_OF_OPERATION[op.Text];
    }
    const btype = field(block, 'btype');
    if (btype === undefined || !('Text' in btype)) return undefined;
    return BLOCK_TYPES.find((t) => t.block_type === btype.Text)?.block_type;
}
