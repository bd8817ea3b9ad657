/**
 * The IC's HTTP interface over the local IC: @dfinity/agent's HttpAgent and Actor, unchanged and with every
 * verification on (query signatures, certificates), call the suite's canisters as they would on mainnet; a
 * request signed by the wrong key, expired, replayed or read by another sender is refused as the replica
 * refuses it.
 */
import {
    Actor,
    CanisterStatus,
    Certificate,
    HttpAgent,
    IC_REQUEST_DOMAIN_SEPARATOR,
    lookupResultToBuffer,
    polling,
    requestIdOf,
    type SignIdentity
} from '@dfinity/agent';
import { encodeWithSelfDescribedTag } from '@dfinity/cbor';
import { IDL } from '@dfinity/candid';
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@dfinity/identity';
import { Secp256k1KeyIdentity } from '@dfinity/identity-secp256k1';
import type { Principal } from '@dfinity/principal';

import { counterService } from '../../examples/counter/service';
import { wasmOf } from '../../scripts/lib/build';
import { registryService } from '../../src/canisters/registry/service';
import { tokenService } from '../../src/canisters/token/service';
import { walletService } from '../../src/canisters/wallet/service';
import { LocalNetwork } from '../../src/network';
import { LocalIc } from '../../src/replica';
import { deployRegistry, identity, issuingKey, newDevice, nowPlus, type Suite } from '../registry/setup';
import { deployWallet, type DeployedWallet } from '../wallet/setup';

type CounterActor = {
    get(): Promise<bigint>;
    increment(arg: { by: bigint; memo: [] | [Uint8Array] }): Promise<{ Ok: bigint } | { Err: unknown }>;
    last_increment(): Promise<[] | [{ caller: Principal; by: bigint }]>;
};

const controller = identity(71);
let ic: LocalIc;
let network: LocalNetwork;
let counterId: Principal;
let suite: Suite;
let wallet: DeployedWallet;

beforeAll(async () => {
    ic = await LocalIc.create();
    const arg = counterService.encodeInit(IDL, [{ max_step: 100n }]);
    ({ canisterId: counterId } = await ic.setupCanister({
        idlFactory: counterService.idlFactory as never,
        wasm: await wasmOf('counter'),
        arg
    }));
    suite = await deployRegistry(ic as never, controller);
    wallet = await deployWallet(ic as never, controller);
    network = await LocalNetwork.start(ic, { port: 0, live: true });
});

afterAll(async () => {
    await network.stop();
    await ic.tearDown();
});

async function agentFor(who: SignIdentity, options: { retryTimes?: number } = {}): Promise<HttpAgent> {
    return HttpAgent.create({
        host: network.url,
        identity: who,
        shouldFetchRootKey: true,
        verifyQuerySignatures: true,
        ...options
    });
}

async function counterAs(who: SignIdentity, options: { retryTimes?: number } = {}): Promise<CounterActor> {
    return Actor.createActor(counterService.idlFactory as never, { agent: await agentFor(who, options), canisterId: counterId });
}

