/**
 * The ledger's operations over its state, as DFINITY's ICRC ledger performs them (rules in `rules.ts`, sources in
 * `../shared/reference/icrc.md` §2.3). Each operation checks everything before it writes anything, then appends
 * one block and updates the tip; a refused operation leaves the state as it was. Nothing here touches Azle: the
 * canister (`index.ts`) passes the caller, the time and a way to set its certified data, so the same code runs
 * in unit tests on heap maps.
 *
 * Where DFINITY traps (an oversized memo, self-approval, the minting account delegating), this ledger throws,
 * which traps in the canister: the caller gets the IC's reject with the message, and nothing changes.
 */
import { uint8Equals } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { valueCodec } from '../../candid/wire';
import { nativeIcrc3ValueHash } from '../../ic/crypto';
import { hashMapOfHashes, hashValue } from '../../icrc/hash';
import type {
    Account,
    ApproveArgs,
    ApproveResult,
    SetFeeCollectorArgs,
    SetFeeCollectorResult,
    TransferArg,
    TransferBatchResults,
    TransferFromArgs,
    TransferFromResult,
    TransferResult
} from '../../icrc/interface';
import { ICRC3Value, SUBACCOUNT_BYTES } from '../../icrc/interface';
import { TRANSACTION_WINDOW_NS } from '../../icrc/deduplication';
import { PERMITTED_DRIFT_NS } from '../../ic/constants';
import { ACCOUNT_KEY_BYTES, accountKey, accountOfKey } from './accounts';
import { sameAccount } from '../../icrc/accounts';
import { blockBytes, type BlockType, feeCollectorBytes, type Operation, topFeeOf, transactionBytes } from './blocks';
import { tipRootHash } from './tip-certificate';
import type { TokenConfig } from './config';
import {
    activeAllowance,
    checkAllowance,
    checkApproval,
    checkBurn,
    checkCreatedAt,
    checkFee,
    checkFunds,
    feeFor,
    GENERIC_ERROR_CODE,
    memoTooLong,
    transferKind
} from './rules';
import { type LedgerState, type Tip, ownerKeyOf, pairKey } from './state';

/** DFINITY's `MAX_TRANSACTIONS_IN_WINDOW`: deduplicated transactions the 24 h window may hold. */
export const MAX_TRANSACTIONS_IN_WINDOW = 3_000_000;
/**
 * Once the window is half full, at most this many transactions a second (DFINITY: `ceil(0.5 · 3M / 86,400)`),
 * so the window cannot be filled faster than it drains.
 */
export const THROTTLED_TRANSACTIONS_PER_SECOND = Math.ceil((0.5 * MAX_TRANSACTIONS_IN_WINDOW) / 86_400);
/** DFINITY's `APPROVE_PRUNE_LIMIT`: expired approvals removed per transaction. */
export const APPROVE_PRUNE_LIMIT = 100;
/**
 * Expired deduplication entries removed per transaction. DFINITY removes up to 100,000, cheap in Rust; here each
 * costs two stable-map writes, so fewer, which still outpaces the at most `MAX_UPDATE_BATCH_SIZE` added per call.
 */
export const DEDUP_PURGE_LIMIT = 200;
/** ICRC-4: transfers in one batch. Bounded by the instructions one message may spend (20B; about 100 blocks). */
export const MAX_UPDATE_BATCH_SIZE = 100;
/** ICRC-4: balances in one batch query. */
export const MAX_QUERY_BATCH_SIZE = 1_000;

/** One code byte per block type, appended to the transaction hash in the dedup key. */
const BTYPE_CODE: Record<BlockType, number> = { '1xfer': 1, '1mint': 2, '1burn': 3, '2approve': 4, '2xfer': 5, '107feecol': 6 };

const ONE_SECOND_NS = 1_000_000_000n;

/** Raised where DFINITY's ledger traps; in the canister it traps too. */
export class LedgerTrap extends Error {
    override readonly name = 'LedgerTrap';
}

