/**
 * The shared ICRC-3 hashing runs inside an Azle canister and gives the standard's result there too; on the
 * suite's runtime the native hash of a value's encoding agrees with the JS hash of the value for every value,
 * and refuses bytes that are not one canonically encoded value.
 */
import { IDL } from '@dfinity/candid';
import fc from 'fast-check';

import { LocalIc } from '../../src/replica';
import { toIdl } from '../../src/candid';
import { valueCodec } from '../../src/candid/wire';
import { hashValue } from '../../src/icrc/hash';
import { ICRC3Value } from '../../src/icrc/interface';
import { wasmOf } from '../../scripts/lib/build';
import { icrc3ValueArb } from '../support/icrc3-arbitrary';
import { ICRC3_TEST_VECTORS } from '../support/icrc3-vectors';

type Hashes = { encoding: Uint8Array; js: Uint8Array; native: [] | [Uint8Array] };
type HashActor = {
    hash(v: ICRC3Value): Promise<Uint8Array>;
    hashes(v: ICRC3Value): Promise<Hashes>;
    native_hash_of_bytes(bytes: Uint8Array): Promise<[] | [Uint8Array]>;
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const codec = valueCodec<ICRC3Value>(ICRC3Value);

let ic: LocalIc;
let actor: HashActor;
let canisterId: Parameters<LocalIc['lastInstructions']>[0];

beforeAll(async () => {
    ic = await LocalIc.create();
    ({ actor, canisterId } = await ic.setupCanister<HashActor>({
        idlFactory: ({ IDL: I }) => {
            const Value = toIdl(ICRC3Value, I);
            const Blob = I.Vec(I.Nat8);
            return I.Service({
                hash: I.Func([Value], [Blob], ['query']),
                hashes: I.Func([Value], [I.Record({ encoding: Blob, js: Blob, native: I.Opt(Blob) })], ['query']),
                native_hash_of_bytes: I.Func([Blob], [I.Opt(Blob)], ['query'])
            });
        },
        wasm: await wasmOf('icrc_hash', 'fixtures'),
        arg: new Uint8Array(IDL.encode([], []))
    }));
}, 120_000);

it("hashes the ICRC-3 standard's map vector inside the canister", async () => {
    const [, map, expected] = ICRC3_TEST_VECTORS.find(([name]) => name.startsWith('Map')) as (typeof ICRC3_TEST_VECTORS)[number];
    expect(hex(await actor.hash(map))).toBe(expected);
    console.info(`hashing a 5-entry map in the canister: ${ic.lastInstructions(canisterId)} instructions (whole query)`);
});

it.each(ICRC3_TEST_VECTORS)('hashes the standard vector %s natively from its encoding', async (_, value, expected) => {
    const { encoding, js, native } = await actor.hashes(value);
    expect(encoding).toEqual(codec.encode(value));
    expect(hex(js)).toBe(expected);
    expect(native.map(hex)).toEqual([expected]);
});

it('the native hash of the encoding equals the JS hash of the value, for any value', async () => {
    await fc.assert(
        fc.asyncProperty(icrc3ValueArb, async (value) => {
            const { encoding, js, native } = await actor.hashes(value);
            expect(encoding).toEqual(codec.encode(value));
            expect(hex(js)).toBe(hex(hashValue(value)));
            expect(native.map(hex)).toEqual([hex(js)]);
        }),
        { numRuns: 60 }
    );
}, 120_000);

it.each([
    ['nothing', ''],
    ['no such variant', '0600'],
    ['a number not in its shortest form', '028000'],
    ['a blob shorter than its length', '03050102'],
    ['text that is not UTF-8', '0402c328'],
    ['bytes after the value', '020100'],
    ['a map entry without its value', '0101016b']
])('refuses %s natively, without a trap', async (_, bytes) => {
    expect(await actor.native_hash_of_bytes(new Uint8Array(Buffer.from(bytes, 'hex')))).toEqual([]);
});
