/**
 * The template canister, compiled and run on the local IC (or PocketIC): it serves its interface from the
 * shared schemas, refuses bad arguments with typed errors, keeps its state across an upgrade, and the quota
 * module meters its callers under the policy the wallet (here, its controller) sets.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { seededIdentity } from '../../scripts/lib/identities';
import type { ActorOf } from '../../src/candid';
import { OPEN_POLICY } from '../../src/sponsorship/policy';
import { createIc, type TestIc } from '../../test/support/ic';
import { readingsService } from './service';

type Actor = ActorOf<typeof readingsService.methods> & {
    setIdentity(identity: ReturnType<typeof seededIdentity>): void;
    setPrincipal(principal: Principal): void;
};

const controller = seededIdentity(120);
const device = seededIdentity(121);
let ic: TestIc;
let actor: Actor;
let canisterId: Principal;

beforeAll(async () => {
    ic = await createIc();
    const sender = controller.getPrincipal();
    canisterId = await ic.createCanister({ sender, cycles: 10_000_000_000_000n });
    await ic.installCode({ canisterId, wasm: await wasmOf('readings', 'template'), arg: IDL.encode([], []), sender });
    await ic.tick(2);
    actor = ic.createActor(readingsService.idlFactory as never, canisterId) as unknown as Actor;
});

afterAll(async () => {
    await ic.tearDown();
});

it('stores a device reading and serves it to anyone', async () => {
    actor.setIdentity(device);
    expect(await actor.submit({ metric: 'temperature', value: -4n })).toEqual({ Ok: 1n });
    expect(await actor.submit({ metric: 'temperature', value: 21n })).toEqual({ Ok: 2n });
    actor.setPrincipal(Principal.anonymous());
    const [reading] = await actor.latest({ device: device.getPrincipal(), metric: 'temperature' });
    expect(reading?.value).toBe(21n);
    expect(await actor.latest({ device: device.getPrincipal(), metric: 'humidity' })).toEqual([]);
});

it('refuses bad input with a typed error and stores nothing', async () => {
    actor.setIdentity(device);
    const long = 'x'.repeat(33);
    expect(await actor.submit({ metric: long, value: 1n })).toEqual({
        Err: { InvalidArgument: { reason: expect.stringContaining('at most 32') as string } }
    });
    const result = await actor.set_payout({ owner: device.getPrincipal(), subaccount: [new Uint8Array(5)] });
    expect(result).toHaveProperty('Err.InvalidArgument');
    expect(await actor.payout_of(device.getPrincipal())).toEqual([]);
    actor.setPrincipal(Principal.anonymous());
    expect(await actor.submit({ metric: 'temperature', value: 1n })).toEqual({ Err: { AnonymousCaller: null } });
});

it('meters callers under the sponsorship policy: over quota, a call is refused before it runs', async () => {
    actor.setIdentity(controller);
    await actor.sponsorship_set_policy({
        ...OPEN_POLICY,
        version: 1n,
        window_seconds: 3_600n,
        methods: [['submit', { refuse_anonymous: true, calls_per_window: [2n], instructions_per_window: [] }]]
    });
    actor.setIdentity(device);
    expect(await actor.submit({ metric: 'rain', value: 1n })).toEqual({ Ok: 3n });
    expect(await actor.submit({ metric: 'rain', value: 2n })).toEqual({ Ok: 4n });
    // ingress over the quota is refused in inspect_message, so it costs the canister nothing
    await expect(actor.submit({ metric: 'rain', value: 3n })).rejects.toThrow();
    const [reading] = await actor.latest({ device: device.getPrincipal(), metric: 'rain' });
    expect(reading?.value).toBe(2n);
    expect((await actor.sponsorship_status()).tracked_callers).toBe(1n);
    // a stranger may not change the policy
    await expect(actor.sponsorship_set_policy({ ...OPEN_POLICY, version: 9n })).rejects.toThrow(/only the sponsoring wallet/);
});

it('keeps its readings and its policy across an upgrade', async () => {
    const sender = controller.getPrincipal();
    await ic.upgradeCanister({ canisterId, wasm: await wasmOf('readings', 'template'), arg: IDL.encode([], []), sender });
    const [reading] = await actor.latest({ device: device.getPrincipal(), metric: 'rain' });
    expect(reading?.value).toBe(2n);
    expect((await actor.sponsorship_status()).policy.version).toBe(1n);
});