describe('HttpAgent against the local network', () => {
    it('serves the root key on /api/v2/status, the one certificates verify with', async () => {
        const agent = await agentFor(Ed25519KeyIdentity.generate());
        expect(agent.rootKey).toEqual(await ic.getRootKey());
    });

    const identities: [string, () => Promise<SignIdentity>][] = [
        ['Ed25519', async () => Ed25519KeyIdentity.generate()],
        ['secp256k1', async () => Secp256k1KeyIdentity.generate()],
        ['P-256 (WebCrypto)', async () => ECDSAKeyIdentity.generate()],
        [
            'a delegation chain (session key signed by an Ed25519 identity)',
            async () => {
                const root = Ed25519KeyIdentity.generate();
                const session = Ed25519KeyIdentity.generate();
                const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 600_000));
                return DelegationIdentity.fromDelegation(session, chain);
            }
        ]
    ];
    it.each(identities)('calls and queries as %s: the canister sees the identity principal', async (_, make) => {
        const who = await make();
        const counter = await counterAs(who);
        const before = await counter.get();
        expect(await counter.increment({ by: 2n, memo: [] })).toEqual({ Ok: before + 2n });
        expect(await counter.get()).toBe(before + 2n);
        const [last] = await counter.last_increment();
        expect(last?.caller.toText()).toBe(who.getPrincipal().toText());
    });

    it('verifies read_state certificates: module hash, controllers and time of a canister', async () => {
        const agent = await agentFor(Ed25519KeyIdentity.generate());
        const status = await CanisterStatus.request({
            canisterId: suite.tokenId,
            agent,
            paths: ['module_hash', 'controllers', 'time']
        });
        const status2 = await ic.canisterStatus({ canisterId: suite.tokenId, sender: controller.getPrincipal() });
        expect(status.get('module_hash')).toBe(Buffer.from(status2.moduleHash as Uint8Array).toString('hex'));
        expect((status.get('controllers') as Principal[]).map((p) => p.toText())).toEqual([controller.getPrincipal().toText()]);
        expect((status.get('time') as Date).getTime()).toBeCloseTo(await ic.getTime(), -3);
    });

    it('the token: a transfer by update and balances by query, as any ICRC client makes them', async () => {
        const minter = suite.registryId; // the registry is the token's minting account
        const holder = Ed25519KeyIdentity.generate();
        const minting = ic.createActor(tokenService.idlFactory as never, suite.tokenId) as unknown as {
            icrc1_transfer(a: unknown): Promise<{ Ok: bigint } | { Err: unknown }>;
            setPrincipal(p: Principal): void;
        };
        minting.setPrincipal(minter);
        const transfer = (to: Principal, amount: bigint) => ({
            to: { owner: to, subaccount: [] },
            amount,
            fee: [],
            memo: [],
            from_subaccount: [],
            created_at_time: []
        });
        expect(await minting.icrc1_transfer(transfer(holder.getPrincipal(), 1_000n))).toEqual({ Ok: expect.any(BigInt) });
        const token = Actor.createActor(tokenService.idlFactory as never, {
            agent: await agentFor(holder),
            canisterId: suite.tokenId
        }) as unknown as {
            icrc1_balance_of(a: { owner: Principal; subaccount: [] }): Promise<bigint>;
            icrc1_transfer(a: unknown): Promise<{ Ok: bigint } | { Err: unknown }>;
        };
        const other = Ed25519KeyIdentity.generate().getPrincipal();
        const sent = await token.icrc1_transfer(transfer(other, 100n));
        expect(sent).toEqual({ Ok: expect.any(BigInt) });
        expect(await token.icrc1_balance_of({ owner: holder.getPrincipal(), subaccount: [] })).toBe(890n);
        expect(await token.icrc1_balance_of({ owner: other, subaccount: [] })).toBe(100n);
    });

    it('the wallet: a custodian reads its balance; a method refused in inspect_message is rejected uncertified', async () => {
        const agent = await agentFor(controller);
        const actor = Actor.createActor(walletService.idlFactory as never, {
            agent,
            canisterId: wallet.canisterId
        }) as unknown as {
            wallet_balance128(): Promise<{ amount: bigint }>;
            report_usage(r: unknown): Promise<unknown>;
        };
        const before = await ic.getCyclesBalance(wallet.canisterId);
        const answered = (await actor.wallet_balance128()).amount;
        const after = await ic.getCyclesBalance(wallet.canisterId);
        // the network runs on the wall clock: storage is charged between the readings, a query costs nothing
        expect(answered <= before && answered >= after).toBe(true);
        await expect(actor.report_usage({ policy_version: 0n, balance: 0n, since: 0n, until: 0n, entries: [] })).rejects.toThrow(
            /IC0406|rejected the message/
        );
    });

    it('the registry: a device calls as itself with its own key, on each curve', async () => {
        const maker = identity(72);
        await suite.registry.add_manufacturer({ name: 'maker', issuing_key: issuingKey(maker), quota: 10n });
        suite.registry.setIdentity(maker);
        const expires = await nowPlus(ic as never, 3_600n);
        for (const curve of ['Ed25519', 'Secp256k1', 'P256'] as const) {
            const device = newDevice(curve, suite.registryId);
            expect(await suite.registry.register_device(device.registration(maker.getPrincipal(), expires))).toEqual({
                Ok: expect.anything()
            });
            const registry = Actor.createActor(registryService.idlFactory as never, {
                agent: await agentFor(device.identity()),
                canisterId: suite.registryId
            }) as unknown as { heartbeat(a: { location: [] }): Promise<{ Ok: unknown } | { Err: unknown }> };
            expect(await registry.heartbeat({ location: [] })).toEqual({ Ok: expect.anything() });
        }
        suite.registry.setIdentity(controller);
    });
});

