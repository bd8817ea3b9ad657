/**
 * The token canister, called as its users call it, on the test IC (LocalIc here, PocketIc where a binary is).
 * First the 16 tests of the ICRC-1 acceptance suite (dfinity/ICRC-1 `test/suite/lib.rs`), ported with their
 * checks unchanged; then the certified tip, batches, and hostile input.
 */
import { AnonymousIdentity, Certificate, type Identity, lookup_path, lookupResultToBuffer, reconstruct } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { decode as cborDecode } from '@dfinity/cbor';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { encodeLedgerArg, ledgerInit } from '../../src/canisters/token/deploy';
import { tokenService } from '../../src/canisters/token/service';
import { type ActorOf, toIdl } from '../../src/candid';
import { compareBytes } from '../../src/ic/bytes';
import { hashValue } from '../../src/icrc/hash';
import { type Account, type ICRC3Value, TransferArg } from '../../src/icrc/interface';
import { leb128 } from '../../src/ic/leb128';
import { allBlocks } from '../support/blocks';
import { createIc, localOnly, type TestIc } from '../support/ic';
import { OFFICIAL_LEDGER_METHODS, officialLedgerIdl } from '../support/official';

type TokenActor = ActorOf<typeof tokenService.methods> & { setIdentity(identity: Identity): void };

const FEE = 10_000n;
const START = 100_000_000n;
let seed = 0;
const identity = () => Ed25519KeyIdentity.generate(new Uint8Array(32).fill(++seed));
const account = (owner: Principal, subaccount?: Uint8Array): Account => ({
    owner,
    subaccount: subaccount === undefined ? [] : [subaccount]
});

let ic: TestIc;
let canisterId: Principal;
let wasm: string;
const minter = identity();
const holder = identity();

function initArg(): Uint8Array {
    return encodeLedgerArg(
        ledgerInit({
            mintingAccount: account(minter.getPrincipal()),
            transferFee: FEE,
            initialBalances: [[account(holder.getPrincipal()), START]],
            symbol: 'TKN',
            name: 'Test token',
            archiveController: minter.getPrincipal()
        })
    );
}

/** The official interface's methods these tests called (through its idlFactory), checked at the end. */
const calledOfficially = new Set<string>();

/**
 * An actor speaking as `who`: DFINITY's methods go through the official `idlFactory` of @icp-sdk/canisters,
 * the token's extensions (ICRC-4, ICRC-107) through its own.
 */
function as(who: Identity): TokenActor {
    const official = ic.createActor(officialLedgerIdl as never, canisterId) as unknown as Record<string, unknown> & TokenActor;
    const own = ic.createActor(tokenService.idlFactory as never, canisterId) as unknown as TokenActor;
    official.setIdentity(who);
    own.setIdentity(who);
    return new Proxy(own, {
        get(target, name, receiver) {
            if (typeof name === 'string' && OFFICIAL_LEDGER_METHODS.includes(name)) {
                calledOfficially.add(name);
                return official[name];
            }
            return Reflect.get(target, name, receiver);
        }
    });
}

/** The ledger's time, in nanoseconds. */
async function ledgerNow(): Promise<bigint> {
    return BigInt(Math.round(await ic.getTime())) * 1_000_000n;
}

/** A fresh principal funded from the holder (the suite's `setup_test_account`). */
async function funded(amount: bigint): Promise<Ed25519KeyIdentity> {
    const who = identity();
    const result = await as(holder).icrc1_transfer({
        from_subaccount: [],
        to: account(who.getPrincipal()),
        amount,
        fee: [],
        memo: [],
        created_at_time: []
    });
    expect(result).toHaveProperty('Ok');
    expect(await as(holder).icrc1_balance_of(account(who.getPrincipal()))).toBe(amount);
    expect(await as(holder).icrc1_balance_of(account(who.getPrincipal(), new Uint8Array(32)))).toBe(amount);
    return who;
}

beforeAll(async () => {
    wasm = await wasmOf('token');
    ic = await createIc();
    ({ canisterId } = await ic.setupCanister({ idlFactory: tokenService.idlFactory as never, wasm, arg: initArg() }));
}, 300_000);