/** Who asks for an operation, and the ledger time it runs at (the canister passes `msg_caller` and `time`). */
export type OperationContext = { readonly caller: Principal; readonly now: bigint };

/**
 * The steps of the pipeline, in order, as `trace` names them when each ends: the operation built (its rules
 * before admission and its transaction's bytes), its transaction hashed, admitted, settled (its own checks and
 * writes), its fee collected and block appended (block bytes, hash, storage, dedup entry), and the message
 * committed (the tip stored and certified).
 */
export type LedgerStep = 'built' | 'hashed' | 'admitted' | 'settled' | 'appended' | 'committed';

/** What `admit` refuses: a time out of the window, a repeated transaction, or a throttled ledger. */
type Admission =
    | { TooOld: null }
    | { CreatedInFuture: { ledger_time: bigint } }
    | { Duplicate: { duplicate_of: bigint } }
    | { TemporarilyUnavailable: null };

/** The block an operation appends, before it is hashed: its type, encoded `tx`, top-level fee and time. */
type BlockParts = {
    readonly btype: BlockType;
    /** The transaction's Candid value encoding, written once and spliced into the stored block. */
    readonly txBytes: Uint8Array;
    readonly topFee: bigint | undefined;
    readonly createdAt: bigint | undefined;
};

/**
 * One operation as `Ledger.apply` takes it: the block it appends, the fee it pays, what it adds to the supply
 * (before the fee is burned), and `settle`: its own checks after admission, and its writes when they pass.
 */
type LedgerTransaction<E> = {
    readonly block: BlockParts;
    readonly fee: bigint;
    readonly supplyChange: bigint;
    readonly settle: () => E | undefined;
};

/** An operation ready to be checked for repetition and written: its block's parts, hashed once. */
type Prepared = BlockParts & {
    readonly txHash: Uint8Array;
    /** The transaction hash, then one byte for the block type: a 1xfer and a 2xfer of the same fields differ. */
    readonly dedupKey: Uint8Array;
};

/** Hashes of the block types a block names (`107feecol`), computed once. */
const btypeHashes = new Map<BlockType, Uint8Array>();

function btypeHash(btype: BlockType): Uint8Array {
    let hash = btypeHashes.get(btype);
    if (hash === undefined) btypeHashes.set(btype, (hash = hashValue({ Text: btype })));
    return hash;
}

function subaccountOk(subaccount: [] | [Uint8Array]): boolean {
    return subaccount[0] === undefined || subaccount[0].length === SUBACCOUNT_BYTES;
}

export class Ledger {
    private configCache: TokenConfig | undefined;
    private tipCache: Tip | undefined;
    /**
     * Whether blocks were appended since the tip was last written to stable memory and certified: both happen
     * once per message, in `committed()`, however many blocks it appended (a trap discards the message's writes
     * with everything else, so the stored tip never runs ahead of or behind the stored blocks).
     */
    private uncertified = false;
    /** The minting account's key, derived from the config once. */
    private mintingKeyCache: Uint8Array | undefined;
    /** The top-level fee's hash, for the fee it was computed for. */
    private feeHash: { fee: bigint; hash: Uint8Array } | undefined;
    /** The ledger time housekeeping last ran at: nothing more expires until the time moves. */
    private housekeptAt: bigint | undefined;

    constructor(
        readonly state: LedgerState,
        /** Sets the canister's certified data (`ic0.certified_data_set`). */
        private readonly certify: (data: Uint8Array) => void,
        /**
         * Told as each operation passes each step of the pipeline, for profiling (the `token_profile` test
         * fixture reads the instruction counter at each); the canister passes none.
         */
        private readonly trace?: (step: LedgerStep) => void
    ) {}

    get config(): TokenConfig {
        this.configCache ??= this.state.readConfig();
        if (this.configCache === undefined) throw new LedgerTrap('The Ledger is not ready: it has no configuration');
        return this.configCache;
    }

    setConfig(config: TokenConfig): void {
        this.state.writeConfig(config);
        this.configCache = config;
        this.mintingKeyCache = undefined;
    }

