/**
 * Canister snapshots in the management canister (interface specification, "IC method take_canister_snapshot",
 * `load_canister_snapshot`, `list_canister_snapshots`, `delete_canister_snapshot`), typed as the official
 * `ic-management.did` types them. The calls go through a probe that controls the target, an inter-canister call
 * to `aaaaa-aa`, so the file runs on PocketIC as well as on the local IC (through the test helper).
 */
import { Certificate, lookupResultToBuffer } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { counterService } from '../../examples/counter/service';
import { wasmOf } from '../../scripts/lib/build';
import { managementService } from '../../src/replica';
import { settingsArg } from '../../src/ic/management';
import { createIc, localOnly, type TestIc } from '../support/ic';
import { probeIdlFactory, type ProbeActor } from '../fixtures/probe/interface';

const controller = Principal.fromUint8Array(new Uint8Array([10, 11, 12, 13, 1]));
const noArg = new Uint8Array(IDL.encode([], []));
const management = Principal.fromText('aaaaa-aa');
const methods = new Map(managementService.idlFactory({ IDL })._fields);

type Snapshot = { id: Uint8Array; taken_at_timestamp: bigint; total_size: bigint };

let ic: TestIc;
let probeWasm: string;
let counterWasm: string;

beforeAll(async () => {
    probeWasm = await wasmOf('probe', 'fixtures');
    counterWasm = await wasmOf('counter');
}, 240_000);

beforeEach(async () => {
    ic = await createIc();
});

afterEach(async () => {
    await ic.tearDown();
});

async function probe(controllers: Principal[] = [controller], cycles?: bigint) {
    const fixture = await ic.setupCanister<ProbeActor>({
        idlFactory: probeIdlFactory,
        wasm: probeWasm,
        arg: noArg,
        sender: controller,
        controllers,
        cycles
    });
    fixture.actor.setPrincipal(controller);
    await ic.tick(2); // Azle seeds its randomness in a timer set at init
    return fixture;
}

/** An operator canister and the canister it looks after (both controlled by `controller`, the second by the first too). */
async function operatorAndTarget() {
    const operator = await probe();
    const target = await probe([controller, operator.canisterId]);
    return { operator, target };
}

/** Calls a management method from `via` (a probe); resolves with the decoded result, rejects with the reject. */
async function manage<T>(via: ProbeActor, method: string, arg: unknown): Promise<T> {
    const func = methods.get(method);
    if (func === undefined) throw new Error(`no management method ${method}`);
    const outcome = await via.relay(management, method, new Uint8Array(IDL.encode(func.argTypes, [arg])));
    if ('Err' in outcome) throw new Error(outcome.Err);
    return IDL.decode(func.retTypes, outcome.Ok)[0] as T;
}

const take = (via: ProbeActor, canisterId: Principal, replace?: Uint8Array, uninstall?: boolean) =>
    manage<Snapshot>(via, 'take_canister_snapshot', {
        canister_id: canisterId,
        replace_snapshot: replace === undefined ? [] : [replace],
        uninstall_code: uninstall === undefined ? [] : [uninstall],
        sender_canister_version: []
    });
const load = (via: ProbeActor, canisterId: Principal, id: Uint8Array) =>
    manage<undefined>(via, 'load_canister_snapshot', { canister_id: canisterId, snapshot_id: id, sender_canister_version: [] });
const list = (via: ProbeActor, canisterId: Principal) =>
    manage<Snapshot[]>(via, 'list_canister_snapshots', { canister_id: canisterId });
const remove = (via: ProbeActor, canisterId: Principal, id: Uint8Array) =>
    manage<undefined>(via, 'delete_canister_snapshot', { canister_id: canisterId, snapshot_id: id });
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

