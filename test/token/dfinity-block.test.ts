/**
 * The DFINITY block decoder (`test/support/dfinity-block.ts`) on hand-built blocks of DFINITY's schema: the
 * mint block of DFINITY's own schema tests (`rs/ledger_suite/icrc1/src/block_schema.rs` @ 8f4e593, owner bytes
 * `[1, 2, 3]`, `ts` 100, `amt` 10) and one block of each operation as its ledger writes them, then the
 * malformed blocks DFINITY refuses, each refused naming its field.
 */
import { Principal } from '@dfinity/principal';

import type { ICRC3Value } from '../../src/icrc/interface';
import { decodeDfinityBlock, DfinityDecodeError } from '../support/dfinity-block';

const nat = (n: bigint | number): ICRC3Value => ({ Nat: BigInt(n) });
const text = (t: string): ICRC3Value => ({ Text: t });
const blob = (bytes: number[] | Uint8Array): ICRC3Value => ({ Blob: Uint8Array.from(bytes) });
const map = (entries: Record<string, ICRC3Value>): ICRC3Value => ({ Map: Object.entries(entries) });

const OWNER = [1, 2, 3];
const ALICE = Principal.fromUint8Array(Uint8Array.from(OWNER));
const BOB = Principal.fromText('aaaaa-aa');
const SUB = Uint8Array.from({ length: 32 }, (_, i) => i);
const HASH = new Uint8Array(32).fill(7);
const alice: ICRC3Value = { Array: [blob(OWNER)] };
const bobSub: ICRC3Value = { Array: [blob(BOB.toUint8Array()), blob(SUB)] };

/** `valid_mint_block` of DFINITY's block_schema.rs tests. */
const dfinityMint = map({ ts: nat(100), tx: map({ op: text('mint'), to: alice, amt: nat(10) }) });

function refusal(value: ICRC3Value): string {
    try {
        decodeDfinityBlock(value);
    } catch (error) {
        if (error instanceof DfinityDecodeError) return error.message;
        throw error;
    }
    throw new Error('the block was decoded');
}

