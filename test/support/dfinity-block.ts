/**
 * DFINITY's ICRC-1 ledger block decoder, rewritten field by field for tests: what `ic_icrc1::Block::try_from(
 * GenericBlock)` accepts (dfinity/ic `rs/ledger_suite/icrc1/src/lib.rs` @ 0584a72, `BlockWithFlattenedTransaction`,
 * `FlattenedTransaction` and `Operation::try_from`; accounts as `compact_account.rs` @ 572edfc; the value to CBOR
 * step of `blocks.rs` @ 4c3385d). DFINITY's index-ng decodes every block it syncs this way and halts on the first
 * it cannot decode, so a block this decoder refuses would stop a wallet's history.
 *
 * What DFINITY's serde decoding does, and so what this does:
 * - the block is a map; `ts` (u64) and `tx` (map) are required; `phash` (32-byte blob), `fee` (tokens),
 *   `fee_col` (account), `fee_col_block` (u64) and `btype` (text) are optional; other keys are ignored;
 * - in `tx`: `ts` (created_at_time, u64), `memo` (blob), `op` (text), `from`/`to`/`spender`/`fee_collector`
 *   (accounts), `amt`/`fee`/`expected_allowance` (tokens), `expires_at` (u64), `caller` (principal);
 * - `btype = "107feecol"` makes a fee-collector operation whatever `tx.op` says; otherwise `tx.op` is required and
 *   names the operation (`mint`, `burn`, `xfer`, `approve`, `107set_fee_collector`), each with its required fields;
 * - a number is a CBOR unsigned integer: a Nat, a Nat64 or a non-negative Int; tokens fit 64 bits in the u64
 *   build (ICP-style ledgers, ckBTC) and 256 bits in the u256 build (ckETH); timestamps fit 64 bits;
 * - an account is an array of one blob (the owner, at most 29 bytes) or two (owner and a 32-byte subaccount).
 *
 * A refusal throws a {@link DfinityDecodeError} naming the field, in DFINITY's words where it has them.
 */
import { Principal } from '@dfinity/principal';

import type { ICRC3Value, Value } from '../../src/icrc/interface';

export type DfinityAccount = { owner: Principal; subaccount?: Uint8Array };

export type DfinityOperation =
    | { Mint: { to: DfinityAccount; amount: bigint; fee?: bigint } }
    | { Transfer: { from: DfinityAccount; to: DfinityAccount; spender?: DfinityAccount; amount: bigint; fee?: bigint } }
    | { Burn: { from: DfinityAccount; spender?: DfinityAccount; amount: bigint; fee?: bigint } }
    | {
          Approve: {
              from: DfinityAccount;
              spender: DfinityAccount;
              amount: bigint;
              expected_allowance?: bigint;
              expires_at?: bigint;
              fee?: bigint;
          };
      }
    | { FeeCollector: { fee_collector?: DfinityAccount; caller?: Principal; op?: string } };

/** `ic_icrc1::Block`: the shape DFINITY's ledger, index-ng and Rosetta hold a block in. */
export type DfinityBlock = {
    parent_hash?: Uint8Array;
    transaction: { operation: DfinityOperation; created_at_time?: bigint; memo?: Uint8Array };
    effective_fee?: bigint;
    timestamp: bigint;
    fee_collector?: DfinityAccount;
    fee_collector_block_index?: bigint;
    btype?: string;
};

/** Which `Tokens` type the ledger build uses: `u64` (the default build) or `u256` (`u256-tokens`). */
export type TokenWidth = 'u64' | 'u256';

/** A value DFINITY's decoder would refuse; the message names the field. */
export class DfinityDecodeError extends Error {
    override readonly name = 'DfinityDecodeError';
}

const U64_MAX = (1n << 64n) - 1n;
const TOKEN_MAX: Record<TokenWidth, bigint> = { u64: U64_MAX, u256: (1n << 256n) - 1n };
const HASH_BYTES = 32;
const SUBACCOUNT_BYTES = 32;
const MAX_PRINCIPAL_BYTES = 29;
const FEE_COLLECTOR_BTYPE = '107feecol';

