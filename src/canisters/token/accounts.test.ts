import { Principal } from '@dfinity/principal';
import fc from 'fast-check';

import { compareBytes } from '../../ic/bytes';
import { sameAccount } from '../../icrc/accounts';
import type { Account } from '../../icrc/interface';
import { ACCOUNT_KEY_BYTES, accountKey, accountOfKey } from './accounts';

const principal = fc.uint8Array({ maxLength: 29 }).map((bytes) => Principal.fromUint8Array(bytes));
const subaccount = fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined });
const account = fc
    .record({ owner: principal, sub: subaccount })
    .map(({ owner, sub }): Account => ({ owner, subaccount: sub === undefined ? [] : [sub] }));

describe('account keys', () => {
    it('have a fixed width and give the account back (the zero subaccount as None)', () => {
        fc.assert(
            fc.property(account, (a) => {
                const key = accountKey(a);
                const back = accountOfKey(key);
                return (
                    key.length === ACCOUNT_KEY_BYTES &&
                    back.owner.toText() === a.owner.toText() &&
                    sameAccount(back, a) &&
                    (back.subaccount.length === 0 || back.subaccount[0]?.some((b) => b !== 0))
                );
            })
        );
    });

    it('sort as the owners compare by bytes, then the subaccounts', () => {
        fc.assert(
            fc.property(account, account, (a, b) => {
                const byKey = Math.sign(compareBytes(accountKey(a), accountKey(b)));
                const owners = compareBytes(a.owner.toUint8Array(), b.owner.toUint8Array());
                const subs = compareBytes(a.subaccount[0] ?? new Uint8Array(32), b.subaccount[0] ?? new Uint8Array(32));
                return byKey === Math.sign(owners !== 0 ? owners : subs);
            }),
            { numRuns: 500 }
        );
    });

    it('keep a principal apart from a longer one that extends it with zero bytes', () => {
        const short = { owner: Principal.fromUint8Array(Uint8Array.of(1, 2)), subaccount: [] } satisfies Account;
        const long = { owner: Principal.fromUint8Array(Uint8Array.of(1, 2, 0)), subaccount: [] } satisfies Account;
        expect(sameAccount(short, long)).toBe(false);
        expect(compareBytes(accountKey(short), accountKey(long))).toBeLessThan(0);
    });

    it('treat None and the all-zero subaccount as one account', () => {
        const owner = Principal.fromText('aaaaa-aa');
        expect(sameAccount({ owner, subaccount: [] }, { owner, subaccount: [new Uint8Array(32)] })).toBe(true);
    });

    it('refuse a subaccount that is not 32 bytes', () => {
        const owner = Principal.anonymous();
        expect(() => accountKey({ owner, subaccount: [new Uint8Array(31)] })).toThrow('exactly 32 bytes');
    });
});
