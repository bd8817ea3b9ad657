/**
 * Query methods called as updates, and composite queries, as the interface specification has them: an update
 * call or an inter-canister call to a `canister_query` method runs it in replicated mode ("Replicated and
 * Non-Replicated execution mode"; `query_as_update` in "Message execution"), paid as an update, its reply kept
 * and everything else it did discarded; a composite query runs only as a query call. Through the test helper,
 * so the file runs on PocketIC too.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { executionCost } from '../../src/replica';
import { createIc, localOnly, type TestIc } from '../support/ic';
import { probeIdlFactory, type ProbeActor } from '../fixtures/probe/interface';

const controller = Principal.fromUint8Array(new Uint8Array([10, 11, 12, 13, 1]));
const noArg = new Uint8Array(IDL.encode([], []));
const text = (value: string) => new Uint8Array(IDL.encode([IDL.Text], [value]));
const decodeText = (bytes: Uint8Array) => IDL.decode([IDL.Text], bytes)[0];

let ic: TestIc;
let wasm: string;

beforeAll(async () => {
    wasm = await wasmOf('probe', 'fixtures');
}, 120_000);

beforeEach(async () => {
    ic = await createIc();
});

afterEach(async () => {
    await ic.tearDown();
});

async function probe() {
    const fixture = await ic.setupCanister<ProbeActor>({ idlFactory: probeIdlFactory, wasm, arg: noArg, sender: controller });
    fixture.actor.setPrincipal(controller);
    await ic.tick(2); // Azle seeds its randomness in a timer set at init
    return fixture;
}

describe('a query method called as an update', () => {
    it('by ingress: replies, is paid as an update, and what it wrote to the heap and stable memory is discarded', async () => {
        const { actor, canisterId } = await probe();
        const before = await ic.getCyclesBalance(canisterId);
        const reply = await ic.updateCall({ canisterId, method: 'writeInQuery', arg: text('by ingress'), sender: controller });
        const paid = before - (await ic.getCyclesBalance(canisterId));
        const instructions = localOnly(ic)?.lastInstructions(canisterId);
        expect(decodeText(reply)).toBe('by ingress');
        expect(await actor.getHeap()).toBe('initial');
        expect(await actor.stableGet('query')).toEqual([]);
        // the local IC's prices are the 13-node subnet's (PocketIC's depend on its subnet, so there it only costs):
        // ingress induction (1.2M + 2,000 per byte of method name and argument) and execution as an update
        if (instructions === undefined) expect(paid).toBeGreaterThan(0n);
        else {
            const bytes = BigInt('writeInQuery'.length + text('by ingress').length);
            expect(paid).toBe(1_200_000n + 2_000n * bytes + executionCost(instructions));
        }
    });

    it('by another canister: the caller gets the reply, the callee keeps nothing of what it wrote', async () => {
        const caller = await probe();
        const callee = await probe();
        const outcome = await caller.actor.relay(callee.canisterId, 'writeInQuery', text('by a canister'));
        if (!('Ok' in outcome)) throw new Error(`the call was rejected: ${outcome.Err}`);
        expect(decodeText(outcome.Ok)).toBe('by a canister');
        expect(await callee.actor.getHeap()).toBe('initial');
        expect(await callee.actor.stableGet('query')).toEqual([]);
    });

    it('cannot set a timer, replicated or not: global_timer_set traps and nothing is scheduled', async () => {
        const { actor, canisterId } = await probe();
        await expect(ic.updateCall({ canisterId, method: 'timerInQuery', arg: noArg })).rejects.toThrow(
            /"ic0_global_timer_set" cannot be executed in replicated query mode/
        );
        await expect(actor.timerInQuery()).rejects.toThrow(
            /"ic0_global_timer_set" cannot be executed in non replicated query mode/
        );
        await ic.advanceTime(120_000);
        await ic.tick(2);
        expect(await actor.timerCount()).toBe(0);
    });
});

it("a call's cycles are seen only in replicated mode: msg_cycles_accept128 traps in a query call", async () => {
    const { actor, canisterId } = await probe();
    await expect(actor.acceptInQuery()).rejects.toThrow(
        /"ic0_msg_cycles_accept128" cannot be executed in non replicated query mode/
    );
    const reply = await ic.updateCall({ canisterId, method: 'acceptInQuery', arg: noArg });
    expect(IDL.decode([IDL.Nat], reply)).toEqual([0n]);
});

describe('composite queries', () => {
    it('answer query calls', async () => {
        const { actor } = await probe();
        await actor.setHeap('seen');
        expect(await actor.compositeHeap()).toBe('composite seen');
    });

    it('are rejected as updates, by ingress and by another canister', async () => {
        const caller = await probe();
        const callee = await probe();
        await expect(ic.updateCall({ canisterId: callee.canisterId, method: 'compositeHeap', arg: noArg })).rejects.toThrow(
            /Composite query cannot be called in replicated mode/
        );
        expect(await caller.actor.relay(callee.canisterId, 'compositeHeap', noArg)).toEqual({
            Err: 'CallRejected 5: Composite query cannot be called in replicated mode'
        });
    });

    it('call query and composite query methods of other canisters; what the caller wrote is gone afterwards', async () => {
        const caller = await probe();
        const middle = await probe();
        const callee = await probe();
        await callee.actor.setHeap('callee heap');
        expect(await caller.actor.compositeCall(callee.canisterId, 'getHeap')).toBe('callee heap / written by a composite query');
        expect(await caller.actor.compositeCall(callee.canisterId, 'compositeHeap')).toBe(
            'composite callee heap / written by a composite query'
        );
        // a composite query calling another canister's composite query
        const nested = await caller.actor.compositeCall(middle.canisterId, 'compositeHeap');
        expect(nested).toBe('composite initial / written by a composite query');
        expect(await caller.actor.getHeap()).toBe('initial');
        expect(await callee.actor.getHeap()).toBe('callee heap');
    });

    it('cannot call an update method, nor a canister already in the call graph', async () => {
        const caller = await probe();
        const callee = await probe();
        const toUpdate = await caller.actor.compositeCall(callee.canisterId, 'setHeap');
        const loop = await caller.actor.compositeCall(caller.canisterId, 'getHeap');
        if (localOnly(ic) === undefined) {
            expect([toUpdate, loop]).toEqual([expect.stringMatching(/^CallRejected/), expect.stringMatching(/^CallRejected 5/)]);
        } else {
            expect(toUpdate).toBe(`CallRejected 3: Canister ${callee.canisterId.toText()} has no query method 'setHeap'`);
            expect(loop).toMatch(/^CallRejected 5: Loop detected/);
        }
    });
});

it('a query call reaches query methods only: an update method is not one', async () => {
    const { canisterId } = await probe();
    const call = ic.queryCall({ canisterId, method: 'setHeap', arg: text('by query') });
    if (localOnly(ic) === undefined) await expect(call).rejects.toThrow();
    else await expect(call).rejects.toThrow(`has no query method 'setHeap'`);
});
