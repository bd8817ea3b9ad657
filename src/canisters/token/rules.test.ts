import {
    activeAllowance,
    checkAllowance,
    checkApproval,
    checkBurn,
    checkCreatedAt,
    checkFee,
    checkFunds,
    feeFor,
    memoTooLong,
    transferKind
} from './rules';
import { TRANSACTION_WINDOW_NS } from '../../icrc/deduplication';
import { PERMITTED_DRIFT_NS } from '../../ic/constants';

const NOW = 1_700_000_000_000_000_000n;

describe('created_at_time', () => {
    it('is not checked when absent', () => {
        expect(checkCreatedAt([], NOW)).toBeUndefined();
    });
    it('is accepted from the edge of the window (no drift added, as DFINITY) up to the drift ahead', () => {
        expect(checkCreatedAt([NOW - TRANSACTION_WINDOW_NS], NOW)).toBeUndefined();
        expect(checkCreatedAt([NOW + PERMITTED_DRIFT_NS], NOW)).toBeUndefined();
    });
    it('is TooOld one nanosecond past the window, though within the drift', () => {
        expect(checkCreatedAt([NOW - TRANSACTION_WINDOW_NS - 1n], NOW)).toEqual({ TooOld: null });
    });
    it('is CreatedInFuture one nanosecond past the drift, with the ledger time', () => {
        expect(checkCreatedAt([NOW + PERMITTED_DRIFT_NS + 1n], NOW)).toEqual({ CreatedInFuture: { ledger_time: NOW } });
    });
});

describe('fees', () => {
    it('accept an absent fee or the exact fee, and refuse any other with the expected fee', () => {
        expect(checkFee([], 10n)).toBeUndefined();
        expect(checkFee([10n], 10n)).toBeUndefined();
        expect(checkFee([9n], 10n)).toEqual({ BadFee: { expected_fee: 10n } });
        expect(checkFee([11n], 10n)).toEqual({ BadFee: { expected_fee: 10n } });
    });
    it('are zero for mints and burns, and a stated non-zero fee there is BadFee with 0 expected', () => {
        expect(feeFor('mint', [], 10n)).toEqual({ fee: 0n });
        expect(feeFor('burn', [0n], 10n)).toEqual({ fee: 0n });
        expect(feeFor('burn', [10n], 10n)).toEqual({ BadFee: { expected_fee: 0n } });
        expect(feeFor('transfer', [], 10n)).toEqual({ fee: 10n });
    });
});

describe('transfer kinds', () => {
    it('are burn to the minting account, mint from it, transfer otherwise', () => {
        expect(transferKind(true, false)).toBe('mint');
        expect(transferKind(false, true)).toBe('burn');
        expect(transferKind(false, false)).toBe('transfer');
        // the destination first, as DFINITY: the minting account to itself is a burn
        expect(transferKind(true, true)).toBe('burn');
    });
});

describe('burns', () => {
    it('need at least the fee, or the whole balance when it is smaller, and never nothing', () => {
        expect(checkBurn(10n, 100n, 10n)).toBeUndefined();
        expect(checkBurn(9n, 100n, 10n)).toEqual({ BadBurn: { min_burn_amount: 10n } });
        expect(checkBurn(3n, 3n, 10n)).toBeUndefined();
        // nothing is refused with the transfer fee as the minimum, even from an empty account (DFINITY)
        expect(checkBurn(0n, 0n, 10n)).toEqual({ BadBurn: { min_burn_amount: 10n } });
        expect(checkBurn(0n, 100n, 10n)).toEqual({ BadBurn: { min_burn_amount: 10n } });
    });
});

describe('funds and memos', () => {
    it('refuse a debit over the balance, with the balance', () => {
        expect(checkFunds(101n, 100n)).toEqual({ InsufficientFunds: { balance: 100n } });
        expect(checkFunds(100n, 100n)).toBeUndefined();
    });
    it("refuse a memo over the limit in DFINITY's words: a transfer's say both lengths, an approval's not", () => {
        expect(memoTooLong([new Uint8Array(32)], 32, 'transfer')).toBeUndefined();
        expect(memoTooLong([new Uint8Array(33)], 32, 'transfer')).toBe(
            'the memo field size of 33 bytes is above the allowed limit of 32 bytes'
        );
        expect(memoTooLong([new Uint8Array(33)], 32, 'approve')).toBe('the memo field is too large');
        expect(memoTooLong([], 0, 'approve')).toBeUndefined();
    });
});

describe('approvals', () => {
    it('count as zero once expired (expiry at now included) and in full before', () => {
        expect(activeAllowance(undefined, NOW)).toBe(0n);
        expect(activeAllowance({ allowance: 5n, expiresAt: NOW }, NOW)).toBe(0n);
        expect(activeAllowance({ allowance: 5n, expiresAt: NOW + 1n }, NOW)).toBe(5n);
        expect(activeAllowance({ allowance: 5n }, NOW)).toBe(5n);
    });
    it('refuse an expiry that is not in the future before checking the expected allowance', () => {
        expect(checkApproval([NOW], [7n], 0n, NOW)).toEqual({ Expired: { ledger_time: NOW } });
        expect(checkApproval([NOW + 1n], [7n], 0n, NOW)).toEqual({ AllowanceChanged: { current_allowance: 0n } });
        expect(checkApproval([], [0n], 0n, NOW)).toBeUndefined();
    });
    it('need amount plus fee from the allowance unless the spender is the owner', () => {
        expect(checkAllowance(11n, 10n, false)).toEqual({ InsufficientAllowance: { allowance: 10n } });
        expect(checkAllowance(11n, 0n, true)).toBeUndefined();
        expect(checkAllowance(10n, 10n, false)).toBeUndefined();
    });
});
