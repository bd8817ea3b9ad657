/**
 * The wallet's funding round on heap maps: a round abandoned half-way (a trap in a later callback rolls back
 * that callback only, so the round's `finally` never runs) no longer blocks every later round (issue 21, the
 * suspected stuck `roundInProgress`): past ROUND_TIMEOUT_NS a new round may start. And a sponsored canister's
 * usage report (also suspected) records only the methods its policy meters, as many callers as a report names.
 * Then the rules every spend and top-up goes through, on fake effects: custodians' limits and refunds, the
 * wallet's reserve, `send_cycles`'s deduplication, and funding rounds under each strategy and budget.
 */
import { Principal } from '@dfinity/principal';

import { OPEN_POLICY } from '../../sponsorship/policy';
import { MAX_REPORTED_CALLERS_PER_METHOD } from '../../sponsorship/quota';
import { AnonymousRoleError } from './roles';
import { heapMaps, WalletStore } from './state';
import { InterCanisterCallError } from '../../candid/call';
import { ROUND_TIMEOUT_NS, Wallet, WalletAccessError, type WalletEffects } from './wallet';

const T = 1_000_000_000_000n;
const controller = Principal.fromUint8Array(Uint8Array.of(1));
const sponsoredId = Principal.fromUint8Array(Uint8Array.of(2));

/** Effects that answer every call at once, with `overrides` on top. */
function effectsWith(overrides: Partial<WalletEffects>): WalletEffects {
    return {
        self: Principal.fromUint8Array(Uint8Array.of(9)),
        now: () => 1_000n * T,
        balance: () => 100n * T,
        depositCycles: async () => 0n,
        call: async () => ({ reply: new Uint8Array(), refunded: 0n }),
        createCanister: async () => ({ canister: sponsoredId, refunded: 0n }),
        balanceOf: async () => 10n * T,
        ownReserve: async () => 0n,
        pushPolicy: async () => undefined,
        ...overrides
    };
}

/** A wallet on heap maps that sponsors `sponsoredId`, topping it up by 1T below 1T. */
function sponsoringWallet(effects: WalletEffects): Wallet {
    const wallet = new Wallet(new WalletStore(heapMaps()), effects);
    wallet.initialize(controller, [controller], undefined);
    wallet.sponsor(controller, {
        canister: sponsoredId,
        name: [],
        strategy: { BelowThreshold: { min_cycles: T, top_up: T } },
        budget: []
    });
    return wallet;
}

it('a funding round abandoned half-way is taken as over once its timeout has passed', async () => {
    let now = 1_000n * T;
    /** The first round's status call never answers: the callback that would end the round never runs. */
    let hang = true;
    const wallet = sponsoringWallet(
        effectsWith({
            now: () => now,
            balanceOf: () => (hang ? new Promise<bigint>(() => undefined) : Promise.resolve(10n * T))
        })
    );
    void wallet.fundRound(() => 0n); // abandoned: it never finishes
    await Promise.resolve();
    await expect(wallet.fundRound(() => 0n)).rejects.toThrow(/already in progress/);
    now += ROUND_TIMEOUT_NS;
    hang = false;
    const report = await wallet.fundRound(() => 0n);
    expect(report.checked).toBe(1);
});

it('records a sponsored canister’s usage for the methods its policy meters only, as many callers as a report names', async () => {
    const wallet = sponsoringWallet(effectsWith({}));
    const rule = { refuse_anonymous: false, calls_per_window: [] as [], instructions_per_window: [] as [] };
    await wallet.setPolicy(controller, sponsoredId, { ...OPEN_POLICY, window_seconds: 60n, methods: [['pay', rule]] });
    const entry = (method: string, i: number) => ({
        method,
        caller: [Principal.fromUint8Array(Uint8Array.of(5, i >> 8, i & 0xff))] as [Principal],
        calls: 1n,
        instructions: 10n,
        refused: 0n
    });
    // A hostile report: made-up methods, and far more callers than the module names per method.
    const entries = [
        ...Array.from({ length: 300 }, (_, i) => entry(`made-up-${i}`, i)),
        ...Array.from({ length: 500 }, (_, i) => entry('pay', i))
    ];
    wallet.reportUsage(sponsoredId, { policy_version: 1n, balance: 5n * T, since: 0n, until: 1n, entries });
    const [record] = wallet.snapshot.sponsored;
    expect(record?.usage.map((u) => u.method)).toEqual(['pay']);
    expect(wallet.usage(0n, 1_000n).total).toBe(BigInt(MAX_REPORTED_CALLERS_PER_METHOD + 1));
});

