/**
 * What SHA-256 costs inside a canister: the suite's `sha256` against @noble/hashes' on the same bytes, in the
 * `icrc_hash` test fixture on the local IC, read from the canister's own instruction counter around each call.
 */
import { IDL } from '@dfinity/candid';

import { icrcHashIdlFactory, type IcrcHashActor } from '../../../test/fixtures/icrc_hash/interface';
import { LocalIc } from '../../replica';

export type Sha256Figures = { bytes: number; suite: bigint; noble: bigint }[];

const SIZES = [32, 64, 1024];

export async function benchSha256(fixtureWasm: string): Promise<Sha256Figures> {
    const ic = await LocalIc.create();
    const { actor } = await ic.setupCanister<IcrcHashActor>({
        idlFactory: icrcHashIdlFactory,
        wasm: fixtureWasm,
        arg: new Uint8Array(IDL.encode([], []))
    });
    const figures: Sha256Figures = [];
    for (const bytes of SIZES) {
        const result = await actor.sha256_instructions(Uint8Array.from({ length: bytes }, (_, i) => i & 0xff));
        if (!result.same) throw new Error(`the two SHA-256 disagree on ${bytes} bytes`);
        figures.push({ bytes, suite: result.suite, noble: result.noble });
    }
    await ic.tearDown();
    return figures;
}
