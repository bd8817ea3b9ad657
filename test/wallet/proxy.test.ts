/**
 * The wallet as icp-cli's proxy canister (`icp deploy --proxy <wallet>`): a custodian creates, installs and
 * manages canisters through `proxy`, paid from the wallet's balance and within its limits; every other outcome
 * is one of icp-cli's three typed errors, and a refused or failed call spends nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { decoder, encoder } from '../../src/candid/wire';
import { managementService, settingsArg } from '../../src/ic/management';
import { ProxyArgs, ProxyResult } from '../../src/canisters/wallet/types';
import { probeIdlFactory, type ProbeActor } from '../fixtures/probe/interface';
import { createIc, localOnly, type TestIc } from '../support/ic';
import { deployWallet, type DeployedWallet, identity, T } from './setup';

const management = managementService.methods;
const MANAGEMENT = Principal.managementCanister();
const owner = identity(31);
const custodian = identity(32);

const codec = {
    create: encoder(management.create_canister.args),
    created: decoder([management.create_canister.ret as NonNullable<typeof management.create_canister.ret>]),
    install: encoder(management.install_code.args),
    status: encoder(management.canister_status.args),
    statusResult: decoder([management.canister_status.ret as NonNullable<typeof management.canister_status.ret>]),
    proxy: encoder([ProxyArgs]),
    proxyResult: decoder([ProxyResult])
};

let ic: TestIc;
let w: DeployedWallet;
let probeModule: Uint8Array;

const proxy = (request: Omit<ProxyArgs, 'cycles'> & { cycles?: bigint }) => w.wallet.proxy({ cycles: 0n, ...request });
const createArgs = () => codec.create([{ settings: [], sender_canister_version: [] }]);
const balance = async () => (await w.wallet.wallet_balance128()).amount;
const ok = (result: ProxyResult): Uint8Array => {
    if (!('Ok' in result)) throw new Error(`proxy refused: ${JSON.stringify(result, (_, v) => String(v))}`);
    return result.Ok.result;
};

beforeAll(async () => {
    ic = await createIc();
    w = await deployWallet(ic, owner, { cycles: 100n * T });
    probeModule = gzipSync(readFileSync(await wasmOf('probe', 'fixtures')));
}, 180_000);

afterAll(async () => ic.tearDown());

it('creates a canister with the cycles asked for, installs it and reads its status, as icp deploy does', async () => {
    const before = await balance();
    const [created] = codec.created(
        ok(await proxy({ canister_id: MANAGEMENT, method: 'create_canister', args: createArgs(), cycles: 2n * T }))
    );
    const { canister_id: canisterId } = created as { canister_id: Principal };
    // the wallet made the call, so it controls the new canister: icp-cli manages it through the proxy from then on
    expect((await ic.getControllers(canisterId)).map((p) => p.toText())).toEqual([w.canisterId.toText()]);
    expect(before - (await balance())).toBeGreaterThanOrEqual(2n * T);

    const install = codec.install([
        {
            mode: { install: null },
            canister_id: canisterId,
            wasm_module: probeModule,
            arg: new Uint8Array(IDL.encode([], [])),
            sender_canister_version: []
        }
    ]);
    ok(await proxy({ canister_id: MANAGEMENT, method: 'install_code', args: install }));
    const [status] = codec.statusResult(
        ok(await proxy({ canister_id: MANAGEMENT, method: 'canister_status', args: codec.status([{ canister_id: canisterId }]) }))
    ) as [{ module_hash: [] | [Uint8Array]; status: object }];
    const unzipped = readFileSync(await wasmOf('probe', 'fixtures'));
    expect(Buffer.from(status.module_hash[0] ?? []).toString('hex')).toBe(createHash('sha256').update(unzipped).digest('hex'));
    expect(status.status).toEqual({ running: null });

    await ic.tick(2);
    const probe = ic.createActor(probeIdlFactory as never, canisterId) as unknown as ProbeActor;
    expect(await probe.getHeap()).toEqual(expect.any(String));

    const { events } = await w.wallet.wallet_events({ start: 0n, length: 100n });
    const calls = events.flatMap((e) => ('CanisterCalled' in e.kind ? [e.kind.CanisterCalled] : []));
    expect(calls.map((c) => [c.canister.toText(), c.method_name, c.cycles])).toEqual([
        ['aaaaa-aa', 'create_canister', 2n * T],
        ['aaaaa-aa', 'install_code', 0n],
        ['aaaaa-aa', 'canister_status', 0n]
    ]);
});

it('a rejected call is CallFailed with the reject, and the attached cycles come back', async () => {
    const stranger = await ic.createCanister(); // the wallet is not its controller
    const before = await balance();
    const result = await proxy({
        canister_id: MANAGEMENT,
        method: 'update_settings',
        args: encoder(management.update_settings.args)([
            { canister_id: stranger, settings: settingsArg({ freezingThreshold: 1n }), sender_canister_version: [] }
        ]),
        cycles: T
    });
    expect(result).toEqual({
        Err: { CallFailed: { reason: expect.stringMatching(/Only controllers of canister .* refunded\)$/) } }
    });
    // what it cost is the messages' execution, not the trillion attached
    expect(before - (await balance())).toBeLessThan(T / 100n);
});

it('a custodian over its cycle limit gets CallFailed naming the limit, and nothing is sent', async () => {
    await w.wallet.authorize_with_limits({
        custodian: custodian.getPrincipal(),
        limits: { cycles_per_window: [T], window_seconds: 3_600n, canisters: [], methods: [], expires_at: [] }
    });
    const canistersBefore = localOnly(ic)?.canisterIds().length;
    w.wallet.setIdentity(custodian);
    try {
        const result = await proxy({ canister_id: MANAGEMENT, method: 'create_canister', args: createArgs(), cycles: 2n * T });
        expect(result).toEqual({
            Err: { CallFailed: { reason: expect.stringMatching(/cycles_per_window 1000000000000 per 3600 s/) } }
        });
    } finally {
        w.wallet.setIdentity(owner);
    }
    expect(localOnly(ic)?.canisterIds().length).toBe(canistersBefore);
    expect((await w.wallet.get_custodian_limits())[0]?.window.used).toBe(0n);
});

it('more cycles than the wallet can spend is InsufficientCycles with what it has', async () => {
    const result = await proxy({ canister_id: MANAGEMENT, method: 'create_canister', args: createArgs(), cycles: 1_000n * T });
    expect(result).toEqual({ Err: { InsufficientCycles: { available: expect.any(BigInt), required: 1_000n * T } } });
    if ('Err' in result && 'InsufficientCycles' in result.Err) {
        expect(result.Err.InsufficientCycles.available).toBeLessThan(await balance());
    }
});

it('a canister without a role is UnauthorizedUser; forwarding to the wallet itself is refused', async () => {
    // a second wallet, owned by someone else, asked through the first: the first wallet is its caller
    const other = await deployWallet(ic, identity(33), { cycles: 10n * T });
    const forwarded = codec.proxy([{ canister_id: MANAGEMENT, method: 'create_canister', args: createArgs(), cycles: T }]);
    const [answer] = codec.proxyResult(ok(await proxy({ canister_id: other.canisterId, method: 'proxy', args: forwarded })));
    expect(answer).toEqual({ Err: { UnauthorizedUser: null } });

    expect(
        await proxy({ canister_id: w.canisterId, method: 'wallet_balance128', args: new Uint8Array(IDL.encode([], [])) })
    ).toEqual({
        Err: { CallFailed: { reason: expect.stringMatching(/call forward on self/) } }
    });
});

it('an ingress call from a stranger is dropped before it runs', async () => {
    w.wallet.setIdentity(identity(34));
    try {
        await expect(
            proxy({ canister_id: MANAGEMENT, method: 'raw_rand', args: new Uint8Array(IDL.encode([], [])) })
        ).rejects.toThrow(/IC0406|rejected the message/);
    } finally {
        w.wallet.setIdentity(owner);
    }
});