type AnyValue = ICRC3Value | Value;
type Fields = ReadonlyMap<string, AnyValue>;

function fail(message: string): never {
    throw new DfinityDecodeError(message);
}

/** A map's entries by key; CBOR maps decode into serde structs, where a repeated field is an error. */
function fieldsOf(value: AnyValue, what: string): Fields {
    if (!('Map' in value)) fail(`${what}: expected a map`);
    const fields = new Map<string, AnyValue>();
    for (const [key, v] of value.Map) {
        if (fields.has(key)) fail(`${what}: duplicate field \`${key}\``);
        fields.set(key, v);
    }
    return fields;
}

/** A CBOR unsigned integer, at most `max`. */
function uint(value: AnyValue, field: string, max: bigint): bigint {
    let n: bigint | undefined;
    if ('Nat' in value) n = value.Nat;
    else if ('Nat64' in value) n = value.Nat64;
    else if ('Int' in value) n = value.Int;
    if (n === undefined) fail(`\`${field}\`: expected an unsigned integer`);
    if (n < 0n) fail(`\`${field}\`: ${n} is negative`);
    if (n > max) fail(`\`${field}\`: ${n} does not fit (at most ${max})`);
    return n;
}

function blob(value: AnyValue, field: string): Uint8Array {
    if (!('Blob' in value)) fail(`\`${field}\`: expected a blob`);
    return value.Blob;
}

function text(value: AnyValue, field: string): string {
    if (!('Text' in value)) fail(`\`${field}\`: expected a text`);
    return value.Text;
}

function principal(bytes: Uint8Array, field: string): Principal {
    if (bytes.length > MAX_PRINCIPAL_BYTES) fail(`\`${field}\`: invalid principal: ${bytes.length} bytes`);
    return Principal.fromUint8Array(bytes);
}

/** `CompactAccount`: `[owner]` or `[owner, subaccount]`. */
function account(value: AnyValue, field: string): DfinityAccount {
    if (!('Array' in value)) fail(`\`${field}\`: expected an account array`);
    const parts = value.Array;
    if (parts.length === 0) fail(`\`${field}\`: account tuple must have at least one element`);
    if (parts.length > 2) fail(`\`${field}\`: account tuple must have at most two elements, got ${parts.length}`);
    const owner = principal(blob(parts[0] as AnyValue, `${field}[0]`), field);
    if (parts.length === 1) return { owner };
    const subaccount = blob(parts[1] as AnyValue, `${field}[1]`);
    if (subaccount.length !== SUBACCOUNT_BYTES)
        fail(`\`${field}\`: invalid subaccount: expected 32 bytes, got ${subaccount.length}`);
    return { owner, subaccount };
}

/** Reads one optional field with `read`, leaving it out of the result when absent. */
function optional<T>(fields: Fields, key: string, field: string, read: (v: AnyValue, field: string) => T): T | undefined {
    const value = fields.get(key);
    return value === undefined ? undefined : read(value, field);
}

function required<T>(value: T | undefined, message: string): T {
    if (value === undefined) fail(message);
    return value;
}

