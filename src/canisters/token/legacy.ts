/**
 * The legacy `get_transactions` view of a block, which DFINITY's index canister and Rosetta read: the block's
 * ICRC-3 value turned back into the `Transaction` record of `icrc_ledger.did`.
 */
import { Principal } from '@dfinity/principal';

import type { Account, ICRC3Value, Transaction } from '../../icrc/interface';
import { blockTypeOf, SET_FEE_COLLECTOR_METHOD } from './blocks';

type Fields = Map<string, ICRC3Value>;

function fieldsOf(value: ICRC3Value | undefined): Fields {
    return new Map(value !== undefined && 'Map' in value ? value.Map : []);
}

function nat(value: ICRC3Value | undefined): [] | [bigint] {
    return value !== undefined && 'Nat' in value ? [value.Nat] : [];
}

function blob(value: ICRC3Value | undefined): [] | [Uint8Array] {
    return value !== undefined && 'Blob' in value ? [value.Blob] : [];
}

function account(value: ICRC3Value | undefined): [] | [Account] {
    if (value === undefined || !('Array' in value)) return [];
    const [owner, subaccount] = value.Array;
    if (owner === undefined || !('Blob' in owner)) return [];
    return [
        {
            owner: Principal.fromUint8Array(owner.Blob),
            subaccount: subaccount !== undefined && 'Blob' in subaccount ? [subaccount.Blob] : []
        }
    ];
}

function required<T>(value: [] | [T], what: string): T {
    if (value[0] === undefined) throw new Error(`a stored block lacks ${what}`);
    return value[0];
}

/** The legacy transaction record of a block this ledger wrote. */
export function transactionOf(block: ICRC3Value): Transaction {
    const top = fieldsOf(block);
    const tx = fieldsOf(top.get('tx'));
    const kind = blockTypeOf(block);
    const timestamp = required(nat(top.get('ts')), 'ts');
    const common = { memo: blob(tx.get('memo')), created_at_time: nat(tx.get('ts')), amount: nat(tx.get('amt'))[0] ?? 0n };
    const fee = nat(tx.get('fee')).length > 0 ? nat(tx.get('fee')) : nat(top.get('fee'));
    const none: Pick<Transaction, 'burn' | 'mint' | 'approve' | 'transfer' | 'fee_collector'> = {
        burn: [],
        mint: [],
        approve: [],
        transfer: [],
        fee_collector: []
    };
    switch (kind) {
        case '1mint':
            return { ...none, kind: 'mint', timestamp, mint: [{ ...common, to: required(account(tx.get('to')), 'to'), fee }] };
        case '1burn':
            return {
                ...none,
                kind: 'burn',
                timestamp,
                burn: [{ ...common, from: required(account(tx.get('from')), 'from'), spender: account(tx.get('spender')), fee }]
            };
        case '1xfer':
        case '2xfer':
            return {
                ...none,
                kind: 'transfer',
                timestamp,
                transfer: [
                    {
                        ...common,
                        from: required(account(tx.get('from')), 'from'),
                        to: required(account(tx.get('to')), 'to'),
                        spender: account(tx.get('spender')),
                        fee
                    }
                ]
            };
        case '2approve':
            return {
                ...none,
                kind: 'approve',
                timestamp,
                approve: [
                    {
                        ...common,
                        from: required(account(tx.get('from')), 'from'),
                        spender: required(account(tx.get('spender')), 'spender'),
                        fee,
                        expected_allowance: nat(tx.get('expected_allowance')),
                        expires_at: nat(tx.get('expires_at'))
                    }
                ]
            };
        case '107feecol': {
            const caller = blob(tx.get('caller'))[0];
            return {
                ...none,
                kind: SET_FEE_COLLECTOR_METHOD,
                timestamp,
                fee_collector: [
                    {
                        caller: caller === undefined ? [] : [Principal.fromUint8Array(caller)],
                        fee_collector: account(tx.get('fee_collector')),
                        ts: nat(tx.get('created_at_time')),
                        mthd: [SET_FEE_COLLECTOR_METHOD]
                    }
                ]
            };
        }
        case undefined:
            throw new Error('a stored block has neither tx.op nor a known btype');
    }
}