describe('the anonymous principal holds no role (issue 24, item 4)', () => {
    const anonymous = Principal.anonymous();
    const refused = /anonymous principal \(2vxsx-fae\) cannot be a wallet (controller|custodian).*icp identity new/;

    it('is refused as a controller or custodian, leaving the roles as they were', () => {
        const wallet = new Wallet(new WalletStore(heapMaps()), effectsWith({}));
        wallet.initialize(controller, [controller], undefined);
        expect(() => wallet.addController(controller, anonymous)).toThrow(AnonymousRoleError);
        expect(() => wallet.addController(controller, anonymous)).toThrow(refused);
        expect(() => wallet.authorize(controller, anonymous)).toThrow(refused);
        expect(wallet.snapshot.controllers).toEqual([controller]);
        expect(wallet.snapshot.custodians).toEqual([]);
        expect(wallet.canRead(anonymous)).toBe(false);
    });

    it('is refused as a first controller, given or as the installer', () => {
        const fresh = () => new Wallet(new WalletStore(heapMaps()), effectsWith({}));
        expect(() => fresh().initialize(controller, [anonymous], undefined)).toThrow(refused);
        expect(() => fresh().initialize(anonymous, [], undefined)).toThrow(refused);
        const installedByAnonymous = fresh();
        installedByAnonymous.initialize(anonymous, [controller], undefined); // the controllers given are named
        expect(installedByAnonymous.snapshot.controllers).toEqual([controller]);
    });
});

describe('spending limits (every spend goes through the custodian’s limits, reserved before the call)', () => {
    const custodian = Principal.fromUint8Array(Uint8Array.of(3));
    const other = Principal.fromUint8Array(Uint8Array.of(4));
    const limited = {
        window_seconds: 60n,
        cycles_per_window: [10n] as [bigint],
        canisters: [] as [],
        methods: [] as [],
        expires_at: [] as []
    };

    /** A wallet with `custodian` under `limits`, and the deposits the IC was asked for. */
    function limitedWallet(limits: Parameters<Wallet['authorize']>[2], overrides: Partial<WalletEffects> = {}) {
        const deposits: bigint[] = [];
        const wallet = new Wallet(
            new WalletStore(heapMaps()),
            effectsWith({
                depositCycles: async (_canister, amount) => {
                    deposits.push(amount);
                    return 0n;
                },
                ...overrides
            })
        );
        wallet.initialize(controller, [controller], undefined);
        wallet.authorize(controller, custodian, limits);
        return { wallet, deposits };
    }

    it('refuses a spend past the window’s cycle limit, before any call, and names the limit and its reset', async () => {
        const { wallet, deposits } = limitedWallet(limited);
        expect(await wallet.send(custodian, other, 6n)).toEqual({ ok: true, value: undefined });
        const refused = await wallet.sendCycles(custodian, { canister: other, amount: 5n, created_at_time: [], memo: [] });
        expect(refused).toEqual({
            Err: {
                Refused: {
                    CycleLimit: {
                        limit: 10n,
                        window_seconds: 60n,
                        used: 6n,
                        requested: 5n,
                        resets_at: 1_000n * T + 60n * 1_000_000_000n
                    }
                }
            }
        });
        expect(deposits).toEqual([6n]);
        expect(await wallet.send(custodian, other, 4n)).toEqual({ ok: true, value: undefined }); // exactly the limit
    });

    it('gives a refund back to the custodian’s window, so refunded cycles can be spent again', async () => {
        const { wallet } = limitedWallet(limited, { depositCycles: async (_canister, amount) => amount - 1n });
        // each send of 5 uses 1 once its refund is back: three fit in the limit of 10 only if refunds are given back
        for (let i = 0; i < 3; i++) expect((await wallet.send(custodian, other, 5n)).ok).toBe(true);
        expect(wallet.snapshot.custodians[0]?.window.used).toBe(3n);
    });

    it('gives the whole spend back when the call is rejected with everything refunded', async () => {
        const { wallet } = limitedWallet(limited, {
            depositCycles: async (_canister, amount) => {
                throw new InterCanisterCallError(4, 'refused by the callee', amount);
            }
        });
        const result = await wallet.sendCycles(custodian, { canister: other, amount: 10n, created_at_time: [], memo: [] });
        expect(result).toEqual({ Err: { Rejected: { code: 4, message: 'refused by the callee', refunded: 10n } } });
        expect(wallet.snapshot.custodians[0]?.window.used).toBe(0n);
    });

    it('refuses canisters and methods outside the allowed lists, and an expired custodian', async () => {
        const { wallet } = limitedWallet({ ...limited, cycles_per_window: [], canisters: [[other]], methods: [['allowed']] });
        expect(await wallet.call(custodian, sponsoredId, 'allowed', new Uint8Array(), 0n)).toEqual({
            ok: false,
            error: `custodian limit: canister ${sponsoredId.toText()} is not in the allowed canisters`
        });
        expect(await wallet.call(custodian, other, 'other', new Uint8Array(), 0n)).toEqual({
            ok: false,
            error: 'custodian limit: method "other" is not in the allowed methods'
        });
        expect((await wallet.call(custodian, other, 'allowed', new Uint8Array(), 0n)).ok).toBe(true);

        const clock = { now: 1_000n * T };
        const expiring = limitedWallet({ ...limited, expires_at: [clock.now + 1n] }, { now: () => clock.now });
        expect((await expiring.wallet.send(custodian, other, 1n)).ok).toBe(true);
        clock.now += 1n;
        await expect(expiring.wallet.send(custodian, other, 1n)).rejects.toThrow(WalletAccessError);
        expect(expiring.deposits).toEqual([1n]);
    });

    it('never spends below the wallet’s reserve, for a controller either', async () => {
        const { wallet } = limitedWallet(limited, { balance: () => 100n });
        wallet.setFunding(controller, { ...wallet.snapshot.funding, min_reserve: 90n });
        const result = await wallet.sendCycles(controller, { canister: other, amount: 11n, created_at_time: [], memo: [] });
        expect(result).toEqual({ Err: { Refused: { InsufficientCycles: { available: 10n, requested: 11n } } } });
        expect((await wallet.send(controller, other, 10n)).ok).toBe(true);
    });

    it('rejects a caller that is neither controller nor custodian before anything is reserved', async () => {
        const { wallet, deposits } = limitedWallet(limited);
        await expect(wallet.send(other, other, 1n)).rejects.toThrow(WalletAccessError);
        expect(deposits).toEqual([]);
    });
});