it('loading a snapshot brings back the module, the heap, stable memory and certified data', async () => {
    const { operator, target } = await operatorAndTarget();
    await target.actor.setHeap('at the snapshot');
    await target.actor.stableSet('k', 'at the snapshot');
    await target.actor.certify(Uint8Array.from([1, 2, 3]));
    const probeHash = (await ic.canisterStatus({ canisterId: target.canisterId, sender: controller })).moduleHash;
    await ic.stopCanister({ canisterId: target.canisterId, sender: controller }); // as the specification advises
    const before = await ic.getTime();
    const snapshot = await take(operator.actor, target.canisterId);
    expect(snapshot.taken_at_timestamp).toBeGreaterThanOrEqual(BigInt(before) * 1_000_000n);
    expect(snapshot.total_size).toBeGreaterThan(0n);
    await ic.startCanister({ canisterId: target.canisterId, sender: controller });

    // everything changes: the state, then the code itself
    await target.actor.setHeap('after');
    await target.actor.stableSet('k', 'after');
    await target.actor.certify(Uint8Array.from([9]));
    await ic.reinstallCode({
        canisterId: target.canisterId,
        wasm: counterWasm,
        arg: counterService.encodeInit(IDL, [{ max_step: 1n }]),
        sender: controller
    });
    await expect(target.actor.getHeap()).rejects.toThrow(/has no query method 'getHeap'/);

    await load(operator.actor, target.canisterId, snapshot.id);
    expect((await ic.canisterStatus({ canisterId: target.canisterId, sender: controller })).moduleHash).toEqual(probeHash);
    expect(await target.actor.getHeap()).toBe('at the snapshot');
    expect(await target.actor.stableGet('k')).toEqual(['at the snapshot']);
    const local = localOnly(ic);
    if (local !== undefined) {
        // certified data, as a query's data certificate shows it (PocketIC's root key is its topology's)
        const [certificate] = await target.actor.certificate();
        if (certificate === undefined) throw new Error('the query got no data certificate');
        const verified = await Certificate.create({
            certificate,
            rootKey: await local.getRootKey(),
            canisterId: target.canisterId
        });
        const path = ['canister', target.canisterId.toUint8Array(), 'certified_data'];
        expect(lookupResultToBuffer(verified.lookup_path(path))).toEqual(Uint8Array.from([1, 2, 3]));
    }
    // the canister keeps working from the loaded state, and the snapshot can be loaded again
    await target.actor.setHeap('later');
    await load(operator.actor, target.canisterId, snapshot.id);
    expect(await target.actor.getHeap()).toBe('at the snapshot');
});

it('lists, replaces and deletes snapshots, at most ten per canister', async () => {
    const { operator, target } = await operatorAndTarget();
    const taken: Snapshot[] = [];
    for (let i = 0; i < 10; i++) taken.push(await take(operator.actor, target.canisterId));
    expect((await list(operator.actor, target.canisterId)).map((s) => hex(s.id))).toEqual(taken.map((s) => hex(s.id)));
    await expect(take(operator.actor, target.canisterId)).rejects.toThrow(
        `CallRejected 4: Canister ${target.canisterId.toText()} has reached the maximum number of snapshots allowed: 10.`
    );
    const first = taken[0] as Snapshot;
    const replacement = await take(operator.actor, target.canisterId, first.id);
    const listed = (await list(operator.actor, target.canisterId)).map((s) => hex(s.id));
    expect(listed).toHaveLength(10);
    expect(listed).not.toContain(hex(first.id));
    expect(listed).toContain(hex(replacement.id));

    await remove(operator.actor, target.canisterId, replacement.id);
    expect(await list(operator.actor, target.canisterId)).toHaveLength(9);
    await expect(remove(operator.actor, target.canisterId, replacement.id)).rejects.toThrow(
        `CallRejected 3: Could not find the snapshot ID ${hex(replacement.id)} for canister ${target.canisterId.toText()}.`
    );
    await expect(load(operator.actor, target.canisterId, first.id)).rejects.toThrow(/Could not find the snapshot ID/);
    const local = localOnly(ic);
    if (local !== undefined) {
        const status = await ic.canisterStatus({ canisterId: target.canisterId, sender: controller });
        expect(status.memorySize).toBeGreaterThan(taken.slice(1, 10).reduce((n, s) => n + s.total_size, 0n));
    }
});

