/**
 * The shared ICRC-3 hashing runs inside an Azle canister and gives the standard's result there too.
 */
import { IDL } from '@dfinity/candid';

import { LocalIc } from '../../src/replica';
import { toIdl } from '../../src/shared/candid';
import { ICRC3Value } from '../../src/shared/icrc/ledger';
import { wasmOf } from '../support/ic';

const blob = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

it("hashes the ICRC-3 standard's map vector inside the canister", async () => {
    const ic = await LocalIc.create();
    const { actor, canisterId } = await ic.setupCanister<{ hash(v: unknown): Promise<Uint8Array> }>({
        idlFactory: ({ IDL: I }) => I.Service({ hash: I.Func([toIdl(ICRC3Value, I)], [I.Vec(I.Nat8)], ['query']) }),
        wasm: await wasmOf('icrc_hash', 'fixtures'),
        arg: new Uint8Array(IDL.encode([], []))
    });
    const map = {
        Map: [
            ['from', { Blob: blob('00abcdef0012340056789a00bcdef000012345678900abcdef01') }],
            ['to', { Blob: blob('00ab0def0012340056789a00bcdef000012345678900abcdef01') }],
            ['amount', { Nat: 42n }],
            ['created_at', { Nat: 1699218263n }],
            ['memo', { Nat: 0n }]
        ]
    };
    const hash = await actor.hash(map);
    expect(Buffer.from(hash).toString('hex')).toBe('c56ece650e1de4269c5bdeff7875949e3e2033f85b2d193c2ff4f7f78bdcfc75');
    console.info(`hashing a 5-entry map in the canister: ${ic.lastInstructions(canisterId)} instructions (whole query)`);
}, 120_000);
