/**
 * The figures the token's storage design rests on: in Azle, a stable map with binary keys and values is far
 * cheaper than one with Azle's default JSON serialisation.
 */
import { wasmOf } from '../scripts/lib/build';
import { benchAzleCosts } from '../scripts/azle-costs';

it("makes binary stable-map access cheaper than Azle's default JSON, for inserts and for gets", async () => {
    const figures = new Map(
        (await benchAzleCosts(await wasmOf('azle_costs', 'fixtures'))).map((f) => [f.figure, f.instructions])
    );
    const cost = (figure: string) => {
        const instructions = figures.get(figure);
        if (instructions === undefined) throw new Error(`no figure "${figure}"`);
        return instructions;
    };
    expect(cost('StableBTreeMap insert, binary key and value') * 5n).toBeLessThan(
        cost("StableBTreeMap insert, Azle's default JSON")
    );
    expect(cost('StableBTreeMap get, binary key and value') * 5n).toBeLessThan(cost("StableBTreeMap get, Azle's default JSON"));
}, 120_000);
