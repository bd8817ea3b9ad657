/**
 * The ledger index canister: DFINITY's index-ng interface over the token's blocks (interface in `service.ts`).
 * This file only connects Azle to the index: the timer that syncs, the calls to the ledger and its archives,
 * and the stable maps go in; the index's answers come out. The rules live in `indexer.ts` and `sync.ts`, the
 * block reading in `blocks.ts`, the layout in `state.ts`.
 */
import type { Principal } from '@dfinity/principal';
import * as azle from 'azle';
import { call, setTimer, StableBTreeMap, trap } from 'azle';

import { c, type FuncRef, implement } from '../../candid';
import { decoder, encoder } from '../../candid/wire';
import { type Account, GetBlocksArgs, GetBlocksResult, type Transaction, type Value } from '../../icrc/interface';
import { type ByteMap, mapsOf, RAW_BYTES } from '../../ic/stable-maps';
import { LedgerIndex } from './indexer';
import { ledgerIndexService } from './service';
import { type IndexConfig, IndexState, MEMORY } from './state';
import { type BlocksPage, syncStep } from './sync';

/** index-ng's defaults: ask every second while blocks come, back off to every 10 s while none do. */
const DEFAULT_MIN_INTERVAL_SECONDS = 1n;
const DEFAULT_MAX_INTERVAL_SECONDS = 10n;

const openStable = (id: number): ByteMap => new StableBTreeMap<Uint8Array, Uint8Array>(id, RAW_BYTES, RAW_BYTES);

const api = implement(ledgerIndexService, azle);
const index = new LedgerIndex(new IndexState(mapsOf(MEMORY, openStable)));

const encodeRanges = encoder([c.vec(GetBlocksArgs)]);
const decodeResult = decoder([GetBlocksResult]);

type RawResult = {
    log_length: bigint;
    blocks: { id: bigint; block: BlocksPage['blocks'][number]['block'] }[];
    archived_blocks: { args: { start: bigint; length: bigint }[]; callback: FuncRef }[];
};

/** `icrc3_get_blocks` on a canister (the ledger, or an archive's callback), as a page the sync step reads. */
async function fetchBlocks(
    canister: Principal,
    method: string,
    ranges: { start: bigint; length: bigint }[]
): Promise<BlocksPage> {
    const reply = await call<Uint8Array, Uint8Array>(canister, method, { raw: true, args: encodeRanges([ranges]) });
    const [result] = decodeResult(reply) as [RawResult];
    return {
        log_length: result.log_length,
        blocks: result.blocks,
        // an archive's answer names no further archives; only the ledger's callbacks are followed
        archived_blocks: result.archived_blocks.map(({ args, callback: [archive, name] }) => ({
            args,
            fetch: () => fetchBlocks(archive, name, args)
        }))
    };
}

/** The sync loop's pace: the next delay, between the configured minimum and maximum. */
let intervalSeconds = DEFAULT_MIN_INTERVAL_SECONDS;

/** Runs one sync step, then arms the next: at once while behind, sooner after blocks came, later after none. */
async function syncAndRearm(): Promise<void> {
    const config = index.config;
    try {
        const outcome = await syncStep(index, (start, length) =>
            fetchBlocks(config.ledger_id, 'icrc3_get_blocks', [{ start, length }])
        );
        if (outcome.behind) intervalSeconds = 0n;
        else if (outcome.applied > 0) intervalSeconds = config.min_interval_seconds;
        else intervalSeconds = min(intervalSeconds * 2n || 1n, config.max_interval_seconds);
    } catch {
        // the ledger did not answer (stopped, upgrading, out of cycles): try again after the longest pause
        intervalSeconds = config.max_interval_seconds;
    }
    if (index.sync.halted.length > 0) return;
    setTimer(Number(intervalSeconds), syncAndRearm);
}

function min(a: bigint, b: bigint): bigint {
    return a < b ? a : b;
}

type IntervalArgs = {
    retrieve_blocks_from_ledger_interval_seconds: [] | [bigint];
    min_retrieve_blocks_from_ledger_interval_seconds: [] | [bigint];
    max_retrieve_blocks_from_ledger_interval_seconds: [] | [bigint];
};

