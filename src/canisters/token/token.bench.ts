/**
 * What the token's calls cost, in instructions per call on the local IC, beside DFINITY's Rust ledger canbench
 * figures (`rs/ledger_suite/icrc1/ledger/canbench_results/canbench_u64.yml`; see ../shared/reference/icrc.md §2.4);
 * how the transfer's cost grows from 1,000 to a million accounts; and the stable bytes an account and a block
 * take. The million accounts are written by the `token_seeder` test fixture in the token's own layout.
 */
import { IDL as CandidIdl } from '@dfinity/candid';
import type { IDL } from '@dfinity/candid';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';

import { LocalIc } from '../../replica';
import type { ActorOf } from '../../candid';
import type { Account } from '../../icrc/interface';
import { encodeLedgerArg, ledgerInit } from './deploy';
import { tokenService } from './service';

type TokenActor = ActorOf<typeof tokenService.methods> & { setIdentity(identity: Ed25519KeyIdentity): void };

export type TokenFigure = { call: string; instructions: bigint; rust: string };

const FEE = 10_000n;
const account = (owner: Principal, subaccount?: Uint8Array): Account => ({
    owner,
    subaccount: subaccount === undefined ? [] : [subaccount]
});

function median(values: bigint[]): bigint {
    const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted[Math.floor(sorted.length / 2)] as bigint;
}

export type TokenBench = {
    figures: TokenFigure[];
    /** The transfer's instructions at 1,000 accounts and at \`accounts\` (issue 4: at most 1.3× apart). */
    scale: { accounts: number; small: bigint; large: bigint };
    /** Stable memory each stored balance and block takes, from the growth over \`accounts\` and \`blocks\` of them. */
    storage: { bytesPerAccount: number; bytesPerBlock: number; accounts: number; blocks: number };
};

/** Accounts the upgrade is measured with (issue 4: 10,000). */
const UPGRADE_ACCOUNTS = 10_000;
/** Accounts the scale figure is measured at, seeded in chunks (one message each). */
const SCALE_ACCOUNTS = 1_000_000;
const SCALE_BLOCKS = 500_000;
const SEED_CHUNK = 50_000;

type SeederActor = {
    seed_accounts(start: number, count: number): Promise<bigint>;
    seed_blocks(count: number): Promise<bigint>;
};
const seederIdl: IDL.InterfaceFactory = ({ IDL: idl }) =>
    idl.Service({
        seed_accounts: idl.Func([idl.Nat32, idl.Nat32], [idl.Nat64], []),
        seed_blocks: idl.Func([idl.Nat32], [idl.Nat64], [])
    });

