/**
 * The IC's execution semantics, checked on real Azle wasm (the probe fixture) through the test helper, so the
 * same file runs on PocketIC when POCKET_IC_BIN is set.
 */
import { createHash } from 'node:crypto';

import { Certificate, lookupResultToBuffer } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { counterService } from '../../examples/counter/service';
import { executionCost, LocalIc } from '../../src/replica';
import { wasmOf } from '../../scripts/lib/build';
import { createIc, localOnly, type TestIc } from '../support/ic';
import { probeIdlFactory, type ProbeActor } from '../fixtures/probe/interface';

/** A controller other than the anonymous principal, so that "not a controller" can be tested. */
const controller = Principal.fromUint8Array(new Uint8Array([10, 11, 12, 13, 1]));
const noArg = new Uint8Array(IDL.encode([], []));

/** Stable memory is megabytes: compare digests, not arrays element by element. */
const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

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

async function probe(options: { cycles?: bigint } = {}) {
    const fixture = await ic.setupCanister<ProbeActor>({
        idlFactory: probeIdlFactory,
        wasm,
        arg: noArg,
        sender: controller,
        cycles: options.cycles
    });
    fixture.actor.setPrincipal(controller);
    await ic.tick(2); // Azle seeds its randomness in a timer set at init
    return fixture;
}

describe('updates and queries', () => {
    it('keeps the state an update wrote', async () => {
        const { actor } = await probe();
        await actor.setHeap('written');
        await actor.stableSet('k', 'v');
        expect(await actor.getHeap()).toBe('written');
        expect(await actor.stableGet('k')).toEqual(['v']);
    });

    it('discards what a query wrote, to the heap and to stable memory', async () => {
        const { actor } = await probe();
        expect(await actor.writeInQuery('from a query')).toBe('from a query');
        expect(await actor.getHeap()).toBe('initial');
        expect(await actor.stableGet('query')).toEqual([]);
    });
});

describe('a trap', () => {
    it('rolls back the heap and stable memory, rejects with CANISTER_ERROR, and the canister keeps serving', async () => {
        const { actor, canisterId } = await probe();
        await actor.setHeap('before');
        const stableBefore = digest(await ic.getStableMemory(canisterId));
        await expect(actor.writeThenTrap('doomed')).rejects.toThrow(/reject code 5\b.*trapped after writing doomed/s);
        expect(await actor.getHeap()).toBe('before');
        expect(await actor.stableGet('trap')).toEqual([]);
        expect(digest(await ic.getStableMemory(canisterId))).toBe(stableBefore);
        await actor.setHeap('after');
        expect(await actor.getHeap()).toBe('after');
    });

    it('on running out of instructions, traps with the IC message and rolls back', async () => {
        const { actor, canisterId } = await probe();
        await expect(actor.burn(2_000_000_000)).rejects.toThrow(
            'Canister exceeded the limit of 40000000000 instructions for single message execution.'
        );
        expect(await actor.burn(1000)).toBeGreaterThanOrEqual(0);
        const local = localOnly(ic);
        if (local !== undefined) expect(local.lastInstructions(canisterId)).toBeGreaterThan(0n);
    }, 180_000);
});

