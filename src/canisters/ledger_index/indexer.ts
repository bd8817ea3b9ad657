/**
 * The index's rules over its state: applying a ledger block (balances, each account's history, the fee
 * collector) and answering index-ng's queries. Nothing here touches Azle or the network, so the same code runs in
 * unit tests on heap maps; the canister (`index.ts`) and the sync loop (`sync.ts`) feed it blocks in order.
 *
 * A block is read whole before anything is written, and a block the index cannot read or that would take an
 * account below zero halts syncing there (the reason is kept in the sync state): a wrong balance is worse than a
 * late one.
 */
import { uint8Equals } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import type { Account, ICRC3Value, Value } from '../../icrc/interface';
import { sameAccount } from '../../icrc/accounts';
import { accountKey } from '../token/accounts';
import { accountsOf, BlockDecodeError, decodeBlock, type IndexedBlock, transactionOf } from './blocks';
import { type IndexConfig, type IndexState, type SyncState } from './state';

/** Transactions one `get_account_transactions` answers at most: bounds a query's instructions. */
export const MAX_TRANSACTIONS_PER_RESPONSE = 500;
/** Subaccounts one `list_subaccounts` answers at most (index-ng's page). */
export const MAX_SUBACCOUNTS_PER_RESPONSE = 1_000;
/** Blocks one `get_blocks` answers at most (the ledger's own legacy page). */
export const MAX_BLOCKS_PER_RESPONSE = 2_000;

/** A debit or credit of one account. */
type Movement = { readonly account: Account; readonly delta: bigint };

export class LedgerIndex {
    private syncCache: SyncState | undefined;

    constructor(readonly state: IndexState) {}

    get config(): IndexConfig {
        const config = this.state.readConfig();
        if (config === undefined) throw new Error('the index is not initialised: it has no ledger');
        return config;
    }

    get sync(): SyncState {
        this.syncCache ??= this.state.readSync();
        return this.syncCache;
    }

    private writeSync(sync: SyncState): void {
        this.syncCache = sync;
        this.state.writeSync(sync);
    }

    /** Stops syncing at the current block, keeping the reason. */
    halt(reason: string): void {
        this.writeSync({ ...this.sync, halted: [reason] });
    }

    /**
     * Applies block `id`, which must be the next one; returns false (and halts) when the block cannot be read or
     * does not add up.
     */
    apply(id: bigint, value: ICRC3Value): boolean {
        const sync = this.sync;
        if (sync.halted.length > 0) return false;
        if (id !== sync.synced) throw new Error(`block ${id} is not the next one (${sync.synced})`);
        let block: IndexedBlock;
        let movements: Movement[];
        try {
            block = decodeBlock(id, value);
            movements = this.movementsOf(block, sync);
            this.checkFunds(id, movements);
        } catch (error) {
            if (!(error instanceof BlockDecodeError)) throw error;
            this.halt(error.message);
            return false;
        }
        for (const { account, delta } of movements) {
            const key = accountKey(account);
            const entry = this.state.account(key);
            this.state.writeAccount(key, { ...entry, balance: entry.balance + delta });
        }
        const touched: Uint8Array[] = [];
        for (const account of accountsOf(block)) {
            const key = accountKey(account);
            if (touched.some((k) => uint8Equals(k, key))) continue;
            touched.push(key);
            this.state.addToHistory(key, id);
        }
        this.state.appendBlock(id, value);
        this.writeSync({ ...this.nextFeeCollector(id, block, sync), synced: id + 1n });
        return true;
    }

    /** The balance changes a block makes; fees go to the collector in force, else they are burned. */
    private movementsOf(block: IndexedBlock, sync: SyncState): Movement[] {
        const out: Movement[] = [];
        const from = block.from as Account;
        const collector = this.collectorFor(block, sync);
        switch (block.kind) {
            case 'mint':
                out.push({ account: block.to as Account, delta: block.amount });
                break;
            case 'burn':
                out.push({ account: from, delta: -block.amount });
                break;
            case 'transfer':
                out.push(
                    { account: from, delta: -(block.amount + block.fee) },
                    { account: block.to as Account, delta: block.amount }
                );
                break;
            case 'approve':
                out.push({ account: from, delta: -block.fee });
                break;
            case 'fee_collector':
                break;
        }
        if (collector !== undefined && block.fee > 0n && (block.kind === 'transfer' || block.kind === 'approve'))
            out.push({ account: collector, delta: block.fee });
        return out;
    }

