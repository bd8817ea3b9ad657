/**
 * The local IC counts instructions as the replica does. Calibrated on the figure Azle publishes for its own
 * example: `examples/stable/demo/hello_world`, `setMessage('Goodbye world!')` (the call its test makes first),
 * 1,395,312 instructions on Azle 0.33.0 (`benchmarks.md` at azle's main, labelled 0.33.0).
 */
import { IDL } from '@dfinity/candid';

import { LocalIc } from '../../src/replica';
import { wasmOf } from '../../scripts/lib/build';

const AZLE_PUBLISHED_SET_MESSAGE = 1_395_312n;
/** The local IC must count within 1.5 % of the replica (it reads −0.03 % here). */
const TOLERANCE = 0.015;

const helloWorldIdl = ({ IDL: I }: { IDL: typeof IDL }) =>
    I.Service({ getMessage: I.Func([], [I.Text], ['query']), setMessage: I.Func([I.Text], [], []) });

it(`counts setMessage within ±${TOLERANCE * 100}% of Azle's published ${AZLE_PUBLISHED_SET_MESSAGE} instructions`, async () => {
    const ic = await LocalIc.create();
    const { actor, canisterId } = await ic.setupCanister<{ setMessage(m: string): Promise<void>; getMessage(): Promise<string> }>(
        {
            idlFactory: helloWorldIdl,
            wasm: await wasmOf('hello_world', 'fixtures', 'azle'),
            arg: new Uint8Array(IDL.encode([], []))
        }
    );
    await ic.tick(2);
    await actor.setMessage('Goodbye world!');
    const counted = ic.lastInstructions(canisterId);
    console.info(`setMessage: ${counted} instructions counted, ${AZLE_PUBLISHED_SET_MESSAGE} published`);
    const deviation = Math.abs(Number(counted - AZLE_PUBLISHED_SET_MESSAGE)) / Number(AZLE_PUBLISHED_SET_MESSAGE);
    expect(deviation).toBeLessThanOrEqual(TOLERANCE);
    expect(await actor.getMessage()).toBe('Goodbye world!');
}, 120_000);