export async function benchToken(
    wasm: string,
    seederWasm: string,
    rounds: number,
    progress: (text: string) => void
): Promise<TokenBench> {
    const ic = await LocalIc.create();
    const holder = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(1));
    const minter = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(2));
    const spender = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(3));
    const initBytes = encodeLedgerArg(
        ledgerInit({
            mintingAccount: account(minter.getPrincipal()),
            transferFee: FEE,
            initialBalances: [[account(holder.getPrincipal()), 10n ** 18n]],
            archiveController: minter.getPrincipal()
        })
    );
    const { actor: raw, canisterId } = await ic.setupCanister({
        idlFactory: tokenService.idlFactory as never,
        wasm,
        arg: initBytes
    });
    const actor = raw as unknown as TokenActor;
    const now = async () => BigInt(Math.round(await ic.getTime())) * 1_000_000n;
    const fresh = (i: number) =>
        account(
            holder.getPrincipal(),
            Uint8Array.from({ length: 32 }, (_, k) => (k < 4 ? (i >> (8 * k)) & 0xff : 7))
        );
    const memo = new Uint8Array(32).fill(5);
    const figures: TokenFigure[] = [];
    const measure = async (call: string, rust: string, run: (i: number) => Promise<unknown>, perCall = 1n) => {
        const counts: bigint[] = [];
        for (let i = 0; i < rounds; i++) {
            await run(i);
            counts.push(ic.lastInstructions(canisterId) / perCall);
        }
        progress(`${call}: ${median(counts).toLocaleString('en-US')}`);
        figures.push({ call, instructions: median(counts), rust });
    };

    actor.setIdentity(holder);
    let next = 0;
    /** The transfer every transfer figure measures: to a new account, with `created_at_time` and a memo. */
    const transferToNew = async () => {
        const r = await actor.icrc1_transfer({
            from_subaccount: [],
            to: fresh(next++),
            amount: 1_000_000n,
            fee: [],
            memo: [memo],
            created_at_time: [await now()]
        });
        if (!('Ok' in r)) throw new Error('transfer failed');
    };
    /** One batch of `count` transfers to new accounts; with `at`, each has a memo and its own `created_at_time`. */
    const batchToNew = async (count: number, at?: bigint) => {
        const args = Array.from({ length: count }, (_, k) => ({
            from_subaccount: [] as [],
            to: fresh(next++),
            amount: 1_000n,
            fee: [] as [],
            memo: (at === undefined ? [] : [memo]) as [] | [Uint8Array],
            created_at_time: (at === undefined ? [] : [at + BigInt(k)]) as [] | [bigint]
        }));
        const results = await actor.icrc4_transfer_batch(args);
        if (!results.every((r) => r[0] !== undefined && 'Ok' in r[0])) throw new Error('batch failed');
    };
    await measure('`icrc1_transfer` to a new account, with `created_at_time` and a 32-byte memo', '≈1.23M', transferToNew);
    await measure('`icrc2_approve` of a new spender, with `expires_at`', '≈1.85M', async (i) => {
        const r = await actor.icrc2_approve({
            from_subaccount: [],
            spender: account(
                spender.getPrincipal(),
                Uint8Array.from({ length: 32 }, (_, k) => (k === 0 ? i + 1 : 0))
            ),
            amount: 10n ** 12n,
            fee: [],
            memo: [],
            created_at_time: [await now()],
            expected_allowance: [],
            expires_at: [(await now()) + 10n ** 15n]
        });
        if (!('Ok' in r)) throw new Error('approve failed');
    });
    actor.setIdentity(spender);
    await measure('`icrc2_transfer_from`', '≈2.06M', async (i) => {
        const r = await actor.icrc2_transfer_from({
            spender_subaccount: [Uint8Array.from({ length: 32 }, (_, k) => (k === 0 ? i + 1 : 0))],
            from: account(holder.getPrincipal()),
            to: fresh(next++),
            amount: 1_000n,
            fee: [],
            memo: [],
            created_at_time: [await now()]
        });
        if (!('Ok' in r)) throw new Error('transfer_from failed');
    });
    actor.setIdentity(holder);
    await measure('one transfer inside an `icrc4_transfer_batch` of 100', '–', async () => batchToNew(100, await now()), 100n);
    await measure('`icrc3_get_blocks` of 100 blocks (per call)', '≈8.4M (≈84k a block)', async () => {
        const r = await actor.icrc3_get_blocks([{ start: 0n, length: 100n }]);
        if (r.blocks.length !== 100) throw new Error('expected 100 blocks');
    });
    // The same transfer as the first figure, with 1,000 accounts in the ledger (filled by batches).
    const fillTo = async (accounts: number) => {
        while (next < accounts) {
            await batchToNew(Math.min(100, accounts - next));
            if (next % 2_000 === 0) progress(`${next.toLocaleString('en-US')} accounts`);
        }
    };
    await fillTo(1_000);
    await measure('`icrc1_transfer` as above, 1,000 accounts in the ledger', '–', transferToNew);
    const atThousand = figures[figures.length - 1] as TokenFigure;

    await fillTo(UPGRADE_ACCOUNTS);
    await ic.upgradeCanister({ canisterId, wasm, arg: encodeLedgerArg({ Upgrade: [] }) });
    figures.push({
        call: `upgrade (\`post_upgrade\`, ${next.toLocaleString('en-US')} accounts)`,
        instructions: ic.lastInstructions(canisterId),
        rust: '≈0.5B (~20k accounts, pre+post)'
    });

    // A million accounts: written by the seeder fixture in the token's own layout, then the token resumes.
    const seeder = ic.createActor(seederIdl as never, canisterId) as unknown as SeederActor;
    await ic.upgradeCanister({ canisterId, wasm: seederWasm });
    const stableBefore = (await ic.getStableMemory(canisterId)).length;
    let balances = 0n;
    for (let start = 0; start < SCALE_ACCOUNTS; start += SEED_CHUNK) {
        balances = await seeder.seed_accounts(start, SEED_CHUNK);
        progress(`${balances.toLocaleString('en-US')} accounts`);
    }
    const bytesPerAccount = ((await ic.getStableMemory(canisterId)).length - stableBefore) / SCALE_ACCOUNTS;
    await ic.upgradeCanister({ canisterId, wasm, arg: encodeLedgerArg({ Upgrade: [] }) });
    await measure(`\`icrc1_transfer\` as above, ${balances.toLocaleString('en-US')} accounts in the ledger`, '–', transferToNew);
    const atScale = figures[figures.length - 1] as TokenFigure;

    // Stable bytes per block: copies of the last block (a transfer with memo and created_at_time), as stored.
    await ic.upgradeCanister({ canisterId, wasm: seederWasm });
    const blocksBefore = (await ic.getStableMemory(canisterId)).length;
    for (let done = 0; done < SCALE_BLOCKS; done += SEED_CHUNK) {
        await seeder.seed_blocks(SEED_CHUNK);
        progress(`${(done + SEED_CHUNK).toLocaleString('en-US')} blocks`);
    }
    const bytesPerBlock = ((await ic.getStableMemory(canisterId)).length - blocksBefore) / SCALE_BLOCKS;
    await ic.tearDown();
    return {
        figures,
        scale: { accounts: Number(balances), small: atThousand.instructions, large: atScale.instructions },
        storage: { bytesPerAccount, bytesPerBlock, accounts: SCALE_ACCOUNTS, blocks: SCALE_BLOCKS }
    };
}

