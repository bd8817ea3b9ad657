/**
 * The ledger index canister on the test IC, beside the token it indexes: the token names it
 * (`icrc106_get_index_principal`), it syncs by timer, at most one page of blocks a message, and then agrees
 * with the token on every balance and every account's history; a wallet-shaped client lists an account's
 * transactions through the official index-ng `idlFactory` of @icp-sdk/canisters; an upgrade keeps what it
 * synced and syncing goes on.
 */
import type { Identity } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';
import { idlFactory as officialIndexIdl } from '@icp-sdk/canisters/declarations/ledger-icrc/icrc_index.idl.js';

import { wasmOf } from '../../scripts/lib/build';
import { ledgerIndexService } from '../../src/canisters/ledger_index/service';
import { MAX_BLOCKS_PER_SYNC } from '../../src/canisters/ledger_index/sync';
import { encodeLedgerArg, ledgerInit } from '../../src/canisters/token/deploy';
import { tokenService } from '../../src/canisters/token/service';
import type { ActorOf } from '../../src/candid';
import type { Account, Transaction } from '../../src/icrc/interface';
import { allBlocks } from '../support/blocks';
import { accountName, historiesOf } from '../support/histories';
import { createIc, type TestIc } from '../support/ic';

type TokenActor = ActorOf<typeof tokenService.methods> & { setIdentity(identity: Identity): void };
type IndexActor = ActorOf<typeof ledgerIndexService.methods>;
/** What the official declarations call the index's answers (the same types, by index-ng's own names). */
type OfficialIndex = {
    get_account_transactions(arg: {
        account: Account;
        start: [] | [bigint];
        max_results: bigint;
    }): Promise<
        | { Ok: { balance: bigint; transactions: { id: bigint; transaction: Transaction }[]; oldest_tx_id: [] | [bigint] } }
        | { Err: { message: string } }
    >;
    icrc1_balance_of(account: Account): Promise<bigint>;
    ledger_id(): Promise<Principal>;
    status(): Promise<{ num_blocks_synced: bigint }>;
};

const FEE = 10_000n;
const users = [1, 2, 3, 4, 5].map((n) => Ed25519KeyIdentity.generate(new Uint8Array(32).fill(40 + n)));
const minter = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(40));
const ONE = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0));
const acct = (who: Identity, sub?: Uint8Array): Account => ({
    owner: who.getPrincipal(),
    subaccount: sub === undefined ? [] : [sub]
});
const UNIVERSE = users.flatMap((u) => [acct(u), acct(u, ONE)]);

let ic: TestIc;
let tokenId: Principal;
let indexId: Principal;
let indexWasm: string;

function token(who: Identity): TokenActor {
    const actor = ic.createActor(tokenService.idlFactory as never, tokenId) as unknown as TokenActor;
    actor.setIdentity(who);
    return actor;
}

const index = () => ic.createActor(ledgerIndexService.idlFactory as never, indexId) as unknown as IndexActor;

const indexArg = (ledger: Principal) =>
    ledgerIndexService.encodeInit(IDL, [
        [
            {
                Init: {
                    ledger_id: ledger,
                    retrieve_blocks_from_ledger_interval_seconds: [],
                    min_retrieve_blocks_from_ledger_interval_seconds: [],
                    max_retrieve_blocks_from_ledger_interval_seconds: []
                }
            }
        ]
    ]);

/** Runs rounds, a second apart, until the index has every block of the token (at most `rounds` of them). */
async function synced(rounds = 60): Promise<void> {
    const length = (await token(minter).icrc3_get_blocks([])).log_length;
    for (let i = 0; i < rounds; i++) {
        if ((await index().status()).num_blocks_synced === length) return;
        await ic.advanceTime(1_000);
        await ic.tick();
    }
    throw new Error(`the index did not reach ${length} blocks`);
}

/** A deterministic mix of transfers, approvals, transfer_froms, mints and burns among the universe. */
async function operations(count: number, seed: number): Promise<void> {
    let state = seed;
    const next = (n: number) => {
        state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
        return state % n;
    };
    for (let i = 0; i < count; i++) {
        const fromUser = users[next(users.length)] as Ed25519KeyIdentity;
        const sub: [] | [Uint8Array] = next(2) === 0 ? [] : [ONE];
        const to = UNIVERSE[next(UNIVERSE.length)] as Account;
        const amount = BigInt(1 + next(50_000));
        const memo: [] | [Uint8Array] = next(3) === 0 ? [Uint8Array.of(i % 256)] : [];
        const common = { fee: [] as [], memo, created_at_time: [] as [] };
        switch (next(5)) {
            case 0:
                await token(fromUser).icrc1_transfer({ ...common, from_subaccount: sub, to, amount });
                break;
            case 1:
                if (to.owner.compareTo(fromUser.getPrincipal()) !== 'eq')
                    await token(fromUser).icrc2_approve({
                        ...common,
                        from_subaccount: sub,
                        spender: to,
                        amount,
                        expected_allowance: [],
                        expires_at: []
                    });
                break;
            case 2: {
                const spender = users[next(users.length)] as Ed25519KeyIdentity;
                await token(spender).icrc2_transfer_from({
                    ...common,
                    spender_subaccount: [],
                    from: { owner: fromUser.getPrincipal(), subaccount: sub },
                    to,
                    amount
                });
                break;
            }
            case 3:
                await token(minter).icrc1_transfer({ ...common, from_subaccount: [], to, amount });
                break;
            case 4:
                await token(fromUser).icrc1_transfer({ ...common, from_subaccount: sub, to: acct(minter), amount });
                break;
        }
    }
}

