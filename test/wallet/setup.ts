/**
 * Deploying the wallet and what it funds, for the wallet's tests: a wallet whose controller is `owner`, and
 * probe canisters (test fixtures that accept, burn and report cycles) for it to send to and sponsor.
 */
import { IDL } from '@dfinity/candid';
import type { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { seededIdentity } from '../../scripts/lib/identities';
import { walletService } from '../../src/canisters/wallet/service';
import type { ActorOf } from '../../src/candid';
import type { FundingSettings } from '../../src/canisters/wallet/types';
import { type ProbeActor, probeIdlFactory } from '../fixtures/probe/interface';
import { type CyclesWalletActor, cyclesWalletIdl } from '../support/cycles-wallet';
import type { TestIc } from '../support/ic';

export type WalletActor = ActorOf<typeof walletService.methods> & {
    setIdentity(identity: Ed25519KeyIdentity): void;
    setPrincipal(principal: Principal): void;
};
export type LegacyWalletActor = CyclesWalletActor & { setIdentity(identity: Ed25519KeyIdentity): void };

export const T = 1_000_000_000_000n;
export const identity = seededIdentity;

export type DeployedWallet = { canisterId: Principal; wallet: WalletActor; legacy: LegacyWalletActor };

export async function deployWallet(
    ic: TestIc,
    owner: Ed25519KeyIdentity,
    options: { cycles?: bigint; funding?: FundingSettings } = {}
): Promise<DeployedWallet> {
    const wasm = await wasmOf('wallet');
    const arg = walletService.encodeInit(IDL, [
        [{ controllers: [owner.getPrincipal()], funding: options.funding === undefined ? [] : [options.funding] }]
    ]);
    const { canisterId } = await ic.setupCanister({
        idlFactory: walletService.idlFactory as never,
        wasm,
        arg,
        cycles: options.cycles ?? 100n * T
    });
    await ic.tick(2); // Azle seeds its randomness in a timer set at init
    const wallet = ic.createActor(walletService.idlFactory as never, canisterId) as unknown as WalletActor;
    wallet.setIdentity(owner);
    const legacy = ic.createActor(cyclesWalletIdl as never, canisterId) as unknown as LegacyWalletActor;
    legacy.setIdentity(owner);
    return { canisterId, wallet, legacy };
}

/** A probe canister with `cycles`, controlled by `controllers` (the wallet, to read its status). */
export async function deployProbe(
    ic: TestIc,
    cycles: bigint,
    controllers: Principal[]
): Promise<{ canisterId: Principal; probe: ProbeActor }> {
    const wasm = await wasmOf('probe', 'fixtures');
    const { canisterId } = await ic.setupCanister({ idlFactory: probeIdlFactory as never, wasm, cycles });
    await ic.tick(2);
    if (controllers.length > 0) await ic.updateCanisterSettings({ canisterId, controllers });
    return { canisterId, probe: ic.createActor(probeIdlFactory as never, canisterId) as unknown as ProbeActor };
}
