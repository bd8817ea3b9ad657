/**
 * Deploying the registry with its token, for the registry's tests: the registry is created first so the token
 * can name it as its minting account (rewards are minted), then both are installed. Devices are simulated
 * with real keys on every curve (`DeviceSigner`).
 */
import { IDL } from '@dfinity/candid';
import type { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';
import { ed25519 } from '@noble/curves/ed25519';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';

import { wasmOf } from '../../scripts/lib/build';
import { seededIdentity } from '../../scripts/lib/identities';
import { registryService } from '../../src/canisters/registry/service';
import { ledgerInit } from '../../src/canisters/token/deploy';
import { tokenService } from '../../src/canisters/token/service';
import type { ActorOf } from '../../src/candid';
import type { CurveName } from '../../src/ic/keys';
import { DeviceSigner } from '../../src/canisters/registry/device-signer';
import type { DeviceKey, EpochSettings, RewardSettings } from '../../src/canisters/registry/types';
import type { TestIc } from '../support/ic';

type Settable = { setIdentity(identity: Ed25519KeyIdentity): void; setPrincipal(principal: Principal): void };
export type RegistryActor = ActorOf<typeof registryService.methods> & Settable;
export type TokenActor = ActorOf<typeof tokenService.methods> & Settable;

export const T = 1_000_000_000_000n;
export const SECOND = 1_000_000_000n;
export const CURVES: CurveName[] = ['Ed25519', 'Secp256k1', 'P256'];
export const identity = seededIdentity;

/** 10-minute intervals, 6 to an epoch (an hour), 50% uptime to earn. */
export const EPOCHS: EpochSettings = { heartbeat_interval_seconds: 600n, epoch_seconds: 3_600n, min_uptime_percent: 50 };
export const REWARDS: RewardSettings = { reward_per_heartbeat: 1_000n, epoch_cap: 1_000_000_000n };

export type Suite = {
    registryId: Principal;
    tokenId: Principal;
    registry: RegistryActor;
    token: TokenActor;
    controller: Ed25519KeyIdentity;
};

export async function deployRegistry(
    ic: TestIc,
    controller: Ed25519KeyIdentity,
    options: { epochs?: EpochSettings; rewards?: RewardSettings } = {}
): Promise<Suite> {
    const sender = controller.getPrincipal();
    const registryId = await ic.createCanister({ sender, cycles: 100n * T });
    const tokenId = await ic.createCanister({ sender, cycles: 100n * T });
    const tokenArg = tokenService.encodeInit(IDL, [
        ledgerInit({
            mintingAccount: { owner: registryId, subaccount: [] },
            transferFee: 10n,
            initialBalances: [],
            archiveController: sender
        })
    ]);
    await ic.installCode({ canisterId: tokenId, wasm: await wasmOf('token'), arg: tokenArg, sender });
    const arg = registryService.encodeInit(IDL, [
        { token: [tokenId], epochs: options.epochs ?? EPOCHS, rewards: options.rewards ?? REWARDS }
    ]);
    await ic.installCode({ canisterId: registryId, wasm: await wasmOf('registry'), arg, sender });
    await ic.tick(5); // Azle's randomness seed and the curve tables, each in a timer set at init
    const registry = ic.createActor(registryService.idlFactory as never, registryId) as unknown as RegistryActor;
    const token = ic.createActor(tokenService.idlFactory as never, tokenId) as unknown as TokenActor;
    registry.setIdentity(controller);
    return { registryId, tokenId, registry, token, controller };
}

const SECRETS: Record<CurveName, () => Uint8Array> = {
    Ed25519: () => ed25519.utils.randomPrivateKey(),
    Secp256k1: () => secp256k1.utils.randomPrivateKey(),
    P256: () => p256.utils.randomPrivateKey()
};

/** The Ed25519 key of an identity, as a manufacturer's issuing key (the manufacturer calls as that identity). */
export function issuingKey(who: Ed25519KeyIdentity): DeviceKey {
    return { curve: { Ed25519: null }, public_key: Uint8Array.from(who.getPublicKey().rawKey as Uint8Array) };
}

/** A device with a fresh key on `curve`, for `registry`. */
export function newDevice(curve: CurveName, registry: Principal): DeviceSigner {
    return new DeviceSigner(curve, SECRETS[curve](), registry);
}

/** The IC's time in nanoseconds, plus `seconds`. */
export async function nowPlus(ic: TestIc, seconds: bigint): Promise<bigint> {
    return BigInt(await ic.getTime()) * 1_000_000n + seconds * SECOND;
}
