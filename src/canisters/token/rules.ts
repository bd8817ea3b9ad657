/**
 * The ledger's rules as small pure functions, each as DFINITY's ICRC ledger applies it (each rule's source line
 * and the test that shows it are in docs/ledger-parity.md), so that they are tested without a network. Each
 * returns the error the method answers with, or undefined when the rule holds.
 */
import { PERMITTED_DRIFT_NS } from '../../ic/constants';
import { TRANSACTION_WINDOW_NS } from '../../icrc/deduplication';

/** DFINITY's `DEFAULT_MAX_MEMO_LENGTH`; the init argument may raise it, an upgrade may only raise it further. */
export const DEFAULT_MAX_MEMO_LENGTH = 32;
/** ICRC-1 metadata default when the init argument gives no `decimals`. */
export const DEFAULT_DECIMALS = 8;

/**
 * The `error_code`s of the ledger's GenericErrors, named. DFINITY's ICRC-1 ledger answers no GenericError from
 * its transfer methods (it traps where no ICRC error fits), so these are this ledger's own.
 */
export const GENERIC_ERROR_CODE = {
    /** An approval's `from_subaccount` is not 32 bytes. */
    badSubaccount: 0n,
    /** ICRC-107's `created_at_time` is out of the window (ICRC-107 has no TooOld of its own). */
    feeCollectorTime: 1n,
    /** ICRC-107's change arrived while the ledger throttles (it has no TemporarilyUnavailable either). */
    temporarilyUnavailable: 2n
} as const;

export type TimeError = { TooOld: null } | { CreatedInFuture: { ledger_time: bigint } };

/**
 * `created_at_time` against the ledger's clock: older than the window is TooOld, more than the drift ahead is
 * CreatedInFuture. Without `created_at_time` there is nothing to check (and no deduplication). The old bound
 * adds no drift: DFINITY's `apply_transaction` refuses `created_at_time + transaction_window < now`
 * (docs/ledger-parity.md, D2), though the ICRC-1 text allows the drift on both sides; a ledger that took 60 s
 * more would accept what DFINITY's refuses.
 */
export function checkCreatedAt(createdAt: [] | [bigint], now: bigint): TimeError | undefined {
    const at = createdAt[0];
    if (at === undefined) return undefined;
    if (at + TRANSACTION_WINDOW_NS < now) return { TooOld: null };
    if (at > now + PERMITTED_DRIFT_NS) return { CreatedInFuture: { ledger_time: now } };
    return undefined;
}

/** A fee the caller states must be the fee the ledger charges (ICRC-1: "MUST return BadFee"). */
export function checkFee(fee: [] | [bigint], expected: bigint): { BadFee: { expected_fee: bigint } } | undefined {
    const stated = fee[0];
    return stated !== undefined && stated !== expected ? { BadFee: { expected_fee: expected } } : undefined;
}

/**
 * The memo limit. DFINITY's ledger traps on a longer memo (before any state changes); so does this one, with
 * DFINITY's words: a transfer's names both lengths, an approval's does not (`icrc2_approve_not_async`).
 */
export function memoTooLong(memo: [] | [Uint8Array], maxLength: number, of: 'transfer' | 'approve'): string | undefined {
    const length = memo[0]?.length ?? 0;
    if (length <= maxLength) return undefined;
    return of === 'approve'
        ? 'the memo field is too large'
        : `the memo field size of ${length} bytes is above the allowed limit of ${maxLength} bytes`;
}

export type TransferKind = 'mint' | 'burn' | 'transfer';

/**
 * To the minting account is a burn, from it a mint, anything else a transfer. The destination is looked at
 * first, as DFINITY's `execute_transfer_not_async` does, so the minting account sending to itself is a burn
 * from an account that holds nothing: BadBurn or InsufficientFunds, not an error of its own.
 */
export function transferKind(fromIsMinting: boolean, toIsMinting: boolean): TransferKind {
    if (toIsMinting) return 'burn';
    if (fromIsMinting) return 'mint';
    return 'transfer';
}

/**
 * The fee a transfer of this kind pays: mints and burns pay none, and stating a non-zero fee for them is
 * BadFee with expected 0 (DFINITY's `test_mint_burn_fee_rejected`).
 */
export function feeFor(
    kind: TransferKind,
    fee: [] | [bigint],
    transferFee: bigint
): { fee: bigint } | { BadFee: { expected_fee: bigint } } {
    const expected = kind === 'transfer' ? transferFee : 0n;
    return checkFee(fee, expected) ?? { fee: expected };
}

/**
 * The smallest burn: the transfer fee, or the whole balance when it is smaller, so an account can always
 * burn its dust (DFINITY: `min_burn_amount = min(transfer_fee, balance)`). Burning nothing is refused with the
 * transfer fee as the minimum, whatever the balance, as DFINITY answers a zero burn (docs/ledger-parity.md D3).
 */
export function checkBurn(
    amount: bigint,
    balance: bigint,
    transferFee: bigint
): { BadBurn: { min_burn_amount: bigint } } | undefined {
    const minimum = transferFee < balance ? transferFee : balance;
    if (amount < minimum) return { BadBurn: { min_burn_amount: minimum } };
    if (amount === 0n) return { BadBurn: { min_burn_amount: transferFee } };
    return undefined;
}

/** The debit must be covered by the balance. */
export function checkFunds(debit: bigint, balance: bigint): { InsufficientFunds: { balance: bigint } } | undefined {
    return debit > balance ? { InsufficientFunds: { balance } } : undefined;
}

export type Approval = { allowance: bigint; expiresAt?: bigint };

/** An approval that has expired counts as none (ICRC-2: "no active approval" is an allowance of 0). */
export function activeAllowance(approval: Approval | undefined, now: bigint): bigint {
    if (approval === undefined) return 0n;
    if (approval.expiresAt !== undefined && approval.expiresAt <= now) return 0n;
    return approval.allowance;
}

/** What `checkApproval` refuses (two of ICRC-2's `ApproveError` cases). */
export type ApprovalRefusal = { Expired: { ledger_time: bigint } } | { AllowanceChanged: { current_allowance: bigint } };

/** `expires_at` must lie in the future; `expected_allowance`, when given, must equal the current allowance. */
export function checkApproval(
    expiresAt: [] | [bigint],
    expectedAllowance: [] | [bigint],
    current: bigint,
    now: bigint
): ApprovalRefusal | undefined {
    const expires = expiresAt[0];
    if (expires !== undefined && expires <= now) return { Expired: { ledger_time: now } };
    const expected = expectedAllowance[0];
    if (expected !== undefined && expected !== current) return { AllowanceChanged: { current_allowance: current } };
    return undefined;
}

/** A transfer_from needs amount plus fee from the allowance, unless the spender is the owner itself. */
export function checkAllowance(
    needed: bigint,
    allowance: bigint,
    spenderIsOwner: boolean
): { InsufficientAllowance: { allowance: bigint } } | undefined {
    return !spenderIsOwner && needed > allowance ? { InsufficientAllowance: { allowance } } : undefined;
}