describe('query methods called as updates', () => {
    /** The interface with `names` declared as update methods: an Actor then calls them with update calls. */
    const asUpdates =
        (factory: IDL.InterfaceFactory, names: readonly string[]): IDL.InterfaceFactory =>
        ({ IDL: idl }) => {
            const fields = factory({ IDL: idl })._fields.map(([name, func]) => {
                const changed = names.includes(name) ? idl.Func(func.argTypes, func.retTypes, []) : func;
                return [name, changed] as const;
            });
            return idl.Service(Object.fromEntries(fields));
        };

    it('an Actor calls the counter’s get and the registry’s get_device by update (v3), answered certified', async () => {
        const agent = await agentFor(Ed25519KeyIdentity.generate());
        const byQuery = await (await counterAs(Ed25519KeyIdentity.generate())).get();
        const counter = Actor.createActor(asUpdates(counterService.idlFactory as never, ['get']), {
            agent,
            canisterId: counterId
        }) as unknown as CounterActor;
        expect(await counter.get()).toBe(byQuery);
        const registry = Actor.createActor(asUpdates(registryService.idlFactory as never, ['get_device']), {
            agent,
            canisterId: suite.registryId
        }) as unknown as { get_device(ref: { Id: Principal }): Promise<[] | [unknown]> };
        expect(await registry.get_device({ Id: Ed25519KeyIdentity.generate().getPrincipal() })).toEqual([]);
    });

    it('the v2 call endpoint takes an update call to a query method; its reply is read from request_status', async () => {
        const agent = await agentFor(Ed25519KeyIdentity.generate());
        const byQuery = await (await counterAs(Ed25519KeyIdentity.generate())).get();
        const { requestId, response } = await agent.call(counterId, {
            methodName: 'get',
            arg: new Uint8Array(IDL.encode([], [])),
            effectiveCanisterId: counterId,
            callSync: false
        });
        expect(response.status).toBe(202);
        const { reply } = await polling.pollForResponse(agent, counterId, requestId);
        expect(IDL.decode([IDL.Nat], reply)).toEqual([byQuery]);
    });
});

