/**
 * Issue 21, finding 1, on the compiled token: one holder makes 3,200 approvals that expire together. The old
 * layout kept all of an owner's approvals in one stable value, rewritten on every change, and housekeeping pruned
 * up to 100 expired approvals per transaction, each such a rewrite: after the expiry every transfer and approve
 * trapped at the instruction limit, and the trap undid the pruning, so it never progressed. Now each approval is
 * its own entry, and the ordered index changes one node per approval: approving, pruning and transferring cost
 * the same at 3,200 approvals as at a handful.
 */
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { encodeLedgerArg, ledgerInit } from '../../src/canisters/token/deploy';
import { APPROVE_PRUNE_LIMIT } from '../../src/canisters/token/ledger';
import { tokenService } from '../../src/canisters/token/service';
import type { ActorOf } from '../../src/candid';
import type { Account } from '../../src/icrc/interface';
import { createIc, localOnly, type TestIc } from '../support/ic';

type TokenActor = ActorOf<typeof tokenService.methods> & { setIdentity(identity: Ed25519KeyIdentity): void };

const APPROVALS = 3_200;
const FEE = 10_000n;
const holder = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(51));
const minter = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(52));
const holderAccount: Account = { owner: holder.getPrincipal(), subaccount: [] };
const spenderNo = (i: number): Account => ({
    owner: Principal.fromUint8Array(Uint8Array.of(0x5c, i >> 8, i & 0xff)),
    subaccount: []
});
const toAccount: Account = { owner: Principal.fromUint8Array(Uint8Array.of(0x5d)), subaccount: [] };

let ic: TestIc;
let canisterId: Principal;
let actor: TokenActor;

beforeAll(async () => {
    const wasm = await wasmOf('token');
    ic = await createIc();
    const arg = encodeLedgerArg(
        ledgerInit({
            mintingAccount: { owner: minter.getPrincipal(), subaccount: [] },
            transferFee: FEE,
            initialBalances: [[holderAccount, 10n ** 15n]],
            archiveController: minter.getPrincipal()
        })
    );
    ({ canisterId } = await ic.setupCanister({ idlFactory: tokenService.idlFactory as never, wasm, arg }));
    actor = ic.createActor(tokenService.idlFactory as never, canisterId) as unknown as TokenActor;
    actor.setIdentity(holder);
}, 120_000);

afterAll(async () => ic.tearDown());

const approve = (i: number, expiresAt: bigint) =>
    actor.icrc2_approve({
        from_subaccount: [],
        spender: spenderNo(i),
        amount: 1_000n,
        fee: [],
        memo: [],
        created_at_time: [],
        expected_allowance: [],
        expires_at: [expiresAt]
    });

const transfer = () =>
    actor.icrc1_transfer({ from_subaccount: [], to: toAccount, amount: 1n, fee: [], memo: [], created_at_time: [] });

it('3,200 approvals with one expiry leave transfers and approvals working, at bounded instructions', async () => {
    const local = localOnly(ic);
    const now = BigInt(Math.round(await ic.getTime())) * 1_000_000n;
    const expiresAt = now + 3_600n * 1_000_000_000n;
    const costs: bigint[] = [];
    for (let i = 0; i < APPROVALS; i++) {
        const result = await approve(i, expiresAt);
        if (!('Ok' in result)) throw new Error(`approve ${i} failed`);
        if (local !== undefined) costs.push(local.lastInstructions(canisterId));
    }
    const listed = await actor.icrc103_get_allowances({
        from_account: [holderAccount],
        prev_spender: [spenderNo(3_000)],
        take: [5n]
    });
    expect(listed).toEqual({
        Ok: [3_001, 3_002, 3_003, 3_004, 3_005].map((i) => expect.objectContaining({ to_spender: spenderNo(i) }))
    });

    await ic.advanceTime(2 * 3_600 * 1_000);
    const pruning: bigint[] = [];
    // Each transaction prunes at most APPROVE_PRUNE_LIMIT; the first 32 after the expiry prune them all.
    for (let round = 0; round < APPROVALS / APPROVE_PRUNE_LIMIT; round++) {
        expect(await transfer()).toHaveProperty('Ok');
        if (local !== undefined) pruning.push(local.lastInstructions(canisterId));
        await ic.advanceTime(1_000);
    }
    expect(await transfer()).toHaveProperty('Ok');
    const plain = local?.lastInstructions(canisterId);
    expect(await approve(0, BigInt(Math.round(await ic.getTime())) * 1_000_000n + 10n ** 12n)).toHaveProperty('Ok');
    expect(await actor.icrc103_get_allowances({ from_account: [holderAccount], prev_spender: [], take: [] })).toEqual({
        Ok: [expect.objectContaining({ to_spender: spenderNo(0) })]
    });
    if (local === undefined || plain === undefined) return;
    const [first, last] = [costs[10] as bigint, costs[APPROVALS - 1] as bigint];
    const worstPrune = pruning.reduce((a, b) => (a > b ? a : b));
    console.info(
        `approve at 10 approvals: ${first} instructions, at 3,200: ${last}; a transfer pruning ${APPROVE_PRUNE_LIMIT}: ${worstPrune} at most; a plain transfer: ${plain}`
    );
    // The old layout rewrote every approval of the owner on each approve, and a pruning transfer ran past the 40B limit.
    expect(last).toBeLessThan(first * 2n);
    expect(worstPrune).toBeLessThan(1_000_000_000n);
}, 900_000);
