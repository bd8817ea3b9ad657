/**
 * The wallet's funding round on heap maps: a round abandoned half-way (a trap in a later callback rolls back
 * that callback only, so the round's `finally` never runs) no longer blocks every later round (issue 21, the
 * suspected stuck `roundInProgress`): past ROUND_TIMEOUT_NS a new round may start.
 */
import { Principal } from '@dfinity/principal';

import { heapMaps, WalletStore } from './state';
import { ROUND_TIMEOUT_NS, Wallet, type WalletEffects } from './wallet';

const T = 1_000_000_000_000n;
const controller = Principal.fromUint8Array(Uint8Array.of(1));
const sponsoredId = Principal.fromUint8Array(Uint8Array.of(2));

it('a funding round abandoned half-way is taken as over once its timeout has passed', async () => {
    let now = 1_000n * T;
    /** The first round's status call never answers: the callback that would end the round never runs. */
    let hang = true;
    const effects: WalletEffects = {
        self: Principal.fromUint8Array(Uint8Array.of(9)),
        now: () => now,
        balance: () => 100n * T,
        depositCycles: async () => 0n,
        call: async () => ({ reply: new Uint8Array(), refunded: 0n }),
        createCanister: async () => ({ canister: sponsoredId, refunded: 0n }),
        balanceOf: () => (hang ? new Promise<bigint>(() => undefined) : Promise.resolve(10n * T)),
        ownReserve: async () => 0n,
        pushPolicy: async () => undefined
    };
    const wallet = new Wallet(new WalletStore(heapMaps()), effects);
    wallet.initialize(controller, [controller], undefined);
    wallet.sponsor(controller, {
        canister: sponsoredId,
        name: [],
        strategy: { BelowThreshold: { min_cycles: T, top_up: T } },
        budget: []
    });
    void wallet.fundRound(() => 0n); // abandoned: it never finishes
    await Promise.resolve();
    await expect(wallet.fundRound(() => 0n)).rejects.toThrow(/already in progress/);
    now += ROUND_TIMEOUT_NS;
    hang = false;
    const report = await wallet.fundRound(() => 0n);
    expect(report.checked).toBe(1);
});
