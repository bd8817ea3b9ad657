/**
 * Issue 21, finding 7, on the local network: the IC's request rules.
 * - A query ran on the envelope's `canister_id` whatever the URL's canister, and a management call was exempt
 *   from the effective-canister rule, so a key delegated for the counter read the wallet's controllers and
 *   replaced them through the counter's URL. Now the URL's canister must be the request's `canister_id`, or for
 *   a management call the canister its argument names; delegation targets apply to the management canister.
 * - A request's status was readable through any canister's URL; now only through the one it was sent to.
 * - A secp256k1 key DER-encoded with the compressed point under the uncompressed prefix gave one key a second
 *   principal; now only the canonical encoding is a key.
 */
import { Certificate, HttpAgent, lookupResultToBuffer, type SignIdentity } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';
import { secp256k1 } from '@noble/curves/secp256k1';

import { counterService } from '../../examples/counter/service';
import { wasmOf } from '../../scripts/lib/build';
import { LocalNetwork } from '../../src/network';
import { LocalIc } from '../../src/replica';
import { derOf, keyOfDer } from '../../src/ic/keys';
import { deployWallet, type DeployedWallet, identity } from '../wallet/setup';

const controller = identity(61);
let ic: LocalIc;
let network: LocalNetwork;
let counterId: Principal;
let wallet: DeployedWallet;

beforeAll(async () => {
    ic = await LocalIc.create();
    ({ canisterId: counterId } = await ic.setupCanister({
        idlFactory: counterService.idlFactory as never,
        wasm: await wasmOf('counter'),
        arg: counterService.encodeInit(IDL, [{ max_step: 100n }])
    }));
    wallet = await deployWallet(ic as never, controller);
    // The wallet is its own controller too, as a deployed wallet is: the management calls below reach it.
    await ic.updateCanisterSettings({
        canisterId: wallet.canisterId,
        controllers: [controller.getPrincipal(), wallet.canisterId]
    });
    network = await LocalNetwork.start(ic, { port: 0, live: true });
}, 300_000);

afterAll(async () => {
    await network.stop();
    await ic.tearDown();
});

const agentFor = (who: SignIdentity) =>
    HttpAgent.create({ host: network.url, identity: who, shouldFetchRootKey: true, retryTimes: 0 });

/** A session key delegated by the controller for the counter only. */
async function counterOnlySession(): Promise<SignIdentity> {
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(controller, session.getPublicKey(), new Date(Date.now() + 600_000), {
        targets: [counterId]
    });
    return DelegationIdentity.fromDelegation(session, chain);
}

const CanisterIdArg = IDL.Record({ canister_id: IDL.Principal });
const UpdateSettings = IDL.Record({
    canister_id: IDL.Principal,
    settings: IDL.Record({ controllers: IDL.Opt(IDL.Vec(IDL.Principal)) })
});

it('a key delegated for the counter cannot act on the wallet through the counter’s URL', async () => {
    const agent = await agentFor(await counterOnlySession());
    const management = Principal.managementCanister();
    const replace = IDL.encode([UpdateSettings], [{ canister_id: wallet.canisterId, settings: { controllers: [[counterId]] } }]);
    await expect(
        agent.call(management, { methodName: 'update_settings', arg: replace, effectiveCanisterId: counterId })
    ).rejects.toThrow(/effective canister must match|does not allow calls to/);
    // Through the wallet's own URL the delegation's targets refuse it: they do not name the management canister.
    await expect(
        agent.call(management, { methodName: 'update_settings', arg: replace, effectiveCanisterId: wallet.canisterId })
    ).rejects.toThrow(/does not allow calls to/);
    const status = IDL.encode([CanisterIdArg], [{ canister_id: wallet.canisterId }]);
    await expect(
        agent.query(management, { methodName: 'canister_status', arg: status, effectiveCanisterId: counterId })
    ).rejects.toThrow(/effective canister must match|does not allow calls to/);
    expect((await ic.getControllers(wallet.canisterId)).map((p) => p.toText()).sort()).toEqual(
        [controller.getPrincipal().toText(), wallet.canisterId.toText()].sort()
    );
}, 120_000);

it('a query for one canister sent through another’s URL is refused, whoever signs it', async () => {
    const agent = await agentFor(controller);
    await expect(
        agent.query(wallet.canisterId, { methodName: 'wallet_balance', arg: IDL.encode([], []), effectiveCanisterId: counterId })
    ).rejects.toThrow(/the request is for .*, sent to /);
}, 120_000);

it('a request’s status is read through the canister it was sent to, not another’s URL', async () => {
    const sender = Ed25519KeyIdentity.generate();
    const agent = await agentFor(sender);
    const { requestId } = await agent.call(counterId, {
        methodName: 'increment',
        arg: IDL.encode([IDL.Record({ by: IDL.Nat64, memo: IDL.Opt(IDL.Vec(IDL.Nat8)) })], [{ by: 1n, memo: [] }])
    });
    const paths = [[new TextEncoder().encode('request_status'), new Uint8Array(requestId)]];
    const own = await agent.readState(counterId, { paths });
    const certificate = await Certificate.create({
        certificate: own.certificate,
        rootKey: agent.rootKey as Uint8Array,
        canisterId: counterId
    });
    const status = lookupResultToBuffer(certificate.lookup_path([...(paths[0] as Uint8Array[]), 'status']));
    expect(new TextDecoder().decode(status)).toBe('replied');
    await expect(agent.readState(wallet.canisterId, { paths })).rejects.toThrow(/read through the canister it was sent to/);
}, 120_000);

it('only the canonical DER encoding of a key is a key: no second principal for one key', () => {
    const point = secp256k1.getPublicKey(secp256k1.utils.randomPrivateKey(), false);
    const der = derOf('Secp256k1', point);
    expect(keyOfDer(der)?.key).toEqual(point);
    const compressed = secp256k1.ProjectivePoint.fromHex(point).toRawBytes(true);
    const aliased = Uint8Array.from([...der.subarray(0, der.length - 65), ...compressed]);
    expect(keyOfDer(aliased)).toBeUndefined();
});