    private get mintingKey(): Uint8Array {
        this.mintingKeyCache ??= accountKey(this.config.minting_account);
        return this.mintingKeyCache;
    }

    get tip(): Tip {
        this.tipCache ??= this.state.readTip();
        return this.tipCache;
    }

    /** Sets the certified data to the current tip (`post_upgrade` calls it, so the data survives an upgrade). */
    certifyTip(): void {
        this.uncertified = false;
        this.certify(tipRootHash(this.tip));
    }

    // --- queries ---

    balanceOf(account: Account): bigint {
        return this.state.balance(accountKey(account));
    }

    allowance(owner: Account, spender: Account, now: bigint): { allowance: bigint; expires_at: [] | [bigint] } {
        const approval = this.state.approval(pairKey(owner, spender));
        const allowance = activeAllowance(approval, now);
        return { allowance, expires_at: allowance > 0n && approval?.expiresAt !== undefined ? [approval.expiresAt] : [] };
    }

    isMinting(account: Account): boolean {
        return uint8Equals(accountKey(account), this.mintingKey);
    }

    // --- ICRC-1 ---

    /** ICRC-1 `icrc1_transfer`: a transfer, or a mint from the minting account, or a burn to it. */
    transfer(ctx: OperationContext, arg: TransferArg): TransferResult {
        this.checkMemo(arg.memo, 'transfer');
        return this.committed(this.transferOne(ctx, arg));
    }

    /** ICRC-4: each transfer on its own, in order, one block each; the tip is stored and certified once, at the end. */
    transferBatch(ctx: OperationContext, args: readonly TransferArg[]): TransferBatchResults {
        if (args.length > MAX_UPDATE_BATCH_SIZE) {
            const limit = BigInt(MAX_UPDATE_BATCH_SIZE);
            return args.map(() => [{ Err: { TooManyRequests: { limit } } }]);
        }
        // Every memo is checked before any transfer runs, so an oversized one traps before work is spent.
        for (const arg of args) this.checkMemo(arg.memo, 'transfer');
        return this.committed(args.map((arg): [TransferResult] => [this.transferOne(ctx, arg)]));
    }

    private checkMemo(memo: [] | [Uint8Array], of: 'transfer' | 'approve'): void {
        const tooLong = memoTooLong(memo, this.config.max_memo_length, of);
        if (tooLong !== undefined) throw new LedgerTrap(tooLong);
    }

    /** One transfer, its memo already checked: its block and its settlement, through `apply`. */
    private transferOne(ctx: OperationContext, arg: TransferArg): TransferResult {
        const from: Account = { owner: ctx.caller, subaccount: arg.from_subaccount };
        const fromKey = accountKey(from);
        const toKey = accountKey(arg.to);
        const kind = transferKind(uint8Equals(fromKey, this.mintingKey), uint8Equals(toKey, this.mintingKey));
        const fee = feeFor(kind, arg.fee, this.config.transfer_fee);
        if ('BadFee' in fee) return { Err: fee };
        const fromBalance = this.state.balance(fromKey);
        if (kind === 'burn') {
            const badBurn = checkBurn(arg.amount, fromBalance, this.config.transfer_fee);
            if (badBurn !== undefined) return { Err: badBurn };
        }
        return this.apply(ctx.now, {
            block: tokenBlock({
                btype: kind === 'mint' ? '1mint' : kind === 'burn' ? '1burn' : '1xfer',
                amount: arg.amount,
                from: kind === 'mint' ? undefined : from,
                to: kind === 'burn' ? undefined : arg.to,
                fee: arg.fee,
                effectiveFee: fee.fee,
                memo: arg.memo,
                createdAt: arg.created_at_time
            }),
            fee: fee.fee,
            supplyChange: kind === 'mint' ? arg.amount : kind === 'burn' ? -arg.amount : 0n,
            settle: () => {
                if (kind !== 'mint') {
                    const short = checkFunds(arg.amount + fee.fee, fromBalance);
                    if (short !== undefined) return short;
                    this.state.setBalance(fromKey, fromBalance - arg.amount - fee.fee);
                }
                if (kind !== 'burn') this.credit(toKey, arg.amount);
                return undefined;
            }
        });
    }