/** The intervals an argument sets, as index-ng reads them: the legacy fixed one, or a minimum and a maximum. */
function intervals(arg: IntervalArgs, current: Pick<IndexConfig, 'min_interval_seconds' | 'max_interval_seconds'>) {
    const [fixed] = arg.retrieve_blocks_from_ledger_interval_seconds;
    const [low] = arg.min_retrieve_blocks_from_ledger_interval_seconds;
    const [high] = arg.max_retrieve_blocks_from_ledger_interval_seconds;
    if (fixed !== undefined && (low !== undefined || high !== undefined))
        trap('retrieve_blocks_from_ledger_interval_seconds cannot be set together with the minimum or maximum interval');
    const min_interval_seconds = fixed ?? low ?? current.min_interval_seconds;
    const max_interval_seconds = fixed ?? high ?? current.max_interval_seconds;
    if (min_interval_seconds > max_interval_seconds) trap('the minimum interval is longer than the maximum');
    return { min_interval_seconds, max_interval_seconds };
}

export default class LedgerIndexCanister {
    @api.init()
    init(arg: [] | [{ Init: IntervalArgs & { ledger_id: Principal } } | { Upgrade: unknown }]): void {
        const [given] = arg;
        if (given === undefined || !('Init' in given)) trap('the index must be installed with IndexArg.Init naming the ledger');
        const defaults = {
            min_interval_seconds: DEFAULT_MIN_INTERVAL_SECONDS,
            max_interval_seconds: DEFAULT_MAX_INTERVAL_SECONDS
        };
        index.state.writeConfig({ ledger_id: given.Init.ledger_id, ...intervals(given.Init, defaults) });
        setTimer(0, syncAndRearm);
    }

    @api.postUpgrade()
    postUpgrade(arg: [] | [{ Init: unknown } | { Upgrade: IntervalArgs & { ledger_id: [] | [Principal] } }]): void {
        const [given] = arg;
        if (given !== undefined) {
            if ('Init' in given) trap('an upgrade takes IndexArg.Upgrade, not Init');
            const config = index.config;
            const [ledger] = given.Upgrade.ledger_id;
            if (ledger !== undefined && ledger.compareTo(config.ledger_id) !== 'eq' && index.sync.synced > 0n)
                trap('the index already holds another ledger’s blocks: reinstall it to index a new ledger');
            index.state.writeConfig({ ledger_id: ledger ?? config.ledger_id, ...intervals(given.Upgrade, config) });
        }
        setTimer(0, syncAndRearm);
    }

    @api.query('ledger_id')
    ledger_id(): Principal {
        return index.config.ledger_id;
    }

    @api.query('status')
    status(): { num_blocks_synced: bigint } {
        return { num_blocks_synced: index.sync.synced };
    }

    @api.query('icrc1_balance_of')
    icrc1_balance_of(account: Account): bigint {
        return index.balanceOf(account);
    }

    @api.query('get_account_transactions')
    get_account_transactions(arg: {
        account: Account;
        start: [] | [bigint];
        max_results: bigint;
    }):
        | { Ok: { balance: bigint; transactions: { id: bigint; transaction: Transaction }[]; oldest_tx_id: [] | [bigint] } }
        | { Err: { message: string } } {
        return { Ok: index.accountTransactions(arg.account, arg.start, arg.max_results) };
    }

    @api.query('list_subaccounts')
    list_subaccounts(arg: { owner: Principal; start: [] | [Uint8Array] }): Uint8Array[] {
        return index.listSubaccounts(arg.owner, arg.start);
    }

    @api.query('get_blocks')
    get_blocks(arg: { start: bigint; length: bigint }): { chain_length: bigint; blocks: Value[] } {
        return index.blocks(arg.start, arg.length);
    }

    @api.query('get_fee_collectors_ranges')
    get_fee_collectors_ranges(): { ranges: [Account, [bigint, bigint][]][] } {
        return index.feeCollectorRanges();
    }
}
