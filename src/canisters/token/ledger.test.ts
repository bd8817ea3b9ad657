/**
 * The ledger's housekeeping, on heap maps without a network: what has expired (deduplication entries past the
 * window, approvals past their expiry) is freed by the next transaction, and counted as absent before that.
 */
import { Principal } from '@dfinity/principal';

import type { Account } from '../../shared/icrc/ledger';
import { configFromInit } from './config';
import { ledgerInit } from './deploy';
import { Ledger } from './ledger';
import { PERMITTED_DRIFT_NS, TRANSACTION_WINDOW_NS } from './rules';
import { heapMaps, LedgerState } from './state';

const FEE = 10n;
const principal = (n: number) => Principal.fromUint8Array(Uint8Array.of(n));
const account = (n: number): Account => ({ owner: principal(n), subaccount: [] });

function newLedger(now: bigint): Ledger {
    const ledger = new Ledger(new LedgerState(heapMaps()), () => undefined);
    const init = ledgerInit({
        mintingAccount: account(0),
        transferFee: FEE,
        initialBalances: [[account(1), 1_000_000n]],
        archiveController: principal(0)
    });
    if (!('Init' in init)) throw new Error('unreachable');
    ledger.initialize(configFromInit(init.Init), init.Init.initial_balances, now);
    return ledger;
}

const transfer = (to: Account, createdAt: bigint) => ({
    from_subaccount: [] as [],
    to,
    amount: 100n,
    fee: [] as [],
    memo: [] as [],
    created_at_time: [createdAt] as [bigint]
});

it('forgets a deduplicated transaction once the window and the drift have passed', () => {
    const start = 1_000n * TRANSACTION_WINDOW_NS;
    const ledger = newLedger(start);
    const caller = principal(1);
    expect(ledger.transfer({ caller, now: start }, transfer(account(2), start))).toEqual({ Ok: 1n });
    expect(ledger.state.rememberedCount()).toBe(1);
    const justInside = start + TRANSACTION_WINDOW_NS + PERMITTED_DRIFT_NS;
    expect(ledger.transfer({ caller, now: justInside }, transfer(account(2), start))).toEqual({
        Err: { Duplicate: { duplicate_of: 1n } }
    });
    expect(ledger.state.rememberedCount()).toBe(1);
    const past = justInside + 1n;
    expect(ledger.transfer({ caller, now: past }, transfer(account(3), past))).toEqual({ Ok: 2n });
    expect(ledger.state.rememberedCount()).toBe(1); // the first is forgotten, the new one remembered
    expect(ledger.transfer({ caller, now: past }, transfer(account(2), start))).toEqual({ Err: { TooOld: null } });
});

it('removes an expired approval at the next transaction, and reads it as none before that', () => {
    const now = 1_000n * TRANSACTION_WINDOW_NS;
    const ledger = newLedger(now);
    const caller = principal(1);
    const approve = {
        from_subaccount: [] as [],
        spender: account(5),
        amount: 500n,
        fee: [] as [],
        memo: [] as [],
        created_at_time: [] as [],
        expected_allowance: [] as [],
        expires_at: [now + 10n] as [bigint]
    };
    expect(ledger.approve({ caller, now }, approve)).toEqual({ Ok: 1n });
    expect(ledger.allowance(account(1), account(5), now + 10n).allowance).toBe(0n);
    expect(ledger.state.approvalCount()).toBe(1);
    expect(ledger.transfer({ caller, now: now + 11n }, transfer(account(2), now + 11n))).toEqual({ Ok: 2n });
    expect(ledger.state.approvalCount()).toBe(0);
});
