/**
 * The typed inter-canister call: what it sends (the method's name and its arguments in the service's Candid,
 * cycles only when attached), what it answers (the decoded result, and the refund), and how each way Azle
 * reports a failed call becomes one InterCanisterCallError. Azle's `call` is replaced by a fake callee, so
 * these rules are tested without a network. The `@ts-expect-error` lines are checked by `npm run typecheck`.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { c } from './builders';
import { type CallAzle, callErrorOf, canisterCalls, InterCanisterCallError } from './call';
import { defineService, query, update } from './service';
import { CandidDecodeError } from './wire';

const Transfer = c.record({ to: c.principal(), amount: c.nat() });
const TransferResult = c.variant({ Ok: c.nat(), Err: c.text() });
const bankService = defineService({
    methods: {
        transfer: update([Transfer], TransferResult),
        balance: query([c.principal()], c.nat()),
        notify: update([c.text()])
    }
});

const TransferIdl = IDL.Record({ to: IDL.Principal, amount: IDL.Nat });
const TransferResultIdl = IDL.Variant({ Ok: IDL.Nat, Err: IDL.Text });

const bank = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
const alice = Principal.fromText('2vxsx-fae');

type Sent = { canister: Principal; method: string; args: Uint8Array; cycles: bigint | undefined; hasCycles: boolean };

/** A callee that records each call and answers it with `answer`'s bytes, or throws what `answer` throws. */
function fakeAzle(answer: (sent: Sent) => Uint8Array, refunded = 0n) {
    const sent: Sent[] = [];
    let refundReads = 0;
    const azle: CallAzle = {
        call(canister, method, options) {
            const call = { canister, method, args: options.args, cycles: options.cycles, hasCycles: 'cycles' in options };
            sent.push(call);
            try {
                return Promise.resolve(answer(call));
            } catch (error) {
                return Promise.reject(error as Error);
            }
        },
        msgCyclesRefunded: () => {
            refundReads += 1;
            return refunded;
        }
    };
    return { azle, sent, refundReads: () => refundReads };
}

const reply = (types: IDL.Type[], values: unknown[]) => new Uint8Array(IDL.encode(types, values));

describe('a typed inter-canister call', () => {
    it('sends the method with its arguments in the service’s Candid and answers the decoded result', async () => {
        const fake = fakeAzle(() => reply([TransferResultIdl], [{ Ok: 7n }]));
        const result = await canisterCalls(fake.azle).call({
            service: bankService,
            canister: bank,
            method: 'transfer',
            args: [{ to: alice, amount: 5n }]
        });
        expect(result).toEqual({ Ok: 7n });
        const [sent] = fake.sent;
        expect(sent?.canister.toText()).toBe(bank.toText());
        expect(sent?.method).toBe('transfer');
        expect(IDL.decode([TransferIdl], sent?.args ?? new Uint8Array())).toEqual([{ to: alice, amount: 5n }]);
    });

    it('attaches no cycles and reads no refund unless cycles are given', async () => {
        const fake = fakeAzle(() => reply([IDL.Nat], [3n]));
        const answer = await canisterCalls(fake.azle).callWithRefund({
            service: bankService,
            canister: bank,
            method: 'balance',
            args: [alice]
        });
        expect(answer).toEqual({ result: 3n, refunded: 0n });
        expect(fake.sent[0]?.hasCycles).toBe(false);
        expect(fake.refundReads()).toBe(0);
    });

    it('attaches the cycles given and answers what came back of them', async () => {
        const fake = fakeAzle(() => reply([], []), 400n);
        const answer = await canisterCalls(fake.azle).callWithRefund({
            service: bankService,
            canister: bank,
            method: 'notify',
            args: ['top up'],
            cycles: 1_000n
        });
        expect(answer).toEqual({ result: undefined, refunded: 400n });
        expect(fake.sent[0]?.cycles).toBe(1_000n);
    });

    it('forwards raw bytes unchanged in both directions', async () => {
        const fake = fakeAzle((sent) => sent.args.slice().reverse(), 9n);
        const answer = await canisterCalls(fake.azle).callRaw(bank, 'anything', Uint8Array.of(1, 2, 3), 10n);
        expect(answer).toEqual({ result: Uint8Array.of(3, 2, 1), refunded: 9n });
        expect(fake.sent[0]?.method).toBe('anything');
    });

    it('turns a reject into an InterCanisterCallError with its code, message and refund', async () => {
        const fake = fakeAzle(() => {
            throw { type: 'CallRejected', rejectCode: 5, rejectMessage: 'the bank trapped' };
        }, 250n);
        const failed = canisterCalls(fake.azle).call({
            service: bankService,
            canister: bank,
            method: 'notify',
            args: ['x'],
            cycles: 250n
        });
        await expect(failed).rejects.toBeInstanceOf(InterCanisterCallError);
        await expect(failed).rejects.toMatchObject({ rejectCode: 5, rejectMessage: 'the bank trapped', refunded: 250n });
    });

    it('answers a reply that is not the method’s result type with the codec’s error, not a failed call', async () => {
        const fake = fakeAzle(() => reply([IDL.Text], ['not a nat']));
        const failed = canisterCalls(fake.azle).call({ service: bankService, canister: bank, method: 'balance', args: [alice] });
        await expect(failed).rejects.toBeInstanceOf(CandidDecodeError);
    });

    it('fails on an argument of the wrong type before anything is sent', async () => {
        const fake = fakeAzle(() => reply([IDL.Nat], [0n]));
        const calls = canisterCalls(fake.azle);
        // @ts-expect-error a balance is asked for a principal, not a text
        await expect(calls.call({ service: bankService, canister: bank, method: 'balance', args: ['alice'] })).rejects.toThrow();
        expect(fake.sent).toHaveLength(0);
    });

    it('names only the service’s methods', async () => {
        const fake = fakeAzle(() => new Uint8Array());
        // @ts-expect-error the bank has no `withdraw`
        const failed = canisterCalls(fake.azle).call({ service: bankService, canister: bank, method: 'withdraw', args: [] });
        await expect(failed).rejects.toThrow('the service has no method withdraw');
        expect(fake.sent).toHaveLength(0);
    });
});

describe('callErrorOf', () => {
    it('keeps the reject code and message of a rejected call', () => {
        const error = callErrorOf({ type: 'CallRejected', rejectCode: 3, rejectMessage: 'no such canister' }, 0n);
        expect(error).toMatchObject({
            rejectCode: 3,
            rejectMessage: 'no such canister',
            message: 'no such canister',
            refunded: 0n
        });
    });

    it('names a call the IC would not make, with code 0', () => {
        expect(callErrorOf({ type: 'CallPerformFailed' }, 12n)).toMatchObject({
            rejectCode: 0,
            rejectMessage: 'CallPerformFailed',
            refunded: 12n
        });
        expect(callErrorOf({ type: 'InsufficientLiquidCycleBalance', available: 1n, required: 2n }, 0n).rejectMessage).toBe(
            'InsufficientLiquidCycleBalance'
        );
    });

    it('keeps an Error’s message, and passes an InterCanisterCallError as it is', () => {
        expect(callErrorOf(new Error('boom'), 0n)).toMatchObject({ rejectCode: 0, rejectMessage: 'boom' });
        const original = new InterCanisterCallError(4, 'refused', 1n);
        expect(callErrorOf(original, 0n)).toBe(original);
    });
});