    // --- ICRC-2 ---

    /** ICRC-2 `icrc2_approve`: sets the spender's allowance, paying the fee. */
    approve(ctx: OperationContext, arg: ApproveArgs): ApproveResult {
        // The subaccount first: DFINITY's types make a wrong one fail to decode, before any rule runs
        if (!subaccountOk(arg.from_subaccount)) {
            const message = `a subaccount is ${SUBACCOUNT_BYTES} bytes`;
            return { Err: { GenericError: { error_code: GENERIC_ERROR_CODE.badSubaccount, message } } };
        }
        const from: Account = { owner: ctx.caller, subaccount: arg.from_subaccount };
        // then DFINITY's order (`icrc2_approve_not_async`): self-approval, the minting account, the memo
        if (uint8Equals(from.owner.toUint8Array(), arg.spender.owner.toUint8Array()))
            throw new LedgerTrap('self approval is not allowed');
        if (this.isMinting(from)) throw new LedgerTrap('the minting account cannot delegate mints');
        this.checkMemo(arg.memo, 'approve');
        const fee = this.config.transfer_fee;
        const badFee = checkFee(arg.fee, fee);
        if (badFee !== undefined) return { Err: badFee };
        const key = pairKey(from, arg.spender);
        const fromKey = accountKey(from);
        return this.committed(
            this.apply(ctx.now, {
                block: tokenBlock({
                    btype: '2approve',
                    amount: arg.amount,
                    from,
                    spender: arg.spender,
                    fee: arg.fee,
                    effectiveFee: fee,
                    memo: arg.memo,
                    createdAt: arg.created_at_time,
                    expectedAllowance: arg.expected_allowance,
                    expiresAt: arg.expires_at
                }),
                fee,
                supplyChange: 0n,
                settle: () => {
                    // DFINITY charges the fee first and refunds it when the approval is refused: so funds come first.
                    const balance = this.state.balance(fromKey);
                    const short = checkFunds(fee, balance);
                    if (short !== undefined) return short;
                    const current = activeAllowance(this.state.approval(key), ctx.now);
                    const refused = checkApproval(arg.expires_at, arg.expected_allowance, current, ctx.now);
                    if (refused !== undefined) return refused;
                    this.state.setBalance(fromKey, balance - fee);
                    this.state.setApproval(key, { allowance: arg.amount, expiresAt: arg.expires_at[0] });
                    return undefined;
                }
            })
        );
    }

    /** ICRC-2 `icrc2_transfer_from`: a transfer (or a burn, to the minting account) spending an allowance. */
    transferFrom(ctx: OperationContext, arg: TransferFromArgs): TransferFromResult {
        this.checkMemo(arg.memo, 'transfer');
        const spender: Account = { owner: ctx.caller, subaccount: arg.spender_subaccount };
        // DFINITY's words here (`execute_transfer_not_async`) differ from its approve's
        if (this.isMinting(arg.from)) throw new LedgerTrap('the minter account cannot delegate mints');
        const kind = this.isMinting(arg.to) ? 'burn' : 'transfer';
        const fee = feeFor(kind, arg.fee, this.config.transfer_fee);
        if ('BadFee' in fee) return { Err: fee };
        const fromKey = accountKey(arg.from);
        const fromBalance = this.state.balance(fromKey);
        if (kind === 'burn') {
            const badBurn = checkBurn(arg.amount, fromBalance, this.config.transfer_fee);
            if (badBurn !== undefined) return { Err: badBurn };
        }
        const debit = arg.amount + fee.fee;
        return this.committed(
            this.apply(ctx.now, {
                block: tokenBlock({
                    btype: kind === 'burn' ? '1burn' : '2xfer',
                    amount: arg.amount,
                    from: arg.from,
                    to: kind === 'burn' ? undefined : arg.to,
                    spender,
                    fee: arg.fee,
                    effectiveFee: fee.fee,
                    memo: arg.memo,
                    createdAt: arg.created_at_time
                }),
                fee: fee.fee,
                supplyChange: kind === 'burn' ? -arg.amount : 0n,
                settle: () => {
                    const selfSpend = sameAccount(spender, arg.from);
                    const key = pairKey(arg.from, spender);
                    const approval = selfSpend ? undefined : this.state.approval(key);
                    const allowance = activeAllowance(approval, ctx.now);
                    const noAllowance = checkAllowance(debit, allowance, selfSpend);
                    if (noAllowance !== undefined) return noAllowance;
                    const short = checkFunds(debit, fromBalance);
                    if (short !== undefined) return short;
                    this.state.setBalance(fromKey, fromBalance - debit);
                    if (kind === 'transfer') this.credit(accountKey(arg.to), arg.amount);
                    if (!selfSpend) this.state.setApproval(key, { allowance: allowance - debit, expiresAt: approval?.expiresAt });
                    return undefined;
                }
            })
        );
    }

