/**
 * Issue 21, finding 2, on the compiled canisters: a message of about a kilobyte whose extra argument is
 * `vec vec record { 100 × null }` with lengths no byte pays for. The old codec skipped it element by element
 * (its zero-sized cap was per vector, not per message): on the token (anonymous ingress) and the registry (a
 * stranger's metered call) one such call cost billions of instructions before any check ran. Now decoding
 * spends at most a constant per byte and refuses the message with a decode error.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { leb128 } from '../../src/ic/leb128';
import { deployRegistry, identity, type Suite } from '../registry/setup';
import { createIc, localOnly, type TestIc } from '../support/ic';

let ic: TestIc;
let suite: Suite;

beforeAll(async () => {
    ic = await createIc();
    suite = await deployRegistry(ic, identity(90));
}, 300_000);

afterAll(async () => ic.tearDown());

const WIDTH = 100;
const Wide = IDL.Record(Object.fromEntries(Array.from({ length: WIDTH }, (_, i) => [`f${i}`, IDL.Null])));
const INNER = 10_000;
const OUTER = 120;

/**
 * The valid arguments `types`/`values`, then the hostile extra argument: encoded with one empty inner vector,
 * then its lengths rewritten (zero-sized elements add no bytes, so only the lengths change).
 */
function hostile(types: IDL.Type[], values: unknown[]): Uint8Array {
    const encoded = new Uint8Array(IDL.encode([...types, IDL.Vec(IDL.Vec(Wide))], [...values, [[]]]));
    const head = encoded.subarray(0, encoded.length - 2); // the extra value was `01 00`: one empty vector
    const lengths = [...leb128(BigInt(OUTER))];
    for (let i = 0; i < OUTER; i++) lengths.push(...leb128(BigInt(INNER)));
    return Uint8Array.from([...head, ...lengths]);
}

async function refusedCost(canisterId: Principal, method: string, arg: Uint8Array, sender: Principal) {
    await expect(ic.updateCall({ canisterId, method, arg, sender })).rejects.toThrow(/takes more than/);
    return localOnly(ic)?.lastInstructions(canisterId);
}

it('an anonymous icrc1_transfer with a hostile extra argument is refused at a bounded cost', async () => {
    const transferArg = IDL.Record({
        from_subaccount: IDL.Opt(IDL.Vec(IDL.Nat8)),
        to: IDL.Record({ owner: IDL.Principal, subaccount: IDL.Opt(IDL.Vec(IDL.Nat8)) }),
        amount: IDL.Nat,
        fee: IDL.Opt(IDL.Nat),
        memo: IDL.Opt(IDL.Vec(IDL.Nat8)),
        created_at_time: IDL.Opt(IDL.Nat64)
    });
    const arg = hostile(
        [transferArg],
        [
            {
                from_subaccount: [],
                to: { owner: Principal.anonymous(), subaccount: [] },
                amount: 1n,
                fee: [],
                memo: [],
                created_at_time: []
            }
        ]
    );
    expect(arg.length).toBeLessThan(1_024); // under the token's inspect_message limit for a transfer
    const instructions = await refusedCost(suite.tokenId, 'icrc1_transfer', arg, Principal.anonymous());
    if (instructions === undefined) return;
    console.info(`a ${arg.length}-byte hostile transfer cost the token ${instructions} instructions`);
    // The old codec: 120 × 10,000 × 100 skipped nulls. Now at most DECODE_STEPS_FLOOR steps of decoding.
    expect(instructions).toBeLessThan(100_000_000n);
}, 300_000);

it('a stranger’s claim_rewards with a hostile extra argument is refused at a bounded cost', async () => {
    // (transfer_device is no longer a stranger's to call: inspect_message refuses it before any decoding.)
    const arg = hostile([IDL.Record({ devices: IDL.Vec(IDL.Principal) })], [{ devices: [identity(91).getPrincipal()] }]);
    const instructions = await refusedCost(suite.registryId, 'claim_rewards', arg, identity(93).getPrincipal());
    if (instructions === undefined) return;
    console.info(`a ${arg.length}-byte hostile claim_rewards cost the registry ${instructions} instructions`);
    expect(instructions).toBeLessThan(100_000_000n);
}, 300_000);
