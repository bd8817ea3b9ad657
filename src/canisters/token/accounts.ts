/**
 * Accounts as the ledger stores them: a fixed-width binary key whose byte order is the order ICRC-103 lists
 * accounts in (owner principals by their bytes, then subaccounts by theirs). The default subaccount, whether
 * given as None or as 32 zero bytes, is one account (ICRC-1: "the default subaccount is all zeros").
 */
import { Principal } from '@dfinity/principal';

import { type Account, SUBACCOUNT_BYTES } from '../../icrc/interface';

/** A principal is at most 29 bytes (IC interface specification, "Principals"). */
export const MAX_PRINCIPAL_BYTES = 29;

/**
 * owner padded with zeros to 29 bytes, then the owner's length, then the subaccount (zeros when None). The
 * length byte keeps a principal apart from a longer one that extends it with zeros, and sorts a prefix first,
 * as comparing the principals' bytes does.
 */
export const ACCOUNT_KEY_BYTES = MAX_PRINCIPAL_BYTES + 1 + SUBACCOUNT_BYTES;

/** The stored key of an account. */
export function accountKey(account: Account): Uint8Array {
    const owner = account.owner.toUint8Array();
    if (owner.length > MAX_PRINCIPAL_BYTES) throw new RangeError(`a principal has at most ${MAX_PRINCIPAL_BYTES} bytes`);
    const key = new Uint8Array(ACCOUNT_KEY_BYTES);
    key.set(owner);
    key[MAX_PRINCIPAL_BYTES] = owner.length;
    const subaccount = account.subaccount[0];
    if (subaccount !== undefined) {
        if (subaccount.length !== SUBACCOUNT_BYTES) throw new RangeError(`a subaccount has exactly ${SUBACCOUNT_BYTES} bytes`);
        key.set(subaccount, MAX_PRINCIPAL_BYTES + 1);
    }
    return key;
}

/** The account a key stores; the default subaccount comes back as None. */
export function accountOfKey(key: Uint8Array): Account {
    if (key.length !== ACCOUNT_KEY_BYTES) throw new RangeError(`an account key has ${ACCOUNT_KEY_BYTES} bytes`);
    const length = key[MAX_PRINCIPAL_BYTES] as number;
    const subaccount = key.slice(MAX_PRINCIPAL_BYTES + 1);
    return {
        owner: Principal.fromUint8Array(key.slice(0, length)),
        subaccount: subaccount.some((b) => b !== 0) ? [subaccount] : []
    };
}