    // --- ICRC-107 ---

    /** ICRC-107 `icrc107_set_fee_collector`: a controller names where fees go (or that they burn). */
    setFeeCollector(ctx: OperationContext, arg: SetFeeCollectorArgs, callerIsController: boolean): SetFeeCollectorResult {
        if (!callerIsController) return { Err: { AccessDenied: 'only a controller of the ledger may set the fee collector' } };
        const [collector] = arg.fee_collector;
        if (collector !== undefined) {
            if (this.isMinting(collector)) return { Err: { InvalidAccount: 'the fee collector cannot be the minting account' } };
            if (collector.owner.isAnonymous())
                return { Err: { InvalidAccount: 'the fee collector cannot be the anonymous principal' } };
        }
        const result = this.apply<never>(ctx.now, {
            block: {
                btype: '107feecol',
                txBytes: feeCollectorBytes(arg.fee_collector, arg.created_at_time, ctx.caller.toUint8Array()),
                topFee: undefined,
                createdAt: arg.created_at_time
            },
            fee: 0n,
            supplyChange: 0n,
            settle: () => {
                this.setConfig({ ...this.config, fee_collector: arg.fee_collector });
                return undefined;
            }
        });
        if ('Ok' in result) return this.committed(result);
        if ('Duplicate' in result.Err) return { Err: result.Err };
        // ICRC-107 has no time or throttling errors of its own
        if ('TemporarilyUnavailable' in result.Err) {
            const message = 'the ledger is throttling transactions; try again shortly';
            return { Err: { GenericError: { error_code: GENERIC_ERROR_CODE.temporarilyUnavailable, message } } };
        }
        const message = 'TooOld' in result.Err ? 'created_at_time is too old' : 'created_at_time is in the future';
        return { Err: { GenericError: { error_code: GENERIC_ERROR_CODE.feeCollectorTime, message } } };
    }

    // --- init ---

    /** Installs the config and mints the initial balances, one `1mint` block each. */
    initialize(config: TokenConfig, initialBalances: readonly [Account, bigint][], now: bigint): void {
        this.setConfig(config);
        for (const [account, amount] of initialBalances) {
            if (!subaccountOk(account.subaccount))
                throw new LedgerTrap(`an initial balance names a subaccount that is not ${SUBACCOUNT_BYTES} bytes`);
            this.apply(now, {
                block: tokenBlock({ btype: '1mint', amount, to: account, fee: [], effectiveFee: 0n, memo: [], createdAt: [] }),
                fee: 0n,
                supplyChange: amount,
                settle: () => {
                    this.credit(accountKey(account), amount);
                    return undefined;
                }
            });
        }
        this.committed(undefined);
    }

    // --- the pipeline every operation goes through ---

