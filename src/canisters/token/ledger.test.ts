/**
 * The ledger on heap maps without a network: every operation passes the one pipeline in its order, and a
 * refused one writes nothing; housekeeping frees what has expired (deduplication entries past the window,
 * approvals past their expiry) at the next transaction, and counts it as absent before that.
 */
import { concat } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { compareBytes } from '../../ic/bytes';
import type { Account } from '../../icrc/interface';
import { configFromInit } from './config';
import { ledgerInit } from './deploy';
import { APPROVE_PRUNE_LIMIT, Ledger, type LedgerStep } from './ledger';
import { TRANSACTION_WINDOW_NS } from '../../icrc/deduplication';
import { PERMITTED_DRIFT_NS } from '../../ic/constants';
import { heapMaps, LedgerState, ownerKeyOf, pairKey } from './state';

const FEE = 10n;
const principal = (n: number) => Principal.fromUint8Array(Uint8Array.of(n));
const account = (n: number): Account => ({ owner: principal(n), subaccount: [] });

function newLedger(now: bigint, trace?: (step: LedgerStep) => void): Ledger {
    const ledger = new Ledger(new LedgerState(heapMaps()), () => undefined, trace);
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

describe('the pipeline', () => {
    it('takes a transfer through every step in order, and a batch commits once', () => {
        const steps: LedgerStep[] = [];
        const now = 1_000n * TRANSACTION_WINDOW_NS;
        const ledger = newLedger(now, (step) => steps.push(step));
        steps.length = 0;
        expect(ledger.transfer({ caller: principal(1), now }, transfer(account(2), now))).toEqual({ Ok: 1n });
        expect(steps).toEqual(['built', 'hashed', 'admitted', 'settled', 'appended', 'committed']);
        steps.length = 0;
        ledger.transferBatch({ caller: principal(1), now }, [transfer(account(3), now), transfer(account(4), now)]);
        expect(steps.filter((s) => s === 'appended')).toHaveLength(2);
        expect(steps.filter((s) => s === 'committed')).toHaveLength(1);
    });

    it('stops a refused transfer at the step that refuses it, with the balances and the tip as they were', () => {
        const steps: LedgerStep[] = [];
        const now = 1_000n * TRANSACTION_WINDOW_NS;
        const ledger = newLedger(now, (step) => steps.push(step));
        const tip = ledger.tip;
        steps.length = 0;
        const tooMuch = { ...transfer(account(2), now), amount: 2_000_000n };
        expect(ledger.transfer({ caller: principal(1), now }, tooMuch)).toEqual({
            Err: { InsufficientFunds: { balance: 1_000_000n } }
        });
        expect(steps).toEqual(['built', 'hashed', 'admitted', 'settled', 'committed']);
        expect(ledger.balanceOf(account(1))).toBe(1_000_000n);
        expect(ledger.balanceOf(account(2))).toBe(0n);
        expect(ledger.tip).toEqual(tip);
        steps.length = 0;
        const old = transfer(account(2), now - TRANSACTION_WINDOW_NS - 1n);
        expect(ledger.transfer({ caller: principal(1), now }, old)).toEqual({ Err: { TooOld: null } });
        expect(steps).toEqual(['built', 'hashed', 'admitted', 'committed']);
        expect(ledger.tip).toEqual(tip);
    });
});

it('forgets a deduplicated transaction once the window and the drift have passed', () => {
    const start = 1_000n * TRANSACTION_WINDOW_NS;
    const ledger = newLedger(start);
    const caller = principal(1);
    expect(ledger.transfer({ caller, now: start }, transfer(account(2), start))).toEqual({ Ok: 1n });
    expect(ledger.state.rememberedCount()).toBe(1);
    const windowEdge = start + TRANSACTION_WINDOW_NS;
    expect(ledger.transfer({ caller, now: windowEdge }, transfer(account(2), start))).toEqual({
        Err: { Duplicate: { duplicate_of: 1n } }
    });
    // past the window it is TooOld (no drift added, as DFINITY), and still remembered until the drift passes
    expect(ledger.transfer({ caller, now: windowEdge + 1n }, transfer(account(2), start))).toEqual({ Err: { TooOld: null } });
    const justInside = windowEdge + PERMITTED_DRIFT_NS;
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

/** Heap maps that count the bytes each write stores and each read returns: the stable-memory traffic of a call. */
function countingMaps() {
    const traffic = { bytes: 0 };
    const maps = heapMaps();
    for (const map of Object.values(maps)) {
        const get = map.get.bind(map);
        const insert = map.insert.bind(map);
        map.get = (key) => {
            const value = get(key);
            traffic.bytes += key.length + (value?.length ?? 0);
            return value;
        };
        map.insert = (key, value) => {
            traffic.bytes += key.length + value.length;
            insert(key, value);
        };
    }
    return { maps, traffic };
}

it('changes one approval among an owner’s thousands with bounded stable traffic, and prunes them in bounded steps', () => {
    const now = 1_000n * TRANSACTION_WINDOW_NS;
    const { maps, traffic } = countingMaps();
    const ledger = new Ledger(new LedgerState(maps), () => undefined);
    const init = ledgerInit({
        mintingAccount: account(0),
        transferFee: FEE,
        initialBalances: [[account(1), 10n ** 12n]],
        archiveController: principal(0)
    });
    if (!('Init' in init)) throw new Error('unreachable');
    ledger.initialize(configFromInit(init.Init), init.Init.initial_balances, now);
    const caller = principal(1);
    const expiresAt = now + 1_000_000n;
    const approve = (i: number, at: bigint) => {
        const spender: Account = { owner: Principal.fromUint8Array(Uint8Array.of(0x7a, i >> 8, i & 0xff)), subaccount: [] };
        const before = traffic.bytes;
        const result = ledger.approve(
            { caller, now: at },
            {
                from_subaccount: [],
                spender,
                amount: 1n,
                expected_allowance: [],
                expires_at: [expiresAt],
                fee: [],
                memo: [],
                created_at_time: []
            }
        );
        expect(result).toHaveProperty('Ok');
        return traffic.bytes - before;
    };
    const early = approve(0, now);
    let late = 0;
    for (let i = 1; i < 3_200; i++) late = approve(i, now + BigInt(i));
    // The old per-owner index rewrote all 3,200 pair keys (400 KB) for each new approval.
    expect(late).toBeLessThan(3 * early + 20_000);
    expect(ledger.state.approvalCount()).toBe(3_200);
    // Past the expiry, each transaction prunes a bounded number, each at bounded traffic.
    const after = expiresAt + 10_000n;
    for (let round = 0; round < 32; round++) {
        const before = traffic.bytes;
        expect(
            ledger.transfer({ caller, now: after + BigInt(round) }, transfer(account(2), after + BigInt(round)))
        ).toHaveProperty('Ok');
        expect(traffic.bytes - before).toBeLessThan(APPROVE_PRUNE_LIMIT * 6_000);
    }
    expect(ledger.state.approvalCount()).toBe(0);
    expect(ledger.allowancesOf(account(1), undefined, 10, after)).toEqual([]);
});

it('moves the retired per-owner allowance index into the ordered index on upgrade', () => {
    const now = 1_000n * TRANSACTION_WINDOW_NS;
    const ledger = newLedger(now);
    const caller = principal(1);
    const spenders = [5, 3, 9].map(account);
    for (const spender of spenders)
        ledger.approve(
            { caller, now },
            {
                from_subaccount: [],
                spender,
                amount: 7n,
                expected_allowance: [],
                expires_at: [],
                fee: [],
                memo: [],
                created_at_time: []
            }
        );
    // What the previous version wrote: the pair keys, in order, in one value under the owner's key; no order.
    const maps = ledger.state.maps as ReturnType<typeof heapMaps>;
    const pairs = spenders.map((s) => pairKey(account(1), s)).sort(compareBytes);
    maps.legacyAllowanceIndex.insert(ownerKeyOf(account(1)), concat(...pairs));
    for (const [key] of maps.allowanceOrder.items()) maps.allowanceOrder.remove(key);
    const upgraded = new Ledger(new LedgerState(maps), () => undefined);
    expect(upgraded.allowancesOf(account(1), undefined, 10, now)).toEqual([]);
    expect(upgraded.state.migrateAllowanceIndex()).toBe(3);
    expect(maps.legacyAllowanceIndex.len()).toBe(0);
    expect(upgraded.allowancesOf(account(1), undefined, 10, now).map((a) => a.to_spender)).toEqual([3, 5, 9].map(account));
    expect(upgraded.state.migrateAllowanceIndex()).toBe(0);
});