    /**
     * Who takes this block's fee: ICRC-107's collector once a `107feecol` block was seen (every fee); before that
     * the legacy `fee_col` (transfer fees only, as DFINITY's ledger collects them).
     */
    private collectorFor(block: IndexedBlock, sync: SyncState): Account | undefined {
        if (sync.icrc107) return sync.fee_collector[0];
        const legacy = block.legacyFeeCollector ?? sync.legacy_fee_collector[0];
        return block.kind === 'transfer' ? legacy : undefined;
    }

    private nextFeeCollector(id: bigint, block: IndexedBlock, sync: SyncState): SyncState {
        if (block.kind === 'fee_collector') {
            const collector = block.feeCollector?.[0];
            this.state.recordFeeCollector(id, collector);
            return { ...sync, icrc107: true, fee_collector: collector === undefined ? [] : [collector] };
        }
        const legacy = block.legacyFeeCollector;
        if (!sync.icrc107 && legacy !== undefined) {
            const current = sync.legacy_fee_collector[0];
            if (current === undefined || !sameAccount(current, legacy)) this.state.recordFeeCollector(id, legacy);
            return { ...sync, legacy_fee_collector: [legacy] };
        }
        return sync;
    }

    private checkFunds(id: bigint, movements: readonly Movement[]): void {
        const after = new Map<string, bigint>();
        for (const { account, delta } of movements) {
            const key = accountKey(account);
            const name = key.join(',');
            const balance = (after.get(name) ?? this.state.account(key).balance) + delta;
            if (balance < 0n)
                throw new BlockDecodeError(`block ${id}: takes ${account.owner.toText()}'s balance below zero (${balance})`);
            after.set(name, balance);
        }
    }

    // --- queries ---

    balanceOf(account: Account): bigint {
        return this.state.account(accountKey(account)).balance;
    }

    /** index-ng's `get_account_transactions`: newest first, from before `start`, at most the page. */
    accountTransactions(account: Account, start: [] | [bigint], maxResults: bigint) {
        const max = Number(maxResults < BigInt(MAX_TRANSACTIONS_PER_RESPONSE) ? maxResults : MAX_TRANSACTIONS_PER_RESPONSE);
        const key = accountKey(account);
        const entry = this.state.account(key);
        const transactions = this.state.history(account, start[0], max).map((id) => {
            const block = this.state.block(id) as ICRC3Value;
            return { id, transaction: transactionOf(decodeBlock(id, block)) };
        });
        return {
            balance: entry.balance,
            transactions,
            oldest_tx_id: entry.oldest === undefined ? ([] as []) : ([entry.oldest] as [bigint])
        };
    }

    listSubaccounts(owner: Principal, start: [] | [Uint8Array]): Uint8Array[] {
        return this.state.subaccounts(owner, start[0], MAX_SUBACCOUNTS_PER_RESPONSE);
    }

    /** index-ng's `get_blocks`: the synced blocks from `start`, at most the page. */
    blocks(start: bigint, length: bigint): { chain_length: bigint; blocks: Value[] } {
        const synced = this.sync.synced;
        const end = [start + length, start + BigInt(MAX_BLOCKS_PER_RESPONSE), synced].reduce((a, b) => (a < b ? a : b));
        const blocks: Value[] = [];
        for (let id = start; id < end; id++) blocks.push(this.state.block(id) as Value);
        return { chain_length: synced, blocks };
    }

    /** Each fee collector with the block ranges `[from, to)` in which it took the fees. */
    feeCollectorRanges(): { ranges: [Account, [bigint, bigint][]][] } {
        const changes = this.state.feeCollectorChanges();
        const ranges: [Account, [bigint, bigint][]][] = [];
        changes.forEach((change, i) => {
            if (change.collector === undefined) return;
            const end = changes[i + 1]?.from ?? this.sync.synced;
            const held = ranges.find(([account]) => sameAccount(account, change.collector as Account));
            if (held === undefined) ranges.push([change.collector, [[change.from, end]]]);
            else held[1].push([change.from, end]);
        });
        return { ranges };
    }
}
