/**
 * What the examples share: finding the network and the suite's canisters, loading an identity, and making an
 * @dfinity/agent actor from a service of the suite. Against the local network (`npm start -- --serve`) the
 * root key comes from the file the network wrote, never from the network itself (an agent that fetches its
 * root key trusts whoever answers); against mainnet (`--network ic`) the agent uses the IC's own root key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';

import { Actor, HttpAgent, type Identity } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Secp256k1KeyIdentity } from '@dfinity/identity-secp256k1';
import { Principal } from '@dfinity/principal';

import { LOCAL_NETWORK_FILE, type LocalNetworkFile } from '../../src/network';
import type { ActorOf, Methods, Service } from '../../src/candid/service';
import { ToolError, tokenUnitsOf, type TokenUnits, UsageError } from '../../scripts/lib/cli';
import type { registryService } from '../../src/canisters/registry/service';
import { tokenService } from '../../src/canisters/token/service';

export const MAINNET_HOST = 'https://icp-api.io';

/** Where the examples send their calls. */
export type Target = {
    readonly network: 'local' | 'ic';
    readonly host: string;
    readonly rootKey: Uint8Array | undefined;
    /** Canister ids by name: the local network's file, or dfx's `canister_ids.json` for mainnet. */
    readonly canisters: Readonly<Record<string, string>>;
};

/** The target for `--network local` (the default) or `--network ic`, from files under `root`. */
export function targetOf(network: string, root = process.cwd()): Target {
    if (network === 'ic') {
        const ids = join(root, 'canister_ids.json');
        const byName = existsSync(ids) ? (JSON.parse(readFileSync(ids, 'utf8')) as Record<string, { ic?: string }>) : {};
        const canisters = Object.fromEntries(Object.entries(byName).flatMap(([name, id]) => (id.ic ? [[name, id.ic]] : [])));
        return { network: 'ic', host: MAINNET_HOST, rootKey: undefined, canisters };
    }
    if (network !== 'local') throw new UsageError(`--network is local or ic, not ${network}`);
    const file = join(root, LOCAL_NETWORK_FILE);
    if (!existsSync(file)) throw new ToolError(`no local network: run \`npm start -- --serve\` first (${LOCAL_NETWORK_FILE})`);
    const { url, rootKey, canisters } = JSON.parse(readFileSync(file, 'utf8')) as LocalNetworkFile;
    return { network: 'local', host: url, rootKey: Uint8Array.from(Buffer.from(rootKey, 'hex')), canisters };
}

/** A canister of the suite by name, or the id given on the command line. */
export function canisterOf(target: Target, name: string, override?: string): Principal {
    const text = override ?? target.canisters[name];
    if (text === undefined) throw new UsageError(`no ${name} canister on ${target.network}: pass --${name} <canister id>`);
    return Principal.fromText(text);
}

/** An actor for one of the suite's services, calling as `identity`; replies are verified (queries signed, calls certified). */
export async function actorOf<M extends Methods>(
    target: Target,
    service: Service<M>,
    canisterId: Principal,
    identity: Identity
): Promise<ActorOf<M>> {
    const agent = await agentOf(target, identity);
    return Actor.createActor(service.idlFactory as never, { agent, canisterId }) as unknown as ActorOf<M>;
}

/**
 * An agent for the target, calling as `identity`. For the local network it first asks whether the network
 * answers: the file outlives a network stopped with Ctrl-C, and an agent would only fail later with a
 * transport error.
 */
export async function agentOf(target: Target, identity: Identity): Promise<HttpAgent> {
    if (target.network === 'local') await expectRunning(target.host);
    return HttpAgent.create({ host: target.host, identity, rootKey: target.rootKey, verifyQuerySignatures: true });
}

/** Refused connections mean nothing listens any more; a reset one (a reused keep-alive socket) is tried again. */
async function expectRunning(host: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
        try {
            await fetch(new URL('/api/v2/status', host), { signal: AbortSignal.timeout(10_000) });
            return;
        } catch (error) {
            const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
            if (cause !== 'ECONNREFUSED' && attempt < 3) continue;
            throw new ToolError(
                `the local network of ${LOCAL_NETWORK_FILE} (${host}) does not answer (${cause}): it has stopped; run \`npm start -- --serve\` first`
            );
        }
    }
}

/**
 * An identity from a PEM file as `dfx identity export` writes it: Ed25519 (PKCS#8 `PRIVATE KEY`) or
 * secp256k1 (`EC PRIVATE KEY`).
 */
export function identityFromPem(path: string): Identity {
    if (!existsSync(path)) throw new UsageError(`--pem ${path}: no such file`);
    const pem = readFileSync(path, 'utf8');
    if (pem.includes('EC PRIVATE KEY')) return Secp256k1KeyIdentity.fromPem(pem);
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    if (jwk.crv !== 'Ed25519' || jwk.d === undefined)
        throw new UsageError(`${path} holds neither an Ed25519 nor a secp256k1 key`);
    return Ed25519KeyIdentity.fromSecretKey(Uint8Array.from(Buffer.from(jwk.d, 'base64url')));
}

/**
 * The token the registry pays rewards in (or the one `override` names), and how it writes amounts (its ICRC-1
 * metadata); raw units when there is none.
 */
export async function rewardToken(
    target: Target,
    registry: ActorOf<typeof registryService.methods>,
    identity: Identity,
    override?: Principal
): Promise<{ token: ActorOf<typeof tokenService.methods> | undefined; units: TokenUnits }> {
    const [paying] = override === undefined ? (await registry.get_config()).token : [override];
    const tokenId = paying ?? (target.canisters.token === undefined ? undefined : Principal.fromText(target.canisters.token));
    if (tokenId === undefined) return { token: undefined, units: tokenUnitsOf([]) };
    const token = await actorOf(target, tokenService, tokenId, identity);
    return { token, units: tokenUnitsOf(await token.icrc1_metadata()) };
}
