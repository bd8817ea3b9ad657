/**
 * The decorators `implement` derives from a service: they register each method with Azle under the service's
 * IDL types, check arguments before the body runs, and refuse a mismatch between the class and the service
 * when the class is defined (which, in a canister, is at build time). Azle is replaced by a recorder, so these
 * rules are tested without a network.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import * as z from 'zod/mini';

import { c } from './builders';
import { withValidation } from './client';
import { type AzleApi, implement, type Meter } from './implement';
import { defineService, query, update } from './service';
import { InvalidArgumentError } from './validate';

type Registration = {
    kind: string;
    name: string;
    params: IDL.Type[];
    ret: IDL.Type | undefined;
    method: (...a: unknown[]) => unknown;
};

/** The message the recorder's canister is serving: its argument bytes, and the reply it got. */
type Message = { arg: Uint8Array; reply?: Uint8Array };

/**
 * An AzleApi that records what each decorator registered, the way Azle's own keeps the method it is given, and
 * plays the message a method serves in manual mode.
 */
function recordingAzle(): { azle: AzleApi; registered: Registration[]; message: Message } {
    const registered: Registration[] = [];
    const message: Message = { arg: new Uint8Array() };
    const decorator = (kind: string, params: IDL.Type[] = [], ret?: IDL.Type) =>
        ((method: (...a: unknown[]) => unknown, context: ClassMethodDecoratorContext) => {
            registered.push({ kind, name: String(context.name), params, ret, method });
        }) as ReturnType<AzleApi['update']>;
    const azle: AzleApi = {
        IDL,
        query: (params, ret) => decorator('query', params, ret),
        update: (params, ret) => decorator('update', params, ret),
        init: (params) => decorator('init', params),
        postUpgrade: (params) => decorator('postUpgrade', params),
        msgArgData: () => message.arg,
        msgReply: (reply) => {
            if (message.reply !== undefined) throw new Error('replied twice');
            message.reply = reply;
        }
    };
    return { azle, registered, message };
}

/** Serves one message with a registered query or update: encodes the arguments, decodes the reply. */
function serve(recorder: ReturnType<typeof recordingAzle>, canister: object, name: string, args: unknown[]): unknown {
    const r = registration(recorder.registered, name);
    recorder.message.arg = new Uint8Array(IDL.encode(r.params, args));
    delete recorder.message.reply;
    r.method.call(canister);
    const reply = recorder.message.reply;
    if (reply === undefined) throw new Error(`${name} did not reply`);
    return IDL.decode(r.ret === undefined ? [] : [r.ret], reply)[0];
}

const Amount = c.nat64().check(z.gte(1n, { error: 'amount must be at least 1' }));
const TransferResult = c.variant({ Ok: c.nat(), Err: c.variant({ InvalidArgument: c.text(), TooLarge: c.null() }) });

const bank = defineService({
    init: [c.record({ cap: c.nat64() })],
    methods: {
        balance: query([], c.nat()),
        transfer: update([Amount], TransferResult, { invalid: (reason) => ({ Err: { InvalidArgument: reason } }) }),
        burn: update([Amount])
    }
});

function bankCanister(azle: AzleApi) {
    const api = implement(bank, azle);
    class Bank {
        total = 0n;
        @api.init()
        init(arg: { cap: bigint }): void {
            this.total = arg.cap;
        }
        @api.query('balance')
        balance(): bigint {
            return this.total;
        }
        @api.update('transfer')
        transfer(amount: bigint): z.infer<typeof TransferResult> {
            return amount > this.total ? { Err: { TooLarge: null } } : { Ok: (this.total -= amount) };
        }
        @api.update('burn')
        burn(amount: bigint): void {
            this.total -= amount;
        }
    }
    return new Bank();
}

function registration(registered: Registration[], name: string): Registration {
    const found = registered.find((r) => r.name === name);
    if (found === undefined) throw new Error(`${name} was not registered`);
    return found;
}