    /**
     * Applies one operation, as DFINITY's `apply_transaction` does, in this order: housekeeping and the checks
     * on time, throttling and repetition (`admit`); the operation's own checks and its balance and allowance
     * writes (`settle`, which writes only when it refuses nothing); the fee, to the collector or burned; then
     * the block, its hash, its deduplication entry and the tip. A refusal at any step leaves the state as it
     * was. The caller ends its message with `committed`.
     */
    private apply<E>(now: bigint, tx: LedgerTransaction<E>): { Ok: bigint } | { Err: E | Admission } {
        this.trace?.('built');
        const prepared = prepare(tx.block);
        this.trace?.('hashed');
        const refused = this.admit(now, prepared);
        this.trace?.('admitted');
        if (refused !== undefined) return { Err: refused };
        const settleRefused = tx.settle();
        this.trace?.('settled');
        if (settleRefused !== undefined) return { Err: settleRefused };
        this.collectFee(tx.fee);
        const index = this.append(now, prepared, tx.supplyChange - this.burnedFee(tx.fee));
        this.trace?.('appended');
        return { Ok: index };
    }

    /**
     * Ends an update: stores and certifies the tip if the message appended blocks (once, however many), and
     * passes the result through.
     */
    private committed<T>(result: T): T {
        if (this.uncertified) {
            this.state.writeTip(this.tip);
            this.certifyTip();
        }
        this.trace?.('committed');
        return result;
    }

    /**
     * Housekeeping, then the checks on time and repetition: throttling, the time window, and deduplication
     * (only for transactions with `created_at_time`).
     */
    private admit(now: bigint, prepared: Prepared): Admission | undefined {
        this.housekeep(now);
        if (this.throttled(now)) return { TemporarilyUnavailable: null };
        if (prepared.createdAt === undefined) return undefined;
        const timeError = checkCreatedAt([prepared.createdAt], now);
        if (timeError !== undefined) return timeError;
        const duplicate = this.state.duplicateOf(prepared.dedupKey);
        return duplicate === undefined ? undefined : { Duplicate: { duplicate_of: duplicate } };
    }

    /**
     * Frees what has expired: approvals past their `expires_at`, and deduplication entries past the window. Both
     * already count as absent, so this only returns memory; it runs once per ledger time, so a batch pays once.
     */
    private housekeep(now: bigint): void {
        if (this.housekeptAt === now) return;
        this.housekeptAt = now;
        this.pruneExpiredApprovals(now);
        this.state.forgetBefore(now - TRANSACTION_WINDOW_NS - PERMITTED_DRIFT_NS, DEDUP_PURGE_LIMIT);
    }

    /** DFINITY's throttle: a full window refuses; a half-full one admits a bounded rate. */
    private throttled(now: bigint): boolean {
        const remembered = this.state.rememberedCount();
        if (remembered < MAX_TRANSACTIONS_IN_WINDOW / 2) return false;
        if (remembered >= MAX_TRANSACTIONS_IN_WINDOW) return true;
        const length = this.tip.length;
        const rate = BigInt(THROTTLED_TRANSACTIONS_PER_SECOND);
        if (length < rate) return false;
        const earlier = this.state.block(length - rate);
        const ts = earlier !== undefined && 'Map' in earlier ? earlier.Map.find(([k]) => k === 'ts')?.[1] : undefined;
        return ts !== undefined && 'Nat' in ts && ts.Nat + ONE_SECOND_NS > now;
    }

    private pruneExpiredApprovals(now: bigint): void {
        for (let i = 0; i < APPROVE_PRUNE_LIMIT; i++) {
            const [next] = this.state.nextExpirations(1);
            if (next === undefined || next.expiresAt > now) return;
            this.state.setApproval(next.pairKey, { allowance: 0n, expiresAt: undefined });
        }
    }

    private credit(key: Uint8Array, amount: bigint): void {
        this.state.setBalance(key, this.state.balance(key) + amount);
    }

    /** Fees go to the fee collector when there is one (ICRC-107); otherwise they are burned. */
    private collectFee(fee: bigint): void {
        const [collector] = this.config.fee_collector;
        if (collector !== undefined && fee > 0n) this.credit(accountKey(collector), fee);
    }

    private burnedFee(fee: bigint): bigint {
        return this.config.fee_collector[0] === undefined ? fee : 0n;
    }