describe('send_cycles deduplication (ICRC-1’s window over caller, canister, amount and created_at_time)', () => {
    const now = 1_000n * T;
    const args = { canister: sponsoredId, amount: 5n, created_at_time: [now] as [bigint], memo: [] as [] };

    it('answers a repeat with the first send’s event and sends nothing twice', async () => {
        let deposits = 0;
        const wallet = sponsoringWallet(effectsWith({ depositCycles: async () => (deposits++, 0n) }));
        const first = await wallet.sendCycles(controller, args);
        if (!('Ok' in first)) throw new Error(`the first send was refused: ${JSON.stringify(first)}`);
        expect(await wallet.sendCycles(controller, args)).toEqual({ Err: { Duplicate: { duplicate_of: first.Ok.event } } });
        expect(deposits).toBe(1);
        // another amount (or time) is another send
        expect('Ok' in (await wallet.sendCycles(controller, { ...args, amount: 6n }))).toBe(true);
    });

    it('answers InProgress while the first send waits for its answer', async () => {
        let answer: (refund: bigint) => void = () => undefined;
        const wallet = sponsoringWallet(
            effectsWith({ depositCycles: () => new Promise<bigint>((resolve) => (answer = resolve)) })
        );
        const first = wallet.sendCycles(controller, args);
        await Promise.resolve();
        expect(await wallet.sendCycles(controller, args)).toEqual({ Err: { InProgress: null } });
        answer(0n);
        expect('Ok' in (await first)).toBe(true);
    });

    it('forgets a rejected send, so the same send may be retried', async () => {
        let fail = true;
        const wallet = sponsoringWallet(
            effectsWith({
                depositCycles: async (_canister, amount) => {
                    if (fail) throw new InterCanisterCallError(2, 'no route', amount);
                    return 0n;
                }
            })
        );
        expect('Err' in (await wallet.sendCycles(controller, args))).toBe(true);
        fail = false;
        expect('Ok' in (await wallet.sendCycles(controller, args))).toBe(true);
    });

    it('refuses times outside the window: too old, or ahead of the wallet’s clock past the drift', async () => {
        const wallet = sponsoringWallet(effectsWith({}));
        expect(await wallet.sendCycles(controller, { ...args, created_at_time: [now - 25n * 3_600n * 1_000_000_000n] })).toEqual({
            Err: { TooOld: null }
        });
        expect(await wallet.sendCycles(controller, { ...args, created_at_time: [now + 3_600n * 1_000_000_000n] })).toEqual({
            Err: { CreatedInFuture: { wallet_time: now } }
        });
    });
});

