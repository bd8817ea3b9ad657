/**
 * The figures the token's storage design rests on: in Azle, a stable map with binary keys and values is far
 * cheaper than one with Azle's default JSON serialisation.
 */
import { wasmOf } from '../scripts/lib/build';
import { benchAzleCosts, TRANSFER_AUTOMATIC, TRANSFER_SERVED } from '../scripts/azle-costs';

const figures = async () =>
    new Map((await benchAzleCosts(await wasmOf('azle_costs', 'fixtures'))).map((f) => [f.figure, f.instructions]));

it("makes binary stable-map access cheaper than Azle's default JSON, for inserts and for gets", async () => {
    const measured = await figures();
    const cost = (figure: string) => {
        const instructions = measured.get(figure);
        if (instructions === undefined) throw new Error(`no figure "${figure}"`);
        return instructions;
    };
    expect(cost('StableBTreeMap insert, binary key and value') * 5n).toBeLessThan(
        cost("StableBTreeMap insert, Azle's default JSON")
    );
    expect(cost('StableBTreeMap get, binary key and value') * 5n).toBeLessThan(cost("StableBTreeMap get, Azle's default JSON"));
}, 120_000);

it("serves a method's Candid for a fraction of Azle's automatic path", async () => {
    const measured = await figures();
    const automatic = measured.get(TRANSFER_AUTOMATIC);
    const served = measured.get(TRANSFER_SERVED);
    if (automatic === undefined || served === undefined) throw new Error('the transfer figures are missing');
    expect(served * 5n).toBeLessThan(automatic);
}, 120_000);