afterAll(async () => ic.tearDown());

describe('the ICRC-1 acceptance suite', () => {
    const transfer = (
        to: Account,
        amount: bigint,
        extra: Partial<{ fee: [] | [bigint]; memo: [] | [Uint8Array]; created_at_time: [] | [bigint] }> = {}
    ) => ({
        from_subaccount: [] as [],
        to,
        amount,
        fee: [] as [] | [bigint],
        memo: [] as [] | [Uint8Array],
        created_at_time: [] as [] | [bigint],
        ...extra
    });

    it('icrc1:transfer moves the amount and charges the fee', async () => {
        const p1 = await funded(50_000n);
        const p2 = identity();
        expect(await as(p1).icrc1_transfer(transfer(account(p2.getPrincipal()), 10_000n))).toHaveProperty('Ok');
        expect(await as(p1).icrc1_balance_of(account(p2.getPrincipal()))).toBe(10_000n);
        expect(await as(p1).icrc1_balance_of(account(p2.getPrincipal(), new Uint8Array(32)))).toBe(10_000n);
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(50_000n - 10_000n - FEE);
    });

    it('icrc1:burn sends to the minting account, which keeps no balance', async () => {
        const mintingAccount = (await as(holder).icrc1_minting_account())[0] as Account;
        expect(await as(holder).icrc1_balance_of(mintingAccount)).toBe(0n);
        const p1 = await funded(FEE);
        expect(await as(p1).icrc1_transfer(transfer(mintingAccount, FEE))).toHaveProperty('Ok');
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(0n);
        expect(await as(p1).icrc1_balance_of(mintingAccount)).toBe(0n);
    });

    it('icrc1:metadata has no duplicate keys and agrees with the endpoints', async () => {
        const actor = as(holder);
        const metadata = await actor.icrc1_metadata();
        const keys = metadata.map(([k]) => k);
        expect(new Set(keys).size).toBe(keys.length);
        const entry = (key: string) => metadata.find(([k]) => k === key)?.[1];
        expect(entry('icrc1:name')).toEqual({ Text: await actor.icrc1_name() });
        expect(entry('icrc1:symbol')).toEqual({ Text: await actor.icrc1_symbol() });
        expect(entry('icrc1:decimals')).toEqual({ Nat: BigInt(await actor.icrc1_decimals()) });
        expect(entry('icrc1:fee')).toEqual({ Nat: await actor.icrc1_fee() });
    });

    it('icrc1:supported_standards and icrc2:supported_standards list ICRC-1 and ICRC-2', async () => {
        const names = (await as(holder).icrc1_supported_standards()).map((s) => s.name);
        expect(names).toEqual(expect.arrayContaining(['ICRC-1', 'ICRC-2']));
    });

    it('icrc1:tx_deduplication: created_at_time, fee, memo and the None/zero subaccount make distinct transactions', async () => {
        const p1 = await funded(1_000_000n);
        const p2 = account(identity().getPrincipal());
        const actor = as(p1);
        // Without created_at_time nothing is deduplicated.
        expect(await actor.icrc1_transfer(transfer(p2, 10_000n))).toHaveProperty('Ok');
        expect(await actor.icrc1_transfer(transfer(p2, 10_000n))).toHaveProperty('Ok');
        const now = await ledgerNow();
        const first = await actor.icrc1_transfer(transfer(p2, 10_000n, { created_at_time: [now] }));
        if (!('Ok' in first))
            throw new Error(`unexpected ${JSON.stringify(first, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
        expect(await actor.icrc1_transfer(transfer(p2, 10_000n, { created_at_time: [now] }))).toEqual({
            Err: { Duplicate: { duplicate_of: first.Ok } }
        });
        expect(await actor.icrc1_transfer(transfer(p2, 10_000n, { created_at_time: [now], fee: [FEE] }))).toHaveProperty('Ok');
        expect(
            await actor.icrc1_transfer(transfer(p2, 10_000n, { created_at_time: [now], memo: [Uint8Array.from([1, 2, 3])] }))
        ).toHaveProperty('Ok');
        const zero = account(p2.owner, new Uint8Array(32));
        expect(
            await actor.icrc1_transfer(transfer(zero, 10_000n, { created_at_time: [now], memo: [Uint8Array.from([1, 2, 3])] }))
        ).toHaveProperty('Ok');
    });

    it('icrc1:memo_bytes_length: a 32-byte memo is accepted', async () => {
        const p1 = await funded(100_000n);
        expect(
            await as(p1).icrc1_transfer(
                transfer(account(identity().getPrincipal()), 10_000n, { memo: [new Uint8Array(32).fill(1)] })
            )
        ).toHaveProperty('Ok');
    });

    it('icrc1:future_transfers: created_at_time far ahead is CreatedInFuture', async () => {
        const p1 = await funded(100_000n);
        const result = await as(p1).icrc1_transfer(
            transfer(account(identity().getPrincipal()), 10_000n, { created_at_time: [2n ** 64n - 1n] })
        );
        expect(result).toEqual({ Err: { CreatedInFuture: { ledger_time: await ledgerNow() } } });
    });

    it('icrc1:bad_fee: a fee other than the ledger’s is BadFee', async () => {
        const p1 = await funded(100_000n);
        const result = await as(p1).icrc1_transfer(transfer(account(identity().getPrincipal()), 10_000n, { fee: [FEE + 1n] }));
        expect(result).toEqual({ Err: { BadFee: { expected_fee: await as(p1).icrc1_fee() } } });
    });

    const approve = (spender: Account, amount: bigint, extra: Record<string, unknown> = {}) => ({
        from_subaccount: [] as [],
        spender,
        amount,
        fee: [] as [],
        memo: [] as [],
        created_at_time: [] as [],
        expected_allowance: [] as [] | [bigint],
        expires_at: [] as [] | [bigint],
        ...extra
    });
    const allowanceOf = (owner: Ed25519KeyIdentity, spender: Account) =>
        as(owner).icrc2_allowance({ account: account(owner.getPrincipal()), spender });

    it('icrc2:approve sets separate allowances per spender account and needs the fee', async () => {
        const p1 = await funded(2n * FEE);
        const p2 = account(identity().getPrincipal());
        const p2sub = account(p2.owner, new Uint8Array(32).fill(1));
        expect(await as(p1).icrc2_approve(approve(p2, FEE))).toHaveProperty('Ok');
        expect((await allowanceOf(p1, p2)).allowance).toBe(FEE);
        expect((await allowanceOf(p1, p2sub)).allowance).toBe(0n);
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(FEE);
        expect(await as(p1).icrc2_approve(approve(p2sub, 2n * FEE))).toHaveProperty('Ok');
        expect((await allowanceOf(p1, p2sub)).allowance).toBe(2n * FEE);
        expect((await allowanceOf(p1, p2)).allowance).toBe(FEE);
        expect(await as(p1).icrc2_approve(approve(p2, 3n * FEE))).toEqual({ Err: { InsufficientFunds: { balance: 0n } } });
    });

    it('icrc2:approve_expiration: a past expiry is Expired and free; a far expiry is stored and updated', async () => {
        const p1 = await funded(10n * FEE);
        const p2 = account(identity().getPrincipal());
        const now = await ledgerNow();
        expect(await as(p1).icrc2_approve(approve(p2, FEE, { expires_at: [now - 1n] }))).toEqual({
            Err: { Expired: { ledger_time: now } }
        });
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(10n * FEE);
        expect((await allowanceOf(p1, p2)).allowance).toBe(0n);
        const max = 2n ** 64n - 1n;
        expect(await as(p1).icrc2_approve(approve(p2, FEE, { expires_at: [max] }))).toHaveProperty('Ok');
        expect(await allowanceOf(p1, p2)).toEqual({ allowance: FEE, expires_at: [max] });
        expect(await as(p1).icrc2_approve(approve(p2, FEE, { expires_at: [max - 1n] }))).toHaveProperty('Ok');
        expect(await allowanceOf(p1, p2)).toEqual({ allowance: FEE, expires_at: [max - 1n] });
    });

    it('icrc2:approve_expected_allowance: a wrong expectation is AllowanceChanged; a right one replaces', async () => {
        const p1 = await funded(10n * FEE);
        const p2 = account(identity().getPrincipal());
        expect(await as(p1).icrc2_approve(approve(p2, FEE))).toHaveProperty('Ok');
        expect(await as(p1).icrc2_approve(approve(p2, 2n * FEE, { expected_allowance: [FEE + 1n] }))).toEqual({
            Err: { AllowanceChanged: { current_allowance: FEE } }
        });
        expect(await as(p1).icrc2_approve(approve(p2, 2n * FEE, { expected_allowance: [FEE] }))).toHaveProperty('Ok');
        expect((await allowanceOf(p1, p2)).allowance).toBe(2n * FEE);
    });

    const transferFrom = (from: Account, to: Account, amount: bigint) => ({
        spender_subaccount: [] as [],
        from,
        to,
        amount,
        fee: [] as [],
        memo: [] as [],
        created_at_time: [] as []
    });

    it('icrc2:transfer_from spends amount plus fee from the allowance', async () => {
        const amount = 100_000n;
        const p1 = await funded(amount + 2n * FEE);
        const spender = identity();
        const to = account(identity().getPrincipal());
        expect(await as(p1).icrc2_approve(approve(account(spender.getPrincipal()), amount + FEE))).toHaveProperty('Ok');
        expect(await as(spender).icrc2_transfer_from(transferFrom(account(p1.getPrincipal()), to, amount - 1n))).toHaveProperty(
            'Ok'
        );
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(1n);
        expect(await as(p1).icrc1_balance_of(account(spender.getPrincipal()))).toBe(0n);
        expect(await as(p1).icrc1_balance_of(to)).toBe(amount - 1n);
        expect((await allowanceOf(p1, account(spender.getPrincipal()))).allowance).toBe(1n);
    });

    it('icrc2:transfer_from_insufficient_funds: a balance below amount plus fee is InsufficientFunds, and nothing changes', async () => {
        const p1 = await funded(FEE + 5n);
        const spender = identity();
        const spenderAccount = account(spender.getPrincipal());
        const to = account(identity().getPrincipal());
        expect(await as(p1).icrc2_approve(approve(spenderAccount, 1_000_000n))).toHaveProperty('Ok');
        expect(await as(spender).icrc2_transfer_from(transferFrom(account(p1.getPrincipal()), to, 100n))).toEqual({
            Err: { InsufficientFunds: { balance: 5n } }
        });
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(5n);
        expect(await as(p1).icrc1_balance_of(to)).toBe(0n);
        expect((await allowanceOf(p1, spenderAccount)).allowance).toBe(1_000_000n);
    });

    it('icrc2:transfer_from_insufficient_allowance: no approval, nothing moves', async () => {
        const p1 = await funded(100_000n);
        const spender = identity();
        const to = account(identity().getPrincipal());
        expect(await as(spender).icrc2_transfer_from(transferFrom(account(p1.getPrincipal()), to, 10_000n))).toEqual({
            Err: { InsufficientAllowance: { allowance: 0n } }
        });
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(100_000n);
        expect(await as(p1).icrc1_balance_of(to)).toBe(0n);
    });

    it('icrc2:transfer_from_self: the owner spends without an approval', async () => {
        const p1 = await funded(100_000n);
        const to = account(identity().getPrincipal());
        expect(await as(p1).icrc2_transfer_from(transferFrom(account(p1.getPrincipal()), to, 10_000n))).toHaveProperty('Ok');
        expect(await as(p1).icrc1_balance_of(to)).toBe(10_000n);
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(100_000n - 10_000n - FEE);
    });
});

describe('ICRC-3: the certified tip and the chain behind it', () => {
    it('the tip certificate verifies with the root key, and walking back from it reproduces every phash', async () => {
        const local = localOnly(ic);
        const actor = as(holder);
        const [tip] = await actor.icrc3_get_tip_certificate();
        if (tip === undefined) throw new Error('no tip certificate');
        const tree = cborDecode(tip.hash_tree) as Parameters<typeof reconstruct>[0];
        const lastIndex = lookupResultToBuffer(lookup_path(['last_block_index'], tree));
        const lastHash = lookupResultToBuffer(lookup_path(['last_block_hash'], tree));
        if (local !== undefined) {
            const certificate = await Certificate.create({
                certificate: tip.certificate,
                rootKey: await local.getRootKey(),
                canisterId
            });
            const certified = lookupResultToBuffer(
                certificate.lookup_path(['canister', canisterId.toUint8Array(), 'certified_data'])
            );
            expect(certified).toEqual(await reconstruct(tree));
        }
        const blocks = await allBlocks(actor);
        expect(lastIndex).toEqual(leb128(BigInt(blocks.length - 1)));
        let expected = lastHash;
        for (let i = blocks.length - 1; i >= 0; i--) {
            const block = blocks[i] as ICRC3Value;
            expect(hashValue(block)).toEqual(expected);
            const phash = 'Map' in block ? block.Map.find(([k]) => k === 'phash')?.[1] : undefined;
            if (i === 0) expect(phash).toBeUndefined();
            else if (phash === undefined || !('Blob' in phash)) throw new Error(`block ${i} has no phash`);
            else expected = phash.Blob;
        }
    });

    it("the first block mints the initial balance, in DFINITY's schema (tx.op, no btype)", async () => {
        const [first] = (await as(holder).icrc3_get_blocks([{ start: 0n, length: 1n }])).blocks;
        expect(first?.block).toEqual({
            Map: [
                ['ts', { Nat: expect.any(BigInt) }],
                [
                    'tx',
                    {
                        Map: [
                            ['op', { Text: 'mint' }],
                            ['amt', { Nat: START }],
                            ['to', { Array: [{ Blob: holder.getPrincipal().toUint8Array() }] }]
                        ]
                    }
                ]
            ]
        });
    });
});

describe('ICRC-4 batches', () => {
    it('one result and one block per transfer, in order; a bad transfer fails alone', async () => {
        const p1 = await funded(100_000n);
        const actor = as(p1);
        const before = (await actor.icrc3_get_blocks([])).log_length;
        const to = account(identity().getPrincipal());
        const one = {
            from_subaccount: [] as [],
            to,
            amount: 1_000n,
            fee: [] as [] | [bigint],
            memo: [] as [],
            created_at_time: [] as []
        };
        const results = await actor.icrc4_transfer_batch([one, { ...one, fee: [1n] }, one]);
        expect(results).toEqual([[{ Ok: before }], [{ Err: { BadFee: { expected_fee: FEE } } }], [{ Ok: before + 1n }]]);
        expect(await actor.icrc1_balance_of(to)).toBe(2_000n);
    });

    it('a batch over the maximum is refused whole, and nothing changes', async () => {
        const p1 = await funded(100_000n);
        const actor = as(p1);
        const [max] = await actor.icrc4_maximum_update_batch_size();
        const to = account(identity().getPrincipal());
        const one = { from_subaccount: [] as [], to, amount: 1n, fee: [] as [], memo: [] as [], created_at_time: [] as [] };
        const size = Number(max) + 1;
        const results = await actor.icrc4_transfer_batch(Array.from({ length: size }, () => one));
        expect(results).toEqual(Array.from({ length: size }, () => [{ Err: { TooManyRequests: { limit: max } } }]));
        expect(await actor.icrc1_balance_of(to)).toBe(0n);
    });
});

describe('hostile input gets a clear error and changes nothing', () => {
    it('an oversized memo traps with DFINITY’s message', async () => {
        const p1 = await funded(100_000n);
        const to = account(identity().getPrincipal());
        await expect(
            as(p1).icrc1_transfer({
                from_subaccount: [],
                to,
                amount: 1n,
                fee: [],
                memo: [new Uint8Array(33)],
                created_at_time: []
            })
        ).rejects.toThrow(/the memo field size of 33 bytes is above the allowed limit of 32 bytes/);
        expect(await as(p1).icrc1_balance_of(account(p1.getPrincipal()))).toBe(100_000n);
    });

    it('a subaccount of the wrong length is a GenericError naming it', async () => {
        const p1 = await funded(100_000n);
        const result = await as(p1).icrc1_transfer({
            from_subaccount: [new Uint8Array(31)],
            to: account(identity().getPrincipal()),
            amount: 1n,
            fee: [],
            memo: [],
            created_at_time: []
        });
        expect(result).toEqual({
            Err: { GenericError: { error_code: 0n, message: expect.stringMatching(/subaccount is 32 bytes/) } }
        });
    });

    it('huge amounts are refused for lack of funds, not wrapped', async () => {
        const p1 = await funded(100_000n);
        const result = await as(p1).icrc1_transfer({
            from_subaccount: [],
            to: account(identity().getPrincipal()),
            amount: 2n ** 200n,
            fee: [],
            memo: [],
            created_at_time: []
        });
        expect(result).toEqual({ Err: { InsufficientFunds: { balance: 100_000n } } });
    });

    it('random bytes as the argument are rejected with the decoding reason', async () => {
        const before = await as(holder).icrc1_total_supply();
        await expect(
            ic.updateCall({ canisterId, method: 'icrc1_transfer', arg: Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 9, 9, 9]) })
        ).rejects.toThrow(/invalid argument to icrc1_transfer/);
        expect(await as(holder).icrc1_total_supply()).toBe(before);
    });

    it('self-approval traps', async () => {
        const p1 = await funded(100_000n);
        const self = account(p1.getPrincipal(), new Uint8Array(32).fill(9));
        await expect(
            as(p1).icrc2_approve({
                from_subaccount: [],
                spender: self,
                amount: 1n,
                fee: [],
                memo: [],
                created_at_time: [],
                expected_allowance: [],
                expires_at: []
            })
        ).rejects.toThrow(/self approval is not allowed/);
    });
});

describe('the rest of DFINITY’s interface', () => {
    it('keeps every block itself: no archives, in either interface', async () => {
        expect(await as(holder).archives()).toEqual([]);
        expect(await as(holder).icrc3_get_archives({ from: [] })).toEqual([]);
        expect(await as(holder).is_ledger_ready()).toBe(true);
    });

    it('lists the block types it writes, and the standards it follows', async () => {
        const types = (await as(holder).icrc3_supported_block_types()).map((t) => t.block_type);
        expect(types.sort()).toEqual(['107feecol', '1burn', '1mint', '1xfer', '2approve', '2xfer']);
        const names = (await as(holder).icrc10_supported_standards()).map((s) => s.name);
        expect(names).toEqual(
            expect.arrayContaining(['ICRC-1', 'ICRC-2', 'ICRC-3', 'ICRC-10', 'ICRC-21', 'ICRC-103', 'ICRC-106'])
        );
        expect(await as(holder).icrc106_get_index_principal()).toEqual({ Err: { IndexPrincipalNotSet: null } });
    });

    it('serves the legacy get_blocks and get_transactions that index canisters and Rosetta read', async () => {
        const actor = as(holder);
        const [first] = (await actor.icrc3_get_blocks([{ start: 0n, length: 1n }])).blocks;
        const legacy = await actor.get_blocks({ start: 0n, length: 1n });
        expect(legacy.first_index).toBe(0n);
        expect(legacy.chain_length).toBe((await actor.icrc3_get_blocks([])).log_length);
        expect(legacy.blocks).toEqual([first?.block]);
        expect(legacy.certificate).toHaveLength(1);
        const { transactions } = await actor.get_transactions({ start: 0n, length: 1n });
        expect(transactions[0]?.kind).toBe('mint');
        expect(transactions[0]?.mint[0]).toMatchObject({ amount: START, to: account(holder.getPrincipal()) });
    });

    it('get_data_certificate certifies the same tip as icrc3_get_tip_certificate', async () => {
        const [tip] = await as(holder).icrc3_get_tip_certificate();
        const legacy = await as(holder).get_data_certificate();
        expect(legacy.hash_tree).toEqual(tip?.hash_tree);
        expect(legacy.certificate).toEqual([tip?.certificate]);
    });

    it('icrc103_get_allowances lists an owner’s live approvals in spender order, from after prev_spender', async () => {
        const p1 = await funded(10n * FEE);
        const spenders = [identity(), identity(), identity()].map((s) => account(s.getPrincipal()));
        for (const spender of spenders) {
            const result = await as(p1).icrc2_approve({
                from_subaccount: [],
                spender,
                amount: 5n,
                fee: [],
                memo: [],
                created_at_time: [],
                expected_allowance: [],
                expires_at: []
            });
            expect(result).toHaveProperty('Ok');
        }
        const from = account(p1.getPrincipal());
        const listed = await as(p1).icrc103_get_allowances({ from_account: [from], prev_spender: [], take: [] });
        if (!('Ok' in listed)) throw new Error('icrc103_get_allowances refused');
        const order = [...spenders].sort((a, b) => compareBytes(a.owner.toUint8Array(), b.owner.toUint8Array()));
        expect(listed.Ok.map((a) => a.to_spender.owner.toText())).toEqual(order.map((a) => a.owner.toText()));
        const after = await as(p1).icrc103_get_allowances({
            from_account: [from],
            prev_spender: [order[0] as Account],
            take: [1n]
        });
        expect('Ok' in after && after.Ok.map((a) => a.to_spender.owner.toText())).toEqual([order[1]?.owner.toText()]);
    });

    describe('ICRC-21 consent messages, for the anonymous caller too', () => {
        const request = (deviceSpec: [] | [{ GenericDisplay: null } | { FieldsDisplay: null }], method = 'icrc1_transfer') => ({
            method,
            arg: new Uint8Array(
                IDL.encode(
                    [toIdl(TransferArg, IDL)],
                    [
                        {
                            from_subaccount: [],
                            to: account(holder.getPrincipal()),
                            amount: 150_000_000n,
                            fee: [],
                            memo: [],
                            created_at_time: []
                        }
                    ]
                )
            ),
            user_preferences: { metadata: { language: 'en', utc_offset_minutes: [] as [] }, device_spec: deviceSpec }
        });
        const anonymous = () => as(new AnonymousIdentity());

        it('describes a transfer as Markdown for a generic display', async () => {
            const response = await anonymous().icrc21_canister_call_consent_message(request([{ GenericDisplay: null }]));
            const message = 'Ok' in response ? response.Ok.consent_message : undefined;
            expect(message).toEqual({ GenericDisplayMessage: expect.stringContaining('Amount: 1.5 TKN') });
        });

        it('describes a transfer as typed fields for a fields display', async () => {
            const response = await anonymous().icrc21_canister_call_consent_message(request([{ FieldsDisplay: null }]));
            expect('Ok' in response && response.Ok.consent_message).toEqual({
                FieldsDisplayMessage: {
                    intent: 'Send TKN',
                    fields: [
                        ['Amount', { TokenAmount: { decimals: 8, amount: 150_000_000n, symbol: 'TKN' } }],
                        ['To', { Text: { content: holder.getPrincipal().toText() } }],
                        ['Fee', { TokenAmount: { decimals: 8, amount: FEE, symbol: 'TKN' } }]
                    ]
                }
            });
        });

        it('refuses a method it has no message for', async () => {
            const response = await anonymous().icrc21_canister_call_consent_message(request([], 'icrc1_balance_of'));
            expect(response).toEqual({
                Err: { UnsupportedCanisterCall: { description: expect.stringContaining('icrc1_balance_of') } }
            });
        });
    });
});

describe('upgrade', () => {
    it('keeps balances, blocks and the certified tip', async () => {
        const actor = as(holder);
        const balance = await actor.icrc1_balance_of(account(holder.getPrincipal()));
        const blocks = await allBlocks(actor);
        const [tipBefore] = await actor.icrc3_get_tip_certificate();
        await ic.upgradeCanister({ canisterId, wasm, arg: encodeLedgerArg({ Upgrade: [] }) });
        expect(await actor.icrc1_balance_of(account(holder.getPrincipal()))).toBe(balance);
        expect(await allBlocks(actor)).toEqual(blocks);
        const [tipAfter] = await actor.icrc3_get_tip_certificate();
        expect(tipAfter?.hash_tree).toEqual(tipBefore?.hash_tree);
    });
});

describe('the official interface', () => {
    it('every method of @icp-sdk/canisters’ icrc_ledger idlFactory was called through it by the tests above', () => {
        expect(OFFICIAL_LEDGER_METHODS.filter((name) => !calledOfficially.has(name))).toEqual([]);
    });
});
