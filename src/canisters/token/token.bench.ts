/**
 * What the token's calls cost, in instructions per call on the local IC, beside DFINITY's Rust ledger canbench
 * figures (`rs/ledger_suite/icrc1/ledger/canbench_results/canbench_u64.yml`; see ../shared/reference/icrc.md §2.4).
 */
import { Ed25519KeyIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';

import { LocalIc } from '../../replica';
import type { ActorOf } from '../../shared/candid';
import type { Account } from '../../shared/icrc/ledger';
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

export async function benchToken(wasm: string, rounds: number, progress: (text: string) => void): Promise<TokenFigure[]> {
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
    await measure('`icrc1_transfer` to a new account, with `created_at_time` and a 32-byte memo', '≈1.23M', async () => {
        const r = await actor.icrc1_transfer({
            from_subaccount: [],
            to: fresh(next++),
            amount: 1_000_000n,
            fee: [],
            memo: [memo],
            created_at_time: [await now()]
        });
        if (!('Ok' in r)) throw new Error('transfer failed');
    });
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
    const batch = async () => {
        const at = await now();
        const args = Array.from({ length: 100 }, (_, k) => ({
            from_subaccount: [] as [],
            to: fresh(next++),
            amount: 1_000n,
            fee: [] as [],
            memo: [memo] as [Uint8Array],
            created_at_time: [at + BigInt(k)] as [bigint]
        }));
        const results = await actor.icrc4_transfer_batch(args);
        if (!results.every((r) => r[0] !== undefined && 'Ok' in r[0])) throw new Error('batch failed');
    };
    await measure('one transfer inside an `icrc4_transfer_batch` of 100', '–', batch, 100n);
    await measure('`icrc3_get_blocks` of 100 blocks (per call)', '≈8.4M (≈84k a block)', async () => {
        const r = await actor.icrc3_get_blocks([{ start: 0n, length: 100n }]);
        if (r.blocks.length !== 100) throw new Error('expected 100 blocks');
    });
    const accounts = next;
    await ic.upgradeCanister({ canisterId, wasm, arg: encodeLedgerArg({ Upgrade: [] }) });
    figures.push({
        call: `upgrade (\`post_upgrade\`, ${accounts.toLocaleString('en-US')} accounts)`,
        instructions: ic.lastInstructions(canisterId),
        rust: '≈0.5B (~20k accounts, pre+post)'
    });
    await ic.tearDown();
    return figures;
}
