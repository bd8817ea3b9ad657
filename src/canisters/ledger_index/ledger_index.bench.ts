/**
 * What the ledger index costs, in instructions on the local IC: syncing (a full page of 100 transfer blocks in
 * one message, per block: the call to the token and its callback), and `get_account_transactions` pages of 10
 * and 100 transactions of an account with 300.
 */
import { IDL } from '@dfinity/candid';
import { Ed25519KeyIdentity } from '@dfinity/identity';

import { LocalIc } from '../../replica';
import type { ActorOf } from '../../candid';
import type { Account, TransferArg } from '../../icrc/interface';
import { encodeLedgerArg, ledgerInit } from '../token/deploy';
import { tokenService } from '../token/service';
import { ledgerIndexService } from './service';
import { MAX_BLOCKS_PER_SYNC } from './sync';

type TokenActor = ActorOf<typeof tokenService.methods> & { setIdentity(identity: Ed25519KeyIdentity): void };
type IndexActor = ActorOf<typeof ledgerIndexService.methods>;

export type IndexBench = {
    /** One sync message of a full page (every message it ran: the timer, the call's callback), per block. */
    syncPerBlock: bigint;
    /** `get_account_transactions` of a page of 10 and of 100 (an account with 300 transactions). */
    page10: bigint;
    page100: bigint;
};

const TRANSFERS = 3 * MAX_BLOCKS_PER_SYNC;

/** A transfer as wallets send it: to another account, with `created_at_time` and a 32-byte memo. */
function transfer(to: Account, i: number, now: bigint): TransferArg {
    return {
        from_subaccount: [],
        to,
        amount: 1_000n + BigInt(i),
        fee: [],
        memo: [new Uint8Array(32).fill(i % 256)],
        created_at_time: [now]
    };
}

export async function benchIndex(wasms: { token: string; index: string }, progress: (text: string) => void): Promise<IndexBench> {
    const ic = await LocalIc.create();
    const holder = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(21));
    const minter = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(22));
    const receiver: Account = { owner: Ed25519KeyIdentity.generate(new Uint8Array(32).fill(23)).getPrincipal(), subaccount: [] };
    const holderAccount: Account = { owner: holder.getPrincipal(), subaccount: [] };
    const tokenId = await ic.createCanister();
    const indexId = await ic.createCanister();
    const init = ledgerInit({
        mintingAccount: { owner: minter.getPrincipal(), subaccount: [] },
        transferFee: 10_000n,
        initialBalances: [[holderAccount, 1n << 60n]],
        archiveController: minter.getPrincipal(),
        indexPrincipal: indexId
    });
    await ic.installCode({ canisterId: tokenId, wasm: wasms.token, arg: encodeLedgerArg(init) });
    const token = ic.createActor(tokenService.idlFactory as never, tokenId) as unknown as TokenActor;
    token.setIdentity(holder);
    progress(`${TRANSFERS} transfers on the token`);
    for (let i = 0; i < TRANSFERS; i++) {
        const now = BigInt(Math.round(await ic.getTime())) * 1_000_000n;
        const result = await token.icrc1_transfer(transfer(receiver, i, now));
        if (!('Ok' in result)) throw new Error(`transfer ${i} refused`);
    }
    const arg = ledgerIndexService.encodeInit(IDL, [
        [
            {
                Init: {
                    ledger_id: tokenId,
                    retrieve_blocks_from_ledger_interval_seconds: [],
                    min_retrieve_blocks_from_ledger_interval_seconds: [],
                    max_retrieve_blocks_from_ledger_interval_seconds: []
                }
            }
        ]
    ]);
    await ic.installCode({ canisterId: indexId, wasm: wasms.index, arg });
    const index = ic.createActor(ledgerIndexService.idlFactory as never, indexId) as unknown as IndexActor;
    progress('syncing the index, one page a message');
    // the first page holds the initial mint; the second is 100 transfers alike
    const perStep: bigint[] = [];
    let synced = 0n;
    while (synced <= BigInt(TRANSFERS)) {
        const before = ic.totalInstructions(indexId);
        await ic.advanceTime(1_000);
        await ic.tick();
        const now = (await index.status()).num_blocks_synced;
        if (now - synced === BigInt(MAX_BLOCKS_PER_SYNC)) perStep.push(ic.totalInstructions(indexId) - before);
        synced = now;
    }
    const fullPage = perStep[1] ?? perStep[0];
    if (fullPage === undefined) throw new Error('no sync step applied a full page');
    progress('get_account_transactions pages');
    const page = async (max: bigint) => {
        const answer = await index.get_account_transactions({ account: receiver, start: [], max_results: max });
        if (!('Ok' in answer) || answer.Ok.transactions.length !== Number(max)) throw new Error('a short page');
        return ic.lastInstructions(indexId);
    };
    const page10 = await page(10n);
    const page100 = await page(100n);
    await ic.tearDown();
    return {
        syncPerBlock: fullPage / BigInt(MAX_BLOCKS_PER_SYNC),
        page10,
        page100
    };
}
