/**
 * The wallet's funding round on heap maps: a round abandoned half-way (a trap in a later callback rolls back
 * that callback only, so the round's `finally` never runs) no longer blocks every later round (issue 21, the
 * suspected stuck `roundInProgress`): past ROUND_TIMEOUT_NS a new round may start. And a sponsored canister's
 * usage report (also suspected) records only the methods its policy meters, as many callers as a report names.
 */
import { Principal } from '@dfinity/principal';

import { OPEN_POLICY } from '../../sponsorship/policy';
import { MAX_REPORTED_CALLERS_PER_METHOD } from '../../sponsorship/quota';
import { AnonymousRoleError } from './roles';
import { heapMaps, WalletStore } from './state';
import { ROUND_TIMEOUT_NS, Wallet, type WalletEffects } from './wallet';

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