describe('DFINITY’s block decoder', () => {
    it('decodes the mint block of DFINITY’s schema tests', () => {
        expect(decodeDfinityBlock(dfinityMint)).toEqual({
            timestamp: 100n,
            transaction: { operation: { Mint: { to: { owner: ALICE }, amount: 10n } } }
        });
    });

    it('decodes a transfer with the effective fee at the top, a memo, created_at_time and a parent hash', () => {
        const block = map({
            phash: blob(HASH),
            ts: nat(2_000),
            fee: nat(10_000),
            tx: map({ op: text('xfer'), from: alice, to: bobSub, amt: nat(5), memo: blob([9]), ts: nat(1_999) })
        });
        expect(decodeDfinityBlock(block)).toEqual({
            parent_hash: HASH,
            timestamp: 2_000n,
            effective_fee: 10_000n,
            transaction: {
                operation: { Transfer: { from: { owner: ALICE }, to: { owner: BOB, subaccount: SUB }, amount: 5n } },
                created_at_time: 1_999n,
                memo: Uint8Array.from([9])
            }
        });
    });

    it('decodes an approval with its expected allowance and expiry, and a burn by a spender', () => {
        const approve = map({
            ts: nat(3),
            tx: map({
                op: text('approve'),
                from: alice,
                spender: bobSub,
                amt: nat(50),
                fee: nat(10_000),
                expected_allowance: nat(0),
                expires_at: nat(99)
            })
        });
        expect(decodeDfinityBlock(approve).transaction.operation).toEqual({
            Approve: {
                from: { owner: ALICE },
                spender: { owner: BOB, subaccount: SUB },
                amount: 50n,
                fee: 10_000n,
                expected_allowance: 0n,
                expires_at: 99n
            }
        });
        const burn = map({ ts: nat(4), tx: map({ op: text('burn'), from: alice, spender: bobSub, amt: nat(1) }) });
        expect(decodeDfinityBlock(burn).transaction.operation).toEqual({
            Burn: { from: { owner: ALICE }, spender: { owner: BOB, subaccount: SUB }, amount: 1n }
        });
    });

    it('takes a 107feecol block by its btype, with no amount, and ignores keys it does not know', () => {
        const block = map({
            btype: text('107feecol'),
            ts: nat(5),
            tx: map({ fee_collector: bobSub, caller: blob(OWNER), ts: nat(4), mthd: text('107set_fee_collector') })
        });
        expect(decodeDfinityBlock(block)).toEqual({
            btype: '107feecol',
            timestamp: 5n,
            transaction: {
                operation: { FeeCollector: { fee_collector: { owner: BOB, subaccount: SUB }, caller: ALICE } },
                created_at_time: 4n
            }
        });
    });

    it('reads numbers from Nat, Nat64 and non-negative Int alike, and tokens beyond 64 bits only in the u256 build', () => {
        const block = (amt: ICRC3Value) =>
            map({ ts: { Nat64: 1n } as unknown as ICRC3Value, tx: map({ op: text('mint'), to: alice, amt }) });
        expect(decodeDfinityBlock(block({ Int: 7n })).transaction.operation).toEqual({
            Mint: { to: { owner: ALICE }, amount: 7n }
        });
        expect(refusal(block({ Int: -1n }))).toBe('`tx.amt`: -1 is negative');
        const big = nat(1n << 64n);
        expect(refusal(block(big))).toMatch(/^`tx.amt`: 18446744073709551616 does not fit/);
        expect(decodeDfinityBlock(block(big), 'u256').transaction.operation).toEqual({
            Mint: { to: { owner: ALICE }, amount: 1n << 64n }
        });
    });

    it('refuses a block without tx.op, as the btype-only blocks earlier versions of this ledger wrote', () => {
        const btypeOnly = map({ btype: text('1xfer'), ts: nat(1), tx: map({ from: alice, to: bobSub, amt: nat(1) }) });
        expect(refusal(btypeOnly)).toBe('No operation specified and/or unknown btype Some("1xfer")');
    });

    it('refuses what DFINITY’s schema tests refuse: no ts, an unknown op, an empty account', () => {
        expect(refusal(map({ tx: map({ op: text('mint'), to: alice, amt: nat(10) }) }))).toBe('missing field `ts`');
        expect(refusal(map({ ts: nat(100), tx: map({ op: text('frobnicate'), amt: nat(10) }) }))).toBe(
            'Unknown operation name frobnicate and/or unknown btype None'
        );
        expect(refusal(map({ ts: nat(100), tx: map({ op: text('mint'), to: { Array: [] }, amt: nat(10) }) }))).toBe(
            '`tx.to`: account tuple must have at least one element'
        );
    });

    it('names the missing field of each operation, and the malformed one', () => {
        expect(refusal(map({ ts: nat(1), tx: map({ op: text('xfer'), from: alice, amt: nat(1) }) }))).toBe(
            '`to` field required for `xfer` operation'
        );
        expect(refusal(map({ ts: nat(1), tx: map({ op: text('approve'), from: alice, amt: nat(1) }) }))).toBe(
            '`spender` field required for `approve` operation'
        );
        expect(refusal(map({ ts: nat(1), tx: map({ op: text('burn'), from: alice }) }))).toBe(
            '`amount` required for `burn` operations'
        );
        expect(refusal(map({ ts: nat(1), phash: blob([1]), tx: map({ op: text('mint'), to: alice, amt: nat(1) }) }))).toBe(
            '`phash`: expected 32 bytes, got 1'
        );
        const shortSub: ICRC3Value = { Array: [blob(OWNER), blob([0])] };
        expect(refusal(map({ ts: nat(1), tx: map({ op: text('mint'), to: shortSub, amt: nat(1) }) }))).toBe(
            '`tx.to`: invalid subaccount: expected 32 bytes, got 1'
        );
        expect(refusal(map({ ts: nat(1), tx: map({ op: text('mint'), to: alice, amt: nat(1), memo: text('hi') }) }))).toBe(
            '`tx.memo`: expected a blob'
        );
        expect(refusal({ Array: [] })).toBe('block: expected a map');
    });
});
