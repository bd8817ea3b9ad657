/**
 * What Azle's building blocks cost inside a canister (the `azle_costs` test fixture on the local IC): the
 * floor of an update, stable-map access with binary and with JSON serialisation, and plain JS arithmetic.
 */
import { azleCostsIdlFactory, type AzleCostsActor } from '../test/fixtures/azle_costs/interface';
import { LocalIc } from '../src/replica';

export type AzleCostFigures = { figure: string; instructions: bigint }[];

export async function benchAzleCosts(fixtureWasm: string): Promise<AzleCostFigures> {
    const ic = await LocalIc.create();
    const { actor, canisterId } = await ic.setupCanister<AzleCostsActor>({ idlFactory: azleCostsIdlFactory, wasm: fixtureWasm });
    await actor.noop();
    const figures: AzleCostFigures = [
        { figure: 'an update that does nothing (whole message)', instructions: ic.lastInstructions(canisterId) }
    ];
    for (const [figure, instructions] of await actor.costs()) figures.push({ figure, instructions });
    await ic.tearDown();
    return figures;
}