it('only controllers take, load or delete snapshots, onto another canister the caller also controls; snapshot_visibility decides who lists them', async () => {
    const { operator, target } = await operatorAndTarget();
    const stranger = await probe();
    await target.actor.setHeap('in the snapshot');
    const snapshot = await take(operator.actor, target.canisterId);
    const refused = new RegExp(`Only controllers of canister ${target.canisterId.toText()} can call ic00 method`);
    await expect(take(stranger.actor, target.canisterId)).rejects.toThrow(refused);
    await expect(load(stranger.actor, target.canisterId, snapshot.id)).rejects.toThrow(refused);
    await expect(remove(stranger.actor, target.canisterId, snapshot.id)).rejects.toThrow(refused);
    await expect(list(stranger.actor, target.canisterId)).rejects.toThrow(refused);
    await manage(operator.actor, 'update_settings', {
        canister_id: target.canisterId,
        settings: { ...settingsArg({}), snapshot_visibility: [{ public: null }] },
        sender_canister_version: []
    });
    expect((await list(stranger.actor, target.canisterId)).map((s) => hex(s.id))).toEqual([hex(snapshot.id)]);
    // a snapshot loads onto another canister for a caller that controls both, and only for such a caller
    const other = await probe([controller, operator.canisterId]);
    await target.actor.setHeap('not in the snapshot');
    await load(operator.actor, other.canisterId, snapshot.id);
    expect(await other.actor.getHeap()).toBe('in the snapshot');
    const strangers = await probe([controller, stranger.canisterId]);
    await expect(load(stranger.actor, strangers.canisterId, snapshot.id)).rejects.toThrow(
        `CallRejected 4: Only a controller of the canister that snapshot ${hex(snapshot.id)} belongs to can load it on canister ${strangers.canisterId.toText()}.`
    );
    // a snapshot of one canister is not another's to delete, even for a caller that controls both
    await expect(remove(operator.actor, other.canisterId, snapshot.id)).rejects.toThrow(
        `CallRejected 4: The snapshot ${hex(snapshot.id)} does not belong to canister ${other.canisterId.toText()}.`
    );
});

it('a canister that runs out of cycles loses its snapshots with its code', async () => {
    const local = localOnly(ic);
    if (local === undefined) return; // PocketIC's storage price depends on its subnet configuration
    const target = await probe([controller], 200_000_000_000n);
    const func = methods.get('take_canister_snapshot') as IDL.FuncClass;
    const arg = { canister_id: target.canisterId, replace_snapshot: [], uninstall_code: [], sender_canister_version: [] };
    await ic.updateCall({
        canisterId: management,
        method: 'take_canister_snapshot',
        arg: new Uint8Array(IDL.encode(func.argTypes, [arg])),
        sender: controller
    });
    const listing = () =>
        ic.updateCall({
            canisterId: management,
            method: 'list_canister_snapshots',
            arg: new Uint8Array(
                IDL.encode((methods.get('list_canister_snapshots') as IDL.FuncClass).argTypes, [
                    { canister_id: target.canisterId }
                ])
            ),
            sender: controller
        });
    expect(IDL.decode((methods.get('list_canister_snapshots') as IDL.FuncClass).retTypes, await listing())[0]).toHaveLength(1);
    await ic.advanceTime(10 * 365 * 24 * 3_600_000);
    expect(await ic.getCyclesBalance(target.canisterId)).toBe(0n);
    expect(IDL.decode((methods.get('list_canister_snapshots') as IDL.FuncClass).retTypes, await listing())[0]).toEqual([]);
});

it('an empty canister has nothing to snapshot; uninstall_code empties it after the snapshot, which loads back', async () => {
    const { operator, target } = await operatorAndTarget();
    await target.actor.setHeap('kept in the snapshot');
    const snapshot = await take(operator.actor, target.canisterId, undefined, true);
    await expect(target.actor.getHeap()).rejects.toThrow(/has no wasm module|no Wasm module|empty/i);
    await expect(take(operator.actor, target.canisterId)).rejects.toThrow(
        `CallRejected 4: Failed to create snapshot for empty canister ${target.canisterId.toText()}:`
    );
    await load(operator.actor, target.canisterId, snapshot.id);
    expect(await target.actor.getHeap()).toBe('kept in the snapshot');
});