describe('requests the network refuses', () => {
    /** A call envelope for the counter's `increment`, signed by `signer` (the sender's own key unless told). */
    async function signedCall(
        sender: SignIdentity,
        options: { signer?: SignIdentity; expiryNs?: bigint; claimedSender?: Principal } = {}
    ) {
        const content = {
            request_type: 'call',
            canister_id: counterId.toUint8Array(),
            method_name: 'increment',
            arg: new Uint8Array(
                IDL.encode([IDL.Record({ by: IDL.Nat64, memo: IDL.Opt(IDL.Vec(IDL.Nat8)) })], [{ by: 1n, memo: [] }])
            ),
            sender: (options.claimedSender ?? sender.getPrincipal()).toUint8Array(),
            ingress_expiry: options.expiryNs ?? BigInt(await ic.getTime()) * 1_000_000n + 120_000_000_000n,
            nonce: crypto.getRandomValues(new Uint8Array(16))
        };
        const requestId = requestIdOf(content);
        const signer = options.signer ?? sender;
        const sender_sig = await signer.sign(new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestId]));
        const body = encodeWithSelfDescribedTag({ content, sender_pubkey: sender.getPublicKey().toDer(), sender_sig });
        return { body, requestId, sender };
    }
    const post = (version: 'v2' | 'v3', body: Uint8Array) =>
        fetch(`${network.url}/api/${version}/canister/${counterId.toText()}/call`, {
            method: 'POST',
            headers: { 'content-type': 'application/cbor' },
            body: Buffer.from(body)
        });

    it('a request signed by a key that is not the sender’s, and a sender that is not the key’s principal', async () => {
        const wrongSigner = await post(
            'v3',
            (await signedCall(Ed25519KeyIdentity.generate(), { signer: Ed25519KeyIdentity.generate() })).body
        );
        expect(wrongSigner.status).toBe(400);
        expect(await wrongSigner.text()).toMatch(/signature of request 0x[0-9a-f]+ is not valid/);
        const victim = Ed25519KeyIdentity.generate().getPrincipal();
        const impostor = await post('v3', (await signedCall(Ed25519KeyIdentity.generate(), { claimedSender: victim })).body);
        expect(impostor.status).toBe(400);
        expect(await impostor.text()).toMatch(/is not the principal of the key that signed the request/);
    });

    it('an expired request, and one that expires too far ahead', async () => {
        const now = BigInt(await ic.getTime()) * 1_000_000n;
        for (const expiryNs of [now - 1_000_000_000n, now + 3_600_000_000_000n]) {
            const response = await post('v3', (await signedCall(Ed25519KeyIdentity.generate(), { expiryNs })).body);
            expect(response.status).toBe(400);
            expect(await response.text()).toMatch(/^Invalid request expiry: /);
        }
    });

    it('a replayed request runs once', async () => {
        const counter = await counterAs(Ed25519KeyIdentity.generate());
        const { body } = await signedCall(Ed25519KeyIdentity.generate());
        const before = await counter.get();
        expect((await post('v2', body)).status).toBe(202);
        expect((await post('v2', body)).status).toBe(202);
        expect((await post('v3', body)).status).toBe(200);
        expect(await counter.get()).toBe(before + 1n);
    });

    it('the status of a request is readable by its sender only', async () => {
        const sender = Ed25519KeyIdentity.generate();
        const { body, requestId } = await signedCall(sender);
        const reply = await post('v3', body);
        expect(reply.status).toBe(200);
        const paths = [[new TextEncoder().encode('request_status'), requestId]];
        const ownAgent = await agentFor(sender);
        const own = await ownAgent.readState(counterId, { paths });
        const certificate = await Certificate.create({
            certificate: own.certificate,
            rootKey: ownAgent.rootKey as Uint8Array,
            canisterId: counterId
        });
        const status = lookupResultToBuffer(certificate.lookup_path([...(paths[0] as Uint8Array[]), 'status']));
        expect(new TextDecoder().decode(status)).toBe('replied');
        const stranger = await agentFor(Ed25519KeyIdentity.generate(), { retryTimes: 0 });
        await expect(stranger.readState(counterId, { paths })).rejects.toThrow(/403|only the sender/);
    });

    it('a delegation that does not name the canister', async () => {
        const root = Ed25519KeyIdentity.generate();
        const session = Ed25519KeyIdentity.generate();
        const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 600_000), {
            targets: [suite.tokenId]
        });
        const counter = await counterAs(DelegationIdentity.fromDelegation(session, chain), { retryTimes: 0 });
        await expect(counter.increment({ by: 1n, memo: [] })).rejects.toThrow(/does not allow calls to/);
    });
});