describe('implement(service, azle)', () => {
    it("registers each method with Azle under the service's IDL types", () => {
        const { azle, registered } = recordingAzle();
        bankCanister(azle);
        expect(registered.map((r) => `${r.kind} ${r.name}`).sort()).toEqual([
            'init init',
            'query balance',
            'update burn',
            'update transfer'
        ]);
        const transfer = registration(registered, 'transfer');
        expect(transfer.params.map((t) => t.display())).toEqual(['nat64']);
        expect(transfer.ret?.display()).toBe(
            bank
                .idlFactory({ IDL })
                ._fields.find(([n]) => n === 'transfer')?.[1]
                .retTypes[0]?.display()
        );
        expect(registration(registered, 'init').params[0]?.display()).toBe('record {cap:nat64}');
    });

    it('serves a message: decodes its arguments, runs the body with `this` bound to the canister, replies', () => {
        const recorder = recordingAzle();
        const canister = bankCanister(recorder.azle);
        registration(recorder.registered, 'init').method.call(canister, { cap: 10n });
        expect(serve(recorder, canister, 'transfer', [3n])).toEqual({ Ok: 7n });
        expect(canister.total).toBe(7n);
        expect(serve(recorder, canister, 'balance', [])).toBe(7n);
    });

    it("turns a refused argument into the method's error variant, leaving state as it was", () => {
        const recorder = recordingAzle();
        const canister = bankCanister(recorder.azle);
        canister.total = 10n;
        expect(serve(recorder, canister, 'transfer', [0n])).toEqual({
            Err: { InvalidArgument: 'arg 0: amount must be at least 1' }
        });
        expect(canister.total).toBe(10n);
    });

    it('traps (throws InvalidArgumentError) when the method has no error result', () => {
        const recorder = recordingAzle();
        const canister = bankCanister(recorder.azle);
        canister.total = 10n;
        expect(() => serve(recorder, canister, 'burn', [0n])).toThrow(
            new InvalidArgumentError('burn', 'arg 0: amount must be at least 1')
        );
        expect(canister.total).toBe(10n);
    });

    it('traps with the reason when the bytes are not Candid of the arguments, before the body runs', () => {
        const recorder = recordingAzle();
        const canister = bankCanister(recorder.azle);
        canister.total = 10n;
        const transfer = registration(recorder.registered, 'transfer');
        recorder.message.arg = new Uint8Array(IDL.encode([IDL.Text], ['ten']));
        expect(() => transfer.method.call(canister)).toThrow(
            /invalid argument to transfer: a value of wire type text where nat64 is expected/
        );
        recorder.message.arg = Uint8Array.from([1, 2, 3]);
        expect(() => transfer.method.call(canister)).toThrow(/not a Candid message/);
        expect(canister.total).toBe(10n);
        expect(recorder.message.reply).toBeUndefined();
    });

    it('refuses a decorator on a method of another name', () => {
        const { azle } = recordingAzle();
        const api = implement(bank, azle);
        expect(() => {
            class Wrong {
                @api.query('balance')
                balanceOf(): bigint {
                    return 0n;
                }
            }
            return new Wrong();
        }).toThrow(`@query('balance') decorates a method named "balanceOf": the names must match`);
    });

    it('refuses a query decorator on an update method, and an unknown name', () => {
        const { azle } = recordingAzle();
        const api = implement(bank, azle);
        expect(() => api.query('transfer' as never)).toThrow(`@query('transfer'): the service declares "transfer" as update`);
        expect(() => api.update('mint' as never)).toThrow(`@update('mint'): the service has no method "mint"`);
    });
});

describe('withValidation(service, actor)', () => {
    it('refuses a bad argument before sending, and sends a good one', async () => {
        const sent: unknown[][] = [];
        const actor = { transfer: (...args: unknown[]) => (sent.push(args), Promise.resolve({ Ok: 1n })), other: 42 };
        const checked = withValidation(bank, actor);
        await expect(checked.transfer(0n)).rejects.toThrow(
            new InvalidArgumentError('transfer', 'arg 0: amount must be at least 1')
        );
        expect(sent).toEqual([]);
        await expect(checked.transfer(5n)).resolves.toEqual({ Ok: 1n });
        expect(sent).toEqual([[5n]]);
        expect(checked.other).toBe(42);
    });
});

