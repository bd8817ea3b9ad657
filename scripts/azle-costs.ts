/**
 * What Azle's building blocks cost inside a canister (the `azle_costs` test fixture on the local IC): the
 * floor of an update, stable-map access with binary and with JSON serialisation, plain JS arithmetic, and an
 * ICRC-1 transfer's Candid through Azle's automatic path and through the suite's codec.
 */
import { Principal } from '@dfinity/principal';

import type { TransferArg } from '../src/icrc/interface';
import { azleCostsIdlFactory, type AzleCostsActor } from '../test/fixtures/azle_costs/interface';
import { LocalIc } from '../src/replica';

export const TRANSFER_AUTOMATIC = "an ICRC-1 transfer's Candid in and out, Azle's automatic path (whole message)";
export const TRANSFER_SERVED = "an ICRC-1 transfer's Candid in and out, the suite's codec (whole message)";

export type AzleCostFigures = { figure: string; instructions: bigint }[];

export async function benchAzleCosts(fixtureWasm: string): Promise<AzleCostFigures> {
    const ic = await LocalIc.create();
    const { actor, canisterId } = await ic.setupCanister<AzleCostsActor>({ idlFactory: azleCostsIdlFactory, wasm: fixtureWasm });
    await actor.noop();
    const figures: AzleCostFigures = [
        { figure: 'an update that does nothing (whole message)', instructions: ic.lastInstructions(canisterId) }
    ];
    for (const [figure, instructions] of await actor.costs()) figures.push({ figure, instructions });
    const transfer: TransferArg = {
        from_subaccount: [],
        to: { owner: Principal.fromText('aaaaa-aa'), subaccount: [new Uint8Array(32).fill(3)] },
        amount: 1_000n,
        fee: [],
        memo: [new Uint8Array(32)],
        created_at_time: [1n]
    };
    await actor.transfer_automatic(transfer);
    figures.push({ figure: TRANSFER_AUTOMATIC, instructions: ic.lastInstructions(canisterId) });
    await actor.transfer_served(transfer);
    figures.push({ figure: TRANSFER_SERVED, instructions: ic.lastInstructions(canisterId) });
    await ic.tearDown();
    return figures;
}