/** A pipeline step's instructions per transfer, alone (one `transfer` a message) and inside a batch of 100. */
export type TransferStep = { step: string; alone: bigint; batched: bigint };

const profileIdl: IDL.InterfaceFactory = ({ IDL: idl }) =>
    idl.Service({
        profile: idl.Func([idl.Nat32, idl.Bool], [idl.Vec(idl.Record({ step: idl.Text, instructions: idl.Nat64 }))], [])
    });

/**
 * Where a transfer's instructions go: the token's `Ledger` in the `token_profile` fixture, traced at each step
 * of its pipeline, over transfers like the benchmark's (to a new account, with a memo and `created_at_time`).
 */
export async function benchTransferSteps(profileWasm: string): Promise<TransferStep[]> {
    const ic = await LocalIc.create();
    const holder = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(1));
    const { actor } = await ic.setupCanister<{
        profile(count: number, batched: boolean): Promise<{ step: string; instructions: bigint }[]>;
    }>({
        idlFactory: profileIdl as never,
        wasm: profileWasm,
        arg: new Uint8Array(CandidIdl.encode([CandidIdl.Principal], [holder.getPrincipal()]))
    });
    actor.setIdentity(holder);
    await actor.profile(5, false); // the first transfers fill the maps' first nodes and the key caches
    const alone = await actor.profile(20, false);
    const batched = await actor.profile(100, true);
    return alone.map(({ step, instructions }) => ({
        step,
        alone: instructions,
        batched: batched.find((b) => b.step === step)?.instructions ?? 0n
    }));
}