describe('rules declared in the service', () => {
    const Result = c.variant({ Ok: c.nat(), Err: c.variant({ Throttled: c.text(), NotAuthorized: c.null() }) });
    const guarded = defineService({
        methods: {
            pay: update([c.nat()], Result, { metered: (reason) => ({ Err: { Throttled: reason } }) }),
            configure: update([c.nat()], Result, { controllerOnly: () => ({ Err: { NotAuthorized: null } }) }),
            read: query([], c.nat())
        }
    });
    const controller = Principal.fromText('aaaaa-aa');
    const stranger = Principal.anonymous();

    /** A canister of `guarded` on the recorder, with a meter that refuses when told to and records what it ran. */
    function guardedCanister(caller: Principal) {
        const recorder = recordingAzle();
        const azle: AzleApi = {
            ...recorder.azle,
            msgCaller: () => caller,
            isController: (p) => p.compareTo(controller) === 'eq'
        };
        const metered: string[] = [];
        let refuse: string | undefined;
        const meter: Meter = {
            metered(method, refused, body) {
                metered.push(method);
                return refuse === undefined ? body() : refused(refuse);
            }
        };
        const api = implement(guarded, azle, { meter });
        const ran: string[] = [];
        class Guarded {
            @api.update('pay')
            pay(amount: bigint) {
                ran.push('pay');
                return { Ok: amount };
            }
            @api.update('configure')
            configure(value: bigint) {
                ran.push('configure');
                return { Ok: value };
            }
            @api.query('read')
            read(): bigint {
                return 0n;
            }
        }
        return { recorder, canister: new Guarded(), api, metered, ran, refuseWith: (reason: string) => (refuse = reason) };
    }

    it('meters a metered method under its own name, and answers a refusal with the declared result', () => {
        const g = guardedCanister(stranger);
        expect(serve(g.recorder, g.canister, 'pay', [5n])).toEqual({ Ok: 5n });
        expect(g.metered).toEqual(['pay']);
        g.refuseWith('over the quota');
        expect(serve(g.recorder, g.canister, 'pay', [5n])).toEqual({ Err: { Throttled: 'over the quota' } });
        expect(g.ran).toEqual(['pay']); // the refused call did not run the body
        expect(serve(g.recorder, g.canister, 'read', [])).toBe(0n);
        expect(g.metered).toEqual(['pay', 'pay']); // an undeclared method is not metered
    });

    it('answers a controller-only method called by another with its refusal, without running the body', () => {
        const g = guardedCanister(stranger);
        expect(serve(g.recorder, g.canister, 'configure', [1n])).toEqual({ Err: { NotAuthorized: null } });
        expect(g.ran).toEqual([]);
        const byController = guardedCanister(controller);
        expect(serve(byController.recorder, byController.canister, 'configure', [1n])).toEqual({ Ok: 1n });
    });

    it("gives inspect_message the same declarations: unknown methods and others' controller-only calls are refused", () => {
        const { api } = guardedCanister(stranger);
        expect(api.inspect('pay', stranger)).toBe(true);
        expect(api.inspect('configure', stranger)).toBe(false);
        expect(api.inspect('configure', controller)).toBe(true);
        expect(api.inspect('withdraw', controller)).toBe(false);
        expect(api.inspect('toString', controller)).toBe(false); // not a method because an object has it
    });

    it('refuses to serve a metered method without a meter, and a controller-only one without the caller', () => {
        const recorder = recordingAzle();
        const api = implement(guarded, recorder.azle);
        expect(() => {
            class NoMeter {
                @api.update('pay')
                pay(amount: bigint) {
                    return { Ok: amount };
                }
            }
            return NoMeter;
        }).toThrow('pay is metered, but implement() was given no meter');
        expect(() => {
            class NoCaller {
                @api.update('configure')
                configure(value: bigint) {
                    return { Ok: value };
                }
            }
            return NoCaller;
        }).toThrow('configure is for controllers, but implement() was given no msgCaller and isController');
    });
});