/** Drops the keys whose value is undefined, so results compare as DFINITY's `None` fields. */
function defined<T extends object>(record: T): T {
    return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

/** `FlattenedTransaction`: every field optional, each of its type. */
function flattenedTransaction(tx: Fields, width: TokenWidth) {
    const tokens = (v: AnyValue, field: string) => uint(v, field, TOKEN_MAX[width]);
    const u64 = (v: AnyValue, field: string) => uint(v, field, U64_MAX);
    return {
        created_at_time: optional(tx, 'ts', 'tx.ts', u64),
        memo: optional(tx, 'memo', 'tx.memo', blob),
        op: optional(tx, 'op', 'tx.op', text),
        from: optional(tx, 'from', 'tx.from', account),
        to: optional(tx, 'to', 'tx.to', account),
        spender: optional(tx, 'spender', 'tx.spender', account),
        amount: optional(tx, 'amt', 'tx.amt', tokens),
        fee: optional(tx, 'fee', 'tx.fee', tokens),
        expected_allowance: optional(tx, 'expected_allowance', 'tx.expected_allowance', tokens),
        expires_at: optional(tx, 'expires_at', 'tx.expires_at', u64),
        fee_collector: optional(tx, 'fee_collector', 'tx.fee_collector', account),
        caller: optional(tx, 'caller', 'tx.caller', (v, field) => principal(blob(v, field), field))
    };
}

type Flattened = ReturnType<typeof flattenedTransaction>;

/** `Operation::try_from(FlattenedTransaction)`: `tx.op` names the operation and its required fields. */
function operationOf(tx: Flattened, btype: string | undefined): DfinityOperation {
    const unknownBtype = ` and/or unknown btype ${btype === undefined ? 'None' : `Some("${btype}")`}`;
    if (tx.op === undefined) fail(`No operation specified${unknownBtype}`);
    switch (tx.op) {
        case 'burn':
            return {
                Burn: defined({
                    from: required(tx.from, '`from` field required for `burn` operation'),
                    amount: required(tx.amount, '`amount` required for `burn` operations'),
                    spender: tx.spender,
                    fee: tx.fee
                })
            };
        case 'mint':
            return {
                Mint: defined({
                    to: required(tx.to, '`to` field required for `mint` operation'),
                    amount: required(tx.amount, '`amount` required for `mint` operations'),
                    fee: tx.fee
                })
            };
        case 'xfer':
            return {
                Transfer: defined({
                    from: required(tx.from, '`from` field required for `xfer` operation'),
                    to: required(tx.to, '`to` field required for `xfer` operation'),
                    spender: tx.spender,
                    amount: required(tx.amount, '`amount` required for `xfer` operations'),
                    fee: tx.fee
                })
            };
        case 'approve':
            return {
                Approve: defined({
                    from: required(tx.from, '`from` field required for `approve` operation'),
                    spender: required(tx.spender, '`spender` field required for `approve` operation'),
                    amount: required(tx.amount, '`amount` required for `approve` operations'),
                    expected_allowance: tx.expected_allowance,
                    expires_at: tx.expires_at,
                    fee: tx.fee
                })
            };
        case '107set_fee_collector':
            return { FeeCollector: defined({ fee_collector: tx.fee_collector, caller: tx.caller, op: tx.op }) };
        default:
            return fail(`Unknown operation name ${tx.op}${unknownBtype}`);
    }
}

/** Decodes an ICRC-3 block as DFINITY's ledger suite does, or throws naming the field it cannot decode. */
export function decodeDfinityBlock(value: AnyValue, width: TokenWidth = 'u64'): DfinityBlock {
    const block = fieldsOf(value, 'block');
    const u64 = (v: AnyValue, field: string) => uint(v, field, U64_MAX);
    const timestamp = required(optional(block, 'ts', 'ts', u64), 'missing field `ts`');
    const txValue = required(block.get('tx'), 'missing field `tx`');
    const parentHash = optional(block, 'phash', 'phash', blob);
    if (parentHash !== undefined && parentHash.length !== HASH_BYTES)
        fail(`\`phash\`: expected ${HASH_BYTES} bytes, got ${parentHash.length}`);
    const btype = optional(block, 'btype', 'btype', text);
    const tx = flattenedTransaction(fieldsOf(txValue, 'tx'), width);
    const operation: DfinityOperation =
        btype === FEE_COLLECTOR_BTYPE
            ? { FeeCollector: defined({ fee_collector: tx.fee_collector, caller: tx.caller, op: tx.op }) }
            : operationOf(tx, btype);
    return defined({
        parent_hash: parentHash,
        transaction: defined({ operation, created_at_time: tx.created_at_time, memo: tx.memo }),
        effective_fee: optional(block, 'fee', 'fee', (v, field) => uint(v, field, TOKEN_MAX[width])),
        timestamp,
        fee_collector: optional(block, 'fee_col', 'fee_col', account),
        fee_collector_block_index: optional(block, 'fee_col_block', 'fee_col_block', u64),
        btype
    });
}