describe('funding rounds (strategies and budgets, applied by the round)', () => {
    const SECOND = 1_000_000_000n;

    /** A wallet sponsoring `sponsoredId` with `strategy`/`budget`, the canister's balance fixed at `balance`. */
    function fundingWallet(args: Partial<Parameters<Wallet['sponsor']>[1]>, balance: bigint, clock: { now: bigint }) {
        const deposits: bigint[] = [];
        const wallet = new Wallet(
            new WalletStore(heapMaps()),
            effectsWith({
                now: () => clock.now,
                balanceOf: async () => balance,
                depositCycles: async (_canister, amount) => (deposits.push(amount), 0n)
            })
        );
        wallet.initialize(controller, [controller], undefined);
        wallet.sponsor(controller, {
            canister: sponsoredId,
            name: [],
            strategy: { BelowThreshold: { min_cycles: T, top_up: T } },
            budget: [],
            ...args
        });
        return { wallet, deposits };
    }

    it('tops up below the threshold and leaves a canister above it alone', async () => {
        const low = fundingWallet({}, T - 1n, { now: 1_000n * T });
        expect(await low.wallet.fundRound(() => 0n)).toMatchObject({ checked: 1, topped_up: 1, cycles_sent: T });
        const high = fundingWallet({}, T, { now: 1_000n * T });
        expect(await high.wallet.fundRound(() => 0n)).toMatchObject({ checked: 1, topped_up: 0, refused: 0 });
        expect(high.deposits).toEqual([]);
    });

    it('sends a Fixed amount once per interval, and again once the interval has passed', async () => {
        const clock = { now: 1_000n * T };
        const { wallet, deposits } = fundingWallet(
            { strategy: { Fixed: { amount: 7n, interval_seconds: 60n } } },
            100n * T,
            clock
        );
        await wallet.fundRound(() => 0n);
        await wallet.fundRound(() => 0n);
        expect(deposits).toEqual([7n]);
        clock.now += 60n * SECOND;
        await wallet.fundRound(() => 0n);
        expect(deposits).toEqual([7n, 7n]);
    });

    it('cuts a top-up to the canister’s budget, then refuses and logs the refusal until the period ends', async () => {
        const clock = { now: 1_000n * T };
        const budget = { max_cycles: T / 2n, period_seconds: 3_600n };
        const { wallet, deposits } = fundingWallet({ budget: [budget] }, 0n, clock);
        expect(await wallet.fundRound(() => 0n)).toMatchObject({ topped_up: 1, cycles_sent: T / 2n });
        expect(await wallet.fundRound(() => 0n)).toMatchObject({ topped_up: 0, refused: 1 });
        const [refusal] = wallet.store.events(0n, 100n).flatMap((e) => ('TopUpRefused' in e.kind ? [e.kind.TopUpRefused] : []));
        expect(refusal?.reason).toEqual({
            BudgetExhausted: {
                scope: { Canister: null },
                max_cycles: T / 2n,
                used: T / 2n,
                resets_at: clock.now + 3_600n * SECOND
            }
        });
        clock.now += 3_600n * SECOND;
        await wallet.fundRound(() => 0n);
        expect(deposits).toEqual([T / 2n, T / 2n]);
    });

    it('holds every sponsored canister to the aggregate budget', async () => {
        const { wallet, deposits } = fundingWallet({}, 0n, { now: 1_000n * T });
        wallet.setFunding(controller, {
            ...wallet.snapshot.funding,
            aggregate_budget: [{ max_cycles: T / 4n, period_seconds: 60n }]
        });
        await wallet.fundRound(() => 0n);
        expect(await wallet.fundRound(() => 0n)).toMatchObject({ refused: 1 });
        expect(deposits).toEqual([T / 4n]);
    });
});