    /** Appends the block, remembers it for deduplication, moves the tip; returns the block's index. */
    private append(now: bigint, prepared: Prepared, supplyChange: bigint): bigint {
        const tip = this.tip;
        const index = tip.length;
        const parent = tip.last_hash[0];
        const block = blockBytes(prepared.btype, prepared.txBytes, now, parent, prepared.topFee);
        const hash = nativeIcrc3ValueHash?.(block) ?? this.blockHash(prepared, now, parent);
        this.state.appendBlock(index, block);
        if (prepared.createdAt !== undefined) this.state.remember(prepared.dedupKey, prepared.createdAt, index);
        this.tipCache = { length: index + 1n, last_hash: [hash], total_supply: tip.total_supply + supplyChange };
        this.uncertified = true;
        return index;
    }

    /**
     * The block's ICRC-3 hash in JS, where the runtime has no native hash: from the parts' hashes, the
     * transaction's already known, so that only the few top-level fields are hashed again.
     */
    private blockHash(prepared: Prepared, now: bigint, parent: Uint8Array | undefined): Uint8Array {
        const entries: [string, Uint8Array][] = [
            ['ts', hashValue({ Nat: now })],
            ['tx', prepared.txHash]
        ];
        if (prepared.btype === '107feecol') entries.push(['btype', btypeHash(prepared.btype)]);
        if (parent !== undefined) entries.push(['phash', hashValue({ Blob: parent })]);
        if (prepared.topFee !== undefined) entries.push(['fee', this.topFeeHash(prepared.topFee)]);
        return hashMapOfHashes(entries);
    }

    private topFeeHash(fee: bigint): Uint8Array {
        if (this.feeHash?.fee !== fee) this.feeHash = { fee, hash: hashValue({ Nat: fee }) };
        return this.feeHash.hash;
    }

    /**
     * The owner's allowances after `prev` (ICRC-103 order), at most `take`, expired ones left out. Reads the
     * approvals in order from the start key, so the cost is O(log n + what it reads), not O(the owner's approvals).
     */
    allowancesOf(owner: Account, prev: Account | undefined, take: number, now: bigint) {
        const start = prev === undefined ? accountKey(owner) : pairKey(owner, prev);
        const ownerKey = ownerKeyOf(owner);
        const out: { from_account: Account; to_spender: Account; allowance: bigint; expires_at: [] | [bigint] }[] = [];
        if (take <= 0) return out;
        for (const pair of this.state.pairsFrom(start, prev === undefined)) {
            if (!uint8Equals(pair.subarray(0, ownerKey.length), ownerKey)) break;
            const approval = this.state.approval(pair);
            const allowance = activeAllowance(approval, now);
            if (allowance === 0n) continue;
            out.push({
                from_account: pairAccount(pair, 0),
                to_spender: pairAccount(pair, 1),
                allowance,
                expires_at: approval?.expiresAt === undefined ? [] : [approval.expiresAt]
            });
            if (out.length >= take) break;
        }
        return out;
    }
}

const transactionCodec = valueCodec<ICRC3Value>(ICRC3Value);

/** The block of a token operation (mint, burn, transfer, approval). */
function tokenBlock(op: Operation): BlockParts {
    return { btype: op.btype, txBytes: transactionBytes(op), topFee: topFeeOf(op), createdAt: op.createdAt[0] };
}

/**
 * A block's parts with the transaction hashed and its dedup key derived. Natively the hash is read from the
 * bytes; the JS path reads the transaction back as a value and hashes that.
 */
function prepare(block: BlockParts): Prepared {
    const txHash = nativeIcrc3ValueHash?.(block.txBytes) ?? hashValue(transactionCodec.decode(block.txBytes));
    const dedupKey = new Uint8Array(txHash.length + 1);
    dedupKey.set(txHash);
    dedupKey[txHash.length] = BTYPE_CODE[block.btype];
    return { ...block, txHash, dedupKey };
}

function pairAccount(pair: Uint8Array, which: 0 | 1): Account {
    return accountOfKey(pair.subarray(which * ACCOUNT_KEY_BYTES, (which + 1) * ACCOUNT_KEY_BYTES));
}