async function expectAgreement(): Promise<void> {
    const blocks = await allBlocks(token(minter));
    const histories = historiesOf(blocks);
    for (const account of UNIVERSE) {
        expect(await index().icrc1_balance_of(account)).toBe(await token(minter).icrc1_balance_of(account));
        const listed = await index().get_account_transactions({ account, start: [], max_results: 500n });
        if (!('Ok' in listed)) throw new Error(listed.Err.message);
        expect(listed.Ok.transactions.map((t) => t.id)).toEqual(histories.get(accountName(account)) ?? []);
    }
}

beforeAll(async () => {
    const tokenWasm = await wasmOf('token');
    indexWasm = await wasmOf('ledger_index');
    ic = await createIc();
    indexId = await ic.createCanister();
    tokenId = await ic.createCanister();
    const init = ledgerInit({
        mintingAccount: acct(minter),
        transferFee: FEE,
        initialBalances: users.map((u): [Account, bigint] => [acct(u), 10_000_000n]),
        archiveController: minter.getPrincipal(),
        indexPrincipal: indexId
    });
    await ic.installCode({ canisterId: tokenId, wasm: tokenWasm, arg: encodeLedgerArg(init) });
    await ic.installCode({ canisterId: indexId, wasm: indexWasm, arg: indexArg(tokenId) });
}, 300_000);

afterAll(async () => ic.tearDown());

it('is the index the token names, and names the token as its ledger', async () => {
    expect(await token(minter).icrc106_get_index_principal()).toEqual({ Ok: indexId });
    expect((await index().ledger_id()).toText()).toBe(tokenId.toText());
});

it('agrees with the token on every balance and every account’s history after random operations', async () => {
    await operations(60, 7);
    await synced();
    await expectAgreement();
});

it('syncs at most one page of blocks in a message, chaining messages while behind', async () => {
    await operations(3 * MAX_BLOCKS_PER_SYNC, 11);
    const target = (await token(minter).icrc3_get_blocks([])).log_length;
    let last = (await index().status()).num_blocks_synced;
    while (last < target) {
        await ic.advanceTime(1_000);
        await ic.tick();
        const now = (await index().status()).num_blocks_synced;
        expect(now - last).toBeLessThanOrEqual(BigInt(MAX_BLOCKS_PER_SYNC));
        last = now;
    }
    await expectAgreement();
});

it('lists an account’s transactions, newest first and paged, through the official index-ng declarations', async () => {
    const wallet = ic.createActor(officialIndexIdl as never, indexId) as unknown as OfficialIndex;
    const account = acct(users[0] as Ed25519KeyIdentity);
    const everything = await wallet.get_account_transactions({ account, start: [], max_results: 500n });
    if (!('Ok' in everything)) throw new Error(everything.Err.message);
    const ids = everything.Ok.transactions.map((t) => t.id);
    expect(ids.length).toBeGreaterThan(3);
    expect([...ids].sort((a, b) => (a < b ? 1 : -1))).toEqual(ids);
    expect(everything.Ok.oldest_tx_id).toEqual([ids[ids.length - 1]]);
    expect(everything.Ok.balance).toBe(await wallet.icrc1_balance_of(account));
    // the first block is the account's initial mint, as a wallet shows it
    const first = everything.Ok.transactions[everything.Ok.transactions.length - 1]?.transaction;
    expect(first?.kind).toBe('mint');
    expect(first?.mint[0]?.amount).toBe(10_000_000n);
    const paged: bigint[] = [];
    let start: [] | [bigint] = [];
    for (;;) {
        const page = await wallet.get_account_transactions({ account, start, max_results: 3n });
        if (!('Ok' in page)) throw new Error(page.Err.message);
        if (page.Ok.transactions.length === 0) break;
        paged.push(...page.Ok.transactions.map((t) => t.id));
        start = [page.Ok.transactions[page.Ok.transactions.length - 1]?.id as bigint];
    }
    expect(paged).toEqual(ids);
    // the owner's subaccounts with a history: the default one (its mint), and the other if a block touched it
    const histories = historiesOf(await allBlocks(token(minter)));
    const withHistory = [new Uint8Array(32), ONE].filter((sub) =>
        histories.has(accountName({ owner: account.owner, subaccount: [sub] }))
    );
    expect(await index().list_subaccounts({ owner: account.owner, start: [] })).toEqual(withHistory);
});

it('keeps what it synced across an upgrade, and goes on syncing', async () => {
    const before = await index().status();
    const balance = await index().icrc1_balance_of(UNIVERSE[2] as Account);
    await ic.upgradeCanister({ canisterId: indexId, wasm: indexWasm, arg: ledgerIndexService.encodeInit(IDL, [[]]) });
    expect(await index().status()).toEqual(before);
    expect(await index().icrc1_balance_of(UNIVERSE[2] as Account)).toBe(balance);
    await operations(20, 13);
    await synced();
    await expectAgreement();
});
