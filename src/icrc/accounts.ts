/**
 * ICRC-1 accounts as values: one rule for when two name the same account, for every canister that keeps
 * accounts (the ledger, and the registry's beneficiaries).
 */
import { uint8Equals } from '@dfinity/candid';

import { type Account, SUBACCOUNT_BYTES } from './interface';

const DEFAULT_SUBACCOUNT = new Uint8Array(SUBACCOUNT_BYTES);

/** The account's subaccount, the all-zero default when it names none. */
export function subaccountOf(account: Account): Uint8Array {
    return account.subaccount[0] ?? DEFAULT_SUBACCOUNT;
}

/** True when both name the same account (ICRC-1: "the default subaccount is all zeros", None is the same). */
export function sameAccount(a: Account, b: Account): boolean {
    return uint8Equals(a.owner.toUint8Array(), b.owner.toUint8Array()) && uint8Equals(subaccountOf(a), subaccountOf(b));
}