describe('limits', () => {
    it('an update whose reply would pass 2 MiB traps, as on the IC; a reply under it is delivered', async () => {
        const { actor } = await probe();
        expect((await actor.zeros(1024 * 1024)).length).toBe(1024 * 1024);
        const tooBig = actor.zeros(2 * 1024 * 1024);
        if (localOnly(ic) === undefined) await expect(tooBig).rejects.toThrow();
        else await expect(tooBig).rejects.toThrow(/the reply would be \d+ bytes, more than the IC's limit of 2097152/);
    });
});

describe('upgrades', () => {
    it('keeps stable memory, runs pre_upgrade on the old code and post_upgrade on the new, and resets the heap', async () => {
        const { actor, canisterId } = await probe();
        await actor.setHeap('heap value');
        await actor.stableSet('kept', 'yes');
        await ic.upgradeCanister({ canisterId, wasm, arg: noArg, sender: controller });
        expect(await actor.stableGet('kept')).toEqual(['yes']);
        expect(await actor.upgradeCounter('pre')).toEqual([1n]);
        expect(await actor.upgradeCounter('post')).toEqual([1n]);
        expect(await actor.upgradeCounter('heapBeforeUpgrade')).toEqual([BigInt('heap value'.length)]);
        expect(await actor.getHeap()).toBe('initial');
    });

    it('refuses to keep the heap (wasm_memory_persistence = keep) for a module not built for it, and changes nothing', async () => {
        const { actor, canisterId } = await probe();
        await actor.setHeap('still here');
        await expect(
            ic.upgradeCanister({
                canisterId,
                wasm,
                arg: noArg,
                sender: controller,
                upgradeModeOptions: { skip_pre_upgrade: [], wasm_memory_persistence: [{ keep: null }] }
            })
        ).rejects.toThrow(/wasm_memory_persistence: opt Keep` upgrade option requires .* enhanced orthogonal persistence/);
        expect(await actor.getHeap()).toBe('still here');
        expect(await actor.upgradeCounter('pre')).toEqual([]);
    });

    it('skip_pre_upgrade leaves the old code’s pre_upgrade out and still runs post_upgrade', async () => {
        const { actor, canisterId } = await probe();
        await ic.upgradeCanister({
            canisterId,
            wasm,
            arg: noArg,
            sender: controller,
            upgradeModeOptions: { skip_pre_upgrade: [true], wasm_memory_persistence: [] }
        });
        expect(await actor.upgradeCounter('pre')).toEqual([]);
        expect(await actor.upgradeCounter('post')).toEqual([1n]);
    });

    it('reinstall wipes the heap and stable memory', async () => {
        const { actor, canisterId } = await probe();
        await actor.setHeap('heap value');
        await actor.stableSet('gone', 'yes');
        await ic.reinstallCode({ canisterId, wasm, arg: noArg, sender: controller });
        expect(await actor.stableGet('gone')).toEqual([]);
        expect(await actor.getHeap()).toBe('initial');
    });
});

describe('install', () => {
    /** A module with one memory that imports one function `() -> ()`, from `ic0` unless told. */
    function importing(name: string, module = 'ic0'): Uint8Array {
        const utf8 = (text: string) => [text.length, ...Buffer.from(text)];
        const section = (id: number, content: number[]) => [id, content.length, ...content];
        return Uint8Array.from([
            ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
            ...section(1, [1, 0x60, 0, 0]),
            ...section(2, [1, ...utf8(module), ...utf8(name), 0, 0]),
            ...section(5, [1, 0, 1]),
            ...section(7, [1, ...utf8('memory'), 2, 0])
        ]);
    }

    it('an init that traps (here on an argument it cannot decode) leaves the canister empty; a good one installs', async () => {
        const counter = await wasmOf('counter');
        const canisterId = await ic.createCanister({ sender: controller });
        const wrongArg = new Uint8Array(IDL.encode([IDL.Text], ['not the init record']));
        await expect(ic.installCode({ canisterId, wasm: counter, arg: wrongArg, sender: controller })).rejects.toThrow(
            /reject code 5|CanisterError|trapped|IC0503/i
        );
        expect((await ic.canisterStatus({ canisterId, sender: controller })).moduleHash).toBeNull();
        await ic.installCode({
            canisterId,
            wasm: counter,
            arg: counterService.encodeInit(IDL, [{ max_step: 1n }]),
            sender: controller
        });
        expect((await ic.canisterStatus({ canisterId, sender: controller })).moduleHash).not.toBeNull();
    });

    it('refuses a module that imports a function the IC does not provide, naming it, and leaves the canister empty', async () => {
        const canisterId = await ic.createCanister({ sender: controller });
        await expect(ic.installCode({ canisterId, wasm: importing('no_such_function'), sender: controller })).rejects.toThrow(
            /no_such_function/
        );
        expect((await ic.canisterStatus({ canisterId, sender: controller })).moduleHash).toBeNull();
        const local = localOnly(ic);
        if (local !== undefined) {
            // the IC has ic0.msg_deadline; the local IC does not, and says so at install rather than at a call
            await expect(ic.installCode({ canisterId, wasm: importing('msg_deadline'), sender: controller })).rejects.toThrow(
                "imports 'msg_deadline' from 'ic0', which the local IC does not provide"
            );
        }
    });
});

describe('inter-canister calls', () => {
    it('carries cycles, and refunds what the callee did not accept', async () => {
        const sender = await probe();
        const receiver = await probe();
        const before = await ic.getCyclesBalance(receiver.canisterId);
        const refund = await sender.actor.sendCycles(receiver.canisterId, 1_000_000n, 25n);
        expect(refund).toBe(750_000n);
        const local = localOnly(ic);
        if (local !== undefined) {
            // the receiver gained the 250_000 it accepted, less what executing `receive` cost it (PocketIC's fees
            // depend on its subnet configuration, so there only the refund is checked)
            const gained = (await ic.getCyclesBalance(receiver.canisterId)) - before;
            expect(gained).toBe(250_000n - executionCost(local.lastInstructions(receiver.canisterId)));
        }
    });

    it("delivers a callee's trap to the caller as a reject, with the callee rolled back and the caller's state kept", async () => {
        const caller = await probe();
        const callee = await probe();
        const outcome = await caller.actor.callTrapper(callee.canisterId, 'boom');
        expect(outcome).toEqual({ Err: expect.stringMatching(/^CallRejected 5: .*trapped after writing boom/s) });
        expect(await caller.actor.getHeap()).toBe('caller wrote boom');
        expect(await callee.actor.getHeap()).toBe('initial');
        expect(await callee.actor.stableGet('trap')).toEqual([]);
    });

    it("performance_counter(1) counts the call context's messages across an await; performance_counter(0) this one's", async () => {
        const caller = await probe();
        const callee = await probe();
        const [message, context] = await caller.actor.countersAcrossAwait(callee.canisterId);
        expect(message).toBeGreaterThan(0n);
        // the first message burned 10,000 loop iterations before the await; the callback after it did not
        expect(context).toBeGreaterThan(message + 100_000n);
    });

    it('rejects a call to a missing canister and to a missing method', async () => {
        const { canisterId } = await probe();
        await expect(
            ic.updateCall({ canisterId: Principal.fromText('aaaaa-aa'), method: 'no_such_method', arg: noArg })
        ).rejects.toThrow(/no method/);
        const missing = Principal.fromUint8Array(new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 1, 1]));
        await expect(ic.updateCall({ canisterId: missing, method: 'setHeap', arg: noArg })).rejects.toThrow(/not found/);
        await expect(ic.updateCall({ canisterId, method: 'noSuchMethod', arg: noArg })).rejects.toThrow(
            /has no update method 'noSuchMethod'/
        );
    });
});

describe('timers', () => {
    it('fire when time advances past them and a round runs', async () => {
        const { actor } = await probe();
        await actor.setTimerIn(60);
        await ic.advanceTime(59_000);
        await ic.tick();
        expect(await actor.timerCount()).toBe(0);
        await ic.advanceTime(1_000);
        await ic.tick(2);
        expect(await actor.timerCount()).toBe(1);
    });
});

describe('system tasks', () => {
    type PulseActor = { beatsSoFar(): Promise<[number, string]>; lowMemoryCount(): Promise<number> };
    async function pulse(cycles?: bigint) {
        const fixture = await ic.setupCanister<PulseActor>({
            cycles,
            idlFactory: ({ IDL: idl }) =>
                idl.Service({
                    beatsSoFar: idl.Func([], [idl.Tuple(idl.Nat32, idl.Text)], ['query']),
                    lowMemoryCount: idl.Func([], [idl.Nat32], ['query'])
                }),
            wasm: await wasmOf('pulse', 'fixtures'),
            arg: noArg,
            sender: controller
        });
        await ic.tick(2);
        return fixture;
    }

    it('canister_heartbeat runs in every round of a running canister, with the management canister as its caller', async () => {
        const { canisterId, actor } = await pulse();
        const [before] = await actor.beatsSoFar();
        await ic.tick(3);
        const [after, caller] = await actor.beatsSoFar();
        expect(caller).toBe('aaaaa-aa');
        const local = localOnly(ic);
        // PocketIC runs a heartbeat per round too, but its calls above may run rounds of their own
        if (local === undefined) expect(after).toBeGreaterThan(before);
        else {
            expect(after).toBe(before + 3);
            await ic.stopCanister({ canisterId, sender: controller });
            await ic.tick(3);
            await ic.startCanister({ canisterId, sender: controller });
            expect((await actor.beatsSoFar())[0]).toBe(after);
        }
    });

    it('a frozen canister runs no heartbeat', async () => {
        const { canisterId, actor } = await pulse(100_000_000_000n);
        await ic.updateCanisterSettings({ canisterId, sender: controller, freezingThreshold: 10n * 365n * 86_400n });
        const [before] = await actor.beatsSoFar();
        await ic.tick(3);
        expect((await actor.beatsSoFar())[0]).toBe(before);
    });

    it('canister_on_low_wasm_memory runs once each time the memory left under the limit falls below the threshold', async () => {
        const { canisterId, actor } = await pulse();
        const limit = 1024n ** 3n; // 1 GiB; the threshold just under it leaves any heap short of memory
        const threshold = (value: bigint) =>
            ic.updateCanisterSettings({ canisterId, sender: controller, wasmMemoryLimit: limit, wasmMemoryThreshold: value });
        await threshold(0n); // the default: never low
        await ic.tick(2);
        expect(await actor.lowMemoryCount()).toBe(0);
        await threshold(limit - 1n);
        await ic.tick(3);
        const once = await actor.lowMemoryCount();
        if (localOnly(ic) === undefined) expect(once).toBeGreaterThanOrEqual(1);
        else {
            expect(once).toBe(1); // the condition still holds, but the hook ran for this fall already
            await threshold(0n);
            await ic.tick();
            await threshold(limit - 1n);
            await ic.tick(2);
            expect(await actor.lowMemoryCount()).toBe(2);
        }
    });
});

describe('canister version', () => {
    it('moves on with each update and each settings or status change, not with a query, even one called as an update', async () => {
        const { actor, canisterId } = await probe();
        const start = await actor.version();
        await actor.setHeap('one update');
        expect(await actor.version()).toBe(start + 1n);
        await ic.updateCall({ canisterId, method: 'getHeap', arg: noArg });
        expect(await actor.version()).toBe(start + 1n);
        await ic.updateCanisterSettings({ canisterId, sender: controller, freezingThreshold: 1_000n });
        expect(await actor.version()).toBe(start + 2n);
        await ic.stopCanister({ canisterId, sender: controller });
        await ic.startCanister({ canisterId, sender: controller });
        expect(await actor.version()).toBeGreaterThan(start + 2n);
        const beforeUpgrade = await actor.version();
        await ic.upgradeCanister({ canisterId, wasm, arg: noArg, sender: controller });
        expect(await actor.version()).toBeGreaterThan(beforeUpgrade);
    });
});

describe('inspect_message', () => {
    it('refuses an ingress update the canister does not accept, before it runs', async () => {
        const { actor } = await probe();
        await expect(actor.refusedByInspect()).rejects.toThrow(/rejected the message/);
    });
});

describe('controllers', () => {
    it('only a controller can upgrade, change settings or stop a canister', async () => {
        const { canisterId } = await probe();
        const stranger = Principal.fromUint8Array(new Uint8Array([1, 2, 3, 4, 5]));
        await expect(ic.upgradeCanister({ canisterId, wasm, arg: noArg, sender: stranger })).rejects.toThrow(
            /Only controllers of canister/
        );
        await expect(ic.updateCanisterSettings({ canisterId, sender: stranger, freezingThreshold: 1n })).rejects.toThrow(
            /Only controllers/
        );
        await expect(ic.stopCanister({ canisterId, sender: stranger })).rejects.toThrow(/Only controllers/);
        expect((await ic.getControllers(canisterId)).map((p) => p.toText())).toEqual([controller.toText()]);
    });

    it('a stopped canister refuses calls until it is started', async () => {
        const { actor, canisterId } = await probe();
        await ic.stopCanister({ canisterId, sender: controller });
        await expect(actor.setHeap('x')).rejects.toThrow(/is stopped/);
        await ic.startCanister({ canisterId, sender: controller });
        await actor.setHeap('x');
        expect(await actor.getHeap()).toBe('x');
    });
});

describe('cycles', () => {
    it('an update costs the canister cycles; a query does not', async () => {
        const { actor, canisterId } = await probe();
        const start = await ic.getCyclesBalance(canisterId);
        await actor.getHeap();
        expect(await ic.getCyclesBalance(canisterId)).toBe(start);
        await actor.setHeap('paid');
        expect(await ic.getCyclesBalance(canisterId)).toBeLessThan(start - 5_000_000n);
    });

    it('below its freezing threshold a canister refuses updates but still answers queries', async () => {
        const { actor, canisterId } = await probe({ cycles: 100_000_000_000n });
        await ic.updateCanisterSettings({ canisterId, sender: controller, freezingThreshold: 10n * 365n * 86_400n });
        await expect(actor.setHeap('frozen?')).rejects.toThrow(/out of cycles/);
        expect(await actor.getHeap()).toBe('initial');
        await ic.updateCanisterSettings({ canisterId, sender: controller, freezingThreshold: 0n });
        await actor.setHeap('thawed');
        expect(await actor.getHeap()).toBe('thawed');
    });

    it('storage is paid for as time passes, and a canister that runs out is uninstalled', async () => {
        const local = localOnly(ic);
        if (local === undefined) return; // PocketIC's storage price depends on its subnet configuration
        const { actor, canisterId } = await probe({ cycles: 200_000_000_000n });
        await ic.updateCanisterSettings({ canisterId, sender: controller, freezingThreshold: 0n });
        const memory = (await ic.canisterStatus({ canisterId, sender: controller })).memorySize;
        const before = await ic.getCyclesBalance(canisterId);
        await ic.advanceTime(3_600_000); // one hour
        const paid = before - (await ic.getCyclesBalance(canisterId));
        // 127,000 cycles per GiB per second (13-node subnet); the fraction of a cycle owed from earlier ticks
        // may add one
        const expected = (memory * 127_000n * 3_600n) / 1024n ** 3n;
        expect(paid - expected >= 0n && paid - expected <= 1n).toBe(true);
        await ic.advanceTime(365 * 24 * 3_600_000);
        expect(await ic.getCyclesBalance(canisterId)).toBe(0n);
        await expect(actor.getHeap()).rejects.toThrow(/has no wasm module/);
    });

    it('canister_cycle_balance128 tells the canister its balance', async () => {
        const { actor, canisterId } = await probe();
        expect(await actor.balance()).toBe(await ic.getCyclesBalance(canisterId));
    });
});

describe('certified data', () => {
    it('is at most 32 bytes: certified_data_set traps beyond, and the data stays', async () => {
        const { actor } = await probe();
        const refused = actor.certify(new Uint8Array(33));
        if (localOnly(ic) === undefined) await expect(refused).rejects.toThrow();
        else await expect(refused).rejects.toThrow('ic0.certified_data_set: the data is 33 bytes, longer than 32');
        await actor.certify(new Uint8Array(32));
    });

    it('a query gets a data certificate that @dfinity/agent verifies with the root key', async () => {
        const local = localOnly(ic);
        if (local === undefined) return; // PocketIC's root key comes from its topology, not getRootKey
        const { actor, canisterId } = await probe();
        const data = Uint8Array.from([1, 2, 3, 4]);
        await actor.certify(data);
        const [certificate] = await actor.certificate();
        if (certificate === undefined) throw new Error('the query got no data certificate');
        const verified = await Certificate.create({ certificate, rootKey: await local.getRootKey(), canisterId });
        const certified = lookupResultToBuffer(verified.lookup_path(['canister', canisterId.toUint8Array(), 'certified_data']));
        expect(certified).toEqual(data);

        const otherSubnet = await LocalIc.create({ seed: 'another subnet' });
        await expect(Certificate.create({ certificate, rootKey: await otherSubnet.getRootKey(), canisterId })).rejects.toThrow(
            /signature/i
        );
    });
});
