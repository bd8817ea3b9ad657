/**
 * The shared ICRC-3 hashing runs inside an Azle canister and gives the standard's result there too.
 */
import { IDL } from '@dfinity/candid';

import { LocalIc } from '../../src/replica';
import { toIdl } from '../../src/shared/candid';
import { ICRC3Value } from '../../src/shared/icrc/ledger';
import { wasmOf } from '../../scripts/lib/build';
import { ICRC3_TEST_VECTORS } from '../support/icrc3-vectors';

it("hashes the ICRC-3 standard's map vector inside the canister", async () => {
    const ic = await LocalIc.create();
    const { actor, canisterId } = await ic.setupCanister<{ hash(v: unknown): Promise<Uint8Array> }>({
        idlFactory: ({ IDL: I }) => I.Service({ hash: I.Func([toIdl(ICRC3Value, I)], [I.Vec(I.Nat8)], ['query']) }),
        wasm: await wasmOf('icrc_hash', 'fixtures'),
        arg: new Uint8Array(IDL.encode([], []))
    });
    const [, map, expected] = ICRC3_TEST_VECTORS.find(([name]) => name.startsWith('Map')) as (typeof ICRC3_TEST_VECTORS)[number];
    const hash = await actor.hash(map);
    expect(Buffer.from(hash).toString('hex')).toBe(expected);
    console.info(`hashing a 5-entry map in the canister: ${ic.lastInstructions(canisterId)} instructions (whole query)`);
}, 120_000);
