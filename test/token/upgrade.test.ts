/**
 * Upgrade and reinstall of a token holding 10,000 accounts: an upgrade keeps every balance, allowance, block,
 * deduplication entry and the certified tip (all of it lives in stable memory); a reinstall starts the ledger
 * anew from its init argument.
 */
import { lookup_path, lookupResultToBuffer } from '@dfinity/agent';
import { decode as cborDecode } from '@dfinity/cbor';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { encodeLedgerArg, ledgerInit } from '../../src/canisters/token/deploy';
import { tokenService } from '../../src/canisters/token/service';
import type { ActorOf } from '../../src/candid';
import { hashValue } from '../../src/icrc/hash';
import type { Account, ICRC3Value } from '../../src/icrc/interface';
import { allBlocks } from '../support/blocks';
import { createIc, type TestIc } from '../support/ic';

type TokenActor = ActorOf<typeof tokenService.methods> & { setIdentity(identity: Ed25519KeyIdentity): void };

const ACCOUNTS = 10_000;
const APPROVALS = 40;
const FEE = 10_000n;
const holder = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(41));
const minter = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(42));
const holderAccount: Account = { owner: holder.getPrincipal(), subaccount: [] };
/** The i-th account: distinct principals, every tenth one with a subaccount. */
const accountNo = (i: number): Account => ({
    owner: Principal.fromUint8Array(Uint8Array.of(0x5a, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)),
    subaccount: i % 10 === 0 ? [Uint8Array.from({ length: 32 }, (_, k) => (k === 31 ? 1 : 0))] : []
});
const spenderNo = (i: number): Account => ({ owner: Principal.fromUint8Array(Uint8Array.of(0x5b, i)), subaccount: [] });

function initArg(initial: bigint): Uint8Array {
    return encodeLedgerArg(
        ledgerInit({
            mintingAccount: { owner: minter.getPrincipal(), subaccount: [] },
            transferFee: FEE,
            initialBalances: [[holderAccount, initial]],
            archiveController: minter.getPrincipal()
        })
    );
}

let ic: TestIc;
let wasm: string;
let canisterId: Principal;
let actor: TokenActor;

async function balancesOf(accounts: Account[]): Promise<bigint[]> {
    const out: bigint[] = [];
    for (let i = 0; i < accounts.length; i += 1_000) {
        const page = await actor.icrc4_balance_of_batch({ accounts: accounts.slice(i, i + 1_000) });
        out.push(...page.map(([, balance]) => balance));
    }
    return out;
}

const allowances = () => actor.icrc103_get_allowances({ from_account: [holderAccount], prev_spender: [], take: [] });

beforeAll(async () => {
    wasm = await wasmOf('token');
    ic = await createIc();
    ({ canisterId } = await ic.setupCanister({ idlFactory: tokenService.idlFactory as never, wasm, arg: initArg(10n ** 15n) }));
    actor = ic.createActor(tokenService.idlFactory as never, canisterId) as unknown as TokenActor;
    actor.setIdentity(holder);
    for (let first = 0; first < ACCOUNTS; first += 100) {
        const batch = Array.from({ length: 100 }, (_, k) => ({
            from_subaccount: [] as [],
            to: accountNo(first + k),
            amount: BigInt(1_000 + first + k),
            fee: [] as [],
            memo: [] as [],
            created_at_time: [] as []
        }));
        const results = await actor.icrc4_transfer_batch(batch);
        if (!results.every((r) => r[0] !== undefined && 'Ok' in r[0])) throw new Error(`batch at ${first} failed`);
    }
    for (let i = 0; i < APPROVALS; i++) {
        const result = await actor.icrc2_approve({
            from_subaccount: [],
            spender: spenderNo(i),
            amount: BigInt(i + 1) * 1_000n,
            fee: [],
            memo: [],
            created_at_time: [],
            expected_allowance: [],
            expires_at: i % 2 === 0 ? [] : [BigInt(Math.round(await ic.getTime())) * 1_000_000n + 10n ** 15n]
        });
        if (!('Ok' in result)) throw new Error('approve failed');
    }
}, 300_000);

afterAll(async () => ic.tearDown());

it('an upgrade keeps every balance, allowance, block and deduplication entry, and the certified tip', async () => {
    const everyone = [holderAccount, ...Array.from({ length: ACCOUNTS }, (_, i) => accountNo(i))];
    const now = BigInt(Math.round(await ic.getTime())) * 1_000_000n;
    const timed = {
        from_subaccount: [] as [],
        to: accountNo(7),
        amount: 1n,
        fee: [] as [],
        memo: [] as [],
        created_at_time: [now] as [bigint]
    };
    const first = await actor.icrc1_transfer(timed);
    if (!('Ok' in first)) throw new Error('transfer failed');

    const balances = await balancesOf(everyone);
    const supply = await actor.icrc1_total_supply();
    const listed = await allowances();
    const [tip] = await actor.icrc3_get_tip_certificate();
    if (tip === undefined) throw new Error('no tip');
    expect(balances.slice(1).every((b) => b >= 1_000n)).toBe(true);
    expect('Ok' in listed && listed.Ok.length).toBe(APPROVALS);

    await ic.upgradeCanister({ canisterId, wasm, arg: encodeLedgerArg({ Upgrade: [] }) });

    expect(await balancesOf(everyone)).toEqual(balances);
    expect(await actor.icrc1_total_supply()).toBe(supply);
    expect(await allowances()).toEqual(listed);
    const [tipAfter] = await actor.icrc3_get_tip_certificate();
    expect(tipAfter?.hash_tree).toEqual(tip.hash_tree);
    // The certified hash before the upgrade commits to every block: the chain read after it must end there.
    const tree = cborDecode(tip.hash_tree) as Parameters<typeof lookup_path>[1];
    let expected = lookupResultToBuffer(lookup_path(['last_block_hash'], tree));
    const blocks = await allBlocks(actor);
    expect(blocks).toHaveLength(1 + ACCOUNTS + APPROVALS + 1);
    for (let i = blocks.length - 1; i >= 0; i--) {
        const block = blocks[i] as ICRC3Value;
        expect(hashValue(block)).toEqual(expected);
        const phash = 'Map' in block ? block.Map.find(([k]) => k === 'phash')?.[1] : undefined;
        expected = phash !== undefined && 'Blob' in phash ? phash.Blob : undefined;
    }
    expect(await actor.icrc1_transfer(timed)).toEqual({ Err: { Duplicate: { duplicate_of: first.Ok } } });
}, 300_000);

it('a reinstall starts over from the init argument: the old balances, allowances and blocks are gone', async () => {
    await ic.reinstallCode({ canisterId, wasm, arg: initArg(5_000n) });
    expect(await actor.icrc1_balance_of(holderAccount)).toBe(5_000n);
    expect(await balancesOf([accountNo(0), accountNo(9_999)])).toEqual([0n, 0n]);
    expect(await allowances()).toEqual({ Ok: [] });
    expect((await actor.icrc3_get_blocks([])).log_length).toBe(1n);
    expect(await actor.icrc1_total_supply()).toBe(5_000n);
});
