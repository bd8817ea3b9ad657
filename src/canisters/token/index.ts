/**
 * The token canister: an ICRC ledger, a drop-in for DFINITY's (interface in `service.ts`). This file only
 * connects Azle to the ledger: the caller, the time, the stable maps and the certified data go in, the
 * ledger's answers come out. The rules live in `ledger.ts` and `rules.ts`, the layout in `state.ts`.
 */
import * as azle from 'azle';
import {
    certifiedDataSet,
    dataCertificate,
    inspectMessage,
    isController,
    msgArgData,
    msgCaller,
    msgMethodName,
    StableBTreeMap,
    time,
    trap
} from 'azle';

import { implement } from '../../candid';
import { type ByteMap, mapsOf, RAW_BYTES } from '../../ic/stable-maps';
import { preEncoded } from '../../candid/wire';
import type {
    Account,
    ApproveArgs,
    ApproveResult,
    BalanceQueryArgs,
    BalanceQueryResult,
    ConsentMessageRequest,
    ConsentMessageResponse,
    DataCertificate,
    GetAllowancesArgs,
    GetAllowancesResponse,
    GetArchivesArgs,
    GetBlocksArgs,
    GetBlocksResponse,
    GetFeeCollectorResult,
    GetIndexPrincipalResult,
    GetTransactionsRequest,
    GetTransactionsResponse,
    ICRC3DataCertificate,
    ICRC3Value,
    LedgerArg,
    MetadataValue,
    SetFeeCollectorArgs,
    SetFeeCollectorResult,
    TransferArg,
    TransferBatchResults,
    TransferFromArgs,
    TransferFromResult,
    TransferResult
} from '../../icrc/interface';
import { SponsoredCanister } from '../../sponsorship/canister';
import { sponsorshipEndpoints } from '../../sponsorship/endpoints';
import { Sponsorship } from '../../sponsorship/quota';
import { BLOCK_TYPES } from './blocks';
import { tipTreeCbor } from './tip-certificate';
import { applyUpgrade, configFromInit, MAX_TAKE_ALLOWANCES, metadataOf } from './config';
import { consentMessage } from './consent';
import { Ledger, MAX_QUERY_BATCH_SIZE, MAX_UPDATE_BATCH_SIZE } from './ledger';
import { transactionOf } from './legacy';
import { LedgerState, MEMORY, SPONSORSHIP_MEMORY } from './state';
import { tokenService } from './service';
import { argumentLimit, MAX_BLOCKS_PER_RESPONSE, MAX_TRANSACTIONS_PER_REQUEST, rangeOf } from './limits';

/** Stable maps with binary keys and values, opened on the memories `state.ts` assigns. */
const openStable = (id: number): ByteMap => new StableBTreeMap<Uint8Array, Uint8Array>(id, RAW_BYTES, RAW_BYTES);

const ledger = new Ledger(new LedgerState(mapsOf(MEMORY, openStable)), (data) => certifiedDataSet(data));

/** The wallet's metering of callers: off (nothing metered) until a wallet sets a policy. */
const sponsored = new SponsoredCanister(new Sponsorship(openStable(SPONSORSHIP_MEMORY)), azle);
const sponsorship = sponsored.sponsorship;

/** The methods `service.ts` declares metered run through `sponsored`. */
const api = implement(tokenService, azle, { meter: sponsored });

const STANDARDS = [
    { name: 'ICRC-1', url: 'https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-1' },
    { name: 'ICRC-2', url: 'https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-2' },
    { name: 'ICRC-3', url: 'https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-3' },
    { name: 'ICRC-4', url: 'https://github.com/dfinity/ICRC/issues/4' },
    { name: 'ICRC-10', url: 'https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-10/ICRC-10.md' },
    { name: 'ICRC-21', url: 'https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-21/ICRC-21.md' },
    { name: 'ICRC-103', url: 'https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-103/ICRC-103.md' },
    { name: 'ICRC-106', url: 'https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-106/ICRC-106.md' },
    { name: 'ICRC-107', url: 'https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-107/ICRC-107.md' }
];

function context() {
    return { caller: msgCaller(), now: time() };
}

function blocksIn(start: bigint, length: bigint, limit: number): { first: bigint; blocks: ICRC3Value[] } {
    const { first, end } = rangeOf(start, length, ledger.tip.length, limit);
    const blocks: ICRC3Value[] = [];
    for (let i = first; i < end; i++) blocks.push(ledger.state.block(i) as ICRC3Value);
    return { first, blocks };
}

/** The sponsorship methods come from `sponsorshipEndpoints` (`src/sponsorship/endpoints.ts`). */
export default class Token extends sponsorshipEndpoints(sponsored, azle) {
    @api.init()
    init(arg: LedgerArg): void {
        if (!('Init' in arg)) trap('the token must be installed with LedgerArg.Init');
        ledger.initialize(configFromInit(arg.Init), arg.Init.initial_balances, time());
        sponsored.start();
    }

    @api.postUpgrade()
    postUpgrade(arg: LedgerArg): void {
        if ('Init' in arg) trap('an upgrade takes LedgerArg.Upgrade, not Init');
        const [upgrade] = arg.Upgrade;
        if (upgrade !== undefined) ledger.setConfig(applyUpgrade(ledger.config, upgrade));
        ledger.state.migrateAllowanceIndex();
        ledger.certifyTip();
        sponsored.start();
    }

    /**
     * Refuses, before they cost the canister cycles, calls to unknown methods and arguments larger than the
     * method's largest valid one. The methods repeat every check: inspection does not run for inter-canister
     * calls, and a replica may skip it.
     */
    @inspectMessage({ manual: true })
    inspect(): boolean {
        const method = msgMethodName();
        const caller = msgCaller();
        if (!api.inspect(method, caller)) return false;
        if (msgArgData().length > argumentLimit(method, ledger.config.max_memo_length)) return false;
        // Who may call what: the sponsorship methods refuse callers without the role here, before they cost
        // anything. (ICRC-107 wants AccessDenied for a stranger's icrc107_set_fee_collector, so that one is
        // answered, and metered instead.)
        if (!sponsored.mayCall(caller, method)) return false;
        return sponsorship.check(caller, method, time()) === undefined;
    }

    // --- ICRC-1 ---

    @api.query('icrc1_name')
    icrc1_name(): string {
        return ledger.config.token_name;
    }

    @api.query('icrc1_symbol')
    icrc1_symbol(): string {
        return ledger.config.token_symbol;
    }

    @api.query('icrc1_decimals')
    icrc1_decimals(): number {
        return ledger.config.decimals;
    }

    @api.query('icrc1_metadata')
    icrc1_metadata(): [string, MetadataValue][] {
        return metadataOf(ledger.config);
    }

    @api.query('icrc1_total_supply')
    icrc1_total_supply(): bigint {
        return ledger.tip.total_supply;
    }

    @api.query('icrc1_fee')
    icrc1_fee(): bigint {
        return ledger.config.transfer_fee;
    }

    @api.query('icrc1_minting_account')
    icrc1_minting_account(): [] | [Account] {
        return [ledger.config.minting_account];
    }

    @api.query('icrc1_balance_of')
    icrc1_balance_of(account: Account): bigint {
        return ledger.balanceOf(account);
    }

    @api.update('icrc1_transfer')
    icrc1_transfer(arg: TransferArg): TransferResult {
        return ledger.transfer(context(), arg);
    }

    @api.query('icrc1_supported_standards')
    icrc1_supported_standards(): { name: string; url: string }[] {
        return STANDARDS;
    }

    @api.query('icrc10_supported_standards')
    icrc10_supported_standards(): { name: string; url: string }[] {
        return STANDARDS;
    }

    // --- ICRC-2 ---

    @api.update('icrc2_approve')
    icrc2_approve(arg: ApproveArgs): ApproveResult {
        return ledger.approve(context(), arg);
    }

    @api.query('icrc2_allowance')
    icrc2_allowance(arg: { account: Account; spender: Account }): { allowance: bigint; expires_at: [] | [bigint] } {
        return ledger.allowance(arg.account, arg.spender, time());
    }

    @api.update('icrc2_transfer_from')
    icrc2_transfer_from(arg: TransferFromArgs): TransferFromResult {
        return ledger.transferFrom(context(), arg);
    }

    // --- ICRC-3 ---

    @api.query('icrc3_get_blocks')
    icrc3_get_blocks(ranges: GetBlocksArgs[]) {
        let budget = MAX_BLOCKS_PER_RESPONSE;
        const blocks: { id: bigint; block: ICRC3Value }[] = [];
        for (const range of ranges) {
            if (budget === 0) break;
            const { first, end } = rangeOf(range.start, range.length, ledger.tip.length, budget);
            // Blocks are stored in the reply's own encoding: they are copied into it, not decoded and re-encoded.
            for (let id = first; id < end; id++)
                blocks.push({ id, block: preEncoded(ledger.state.blockBytes(id) as Uint8Array) });
            budget -= Number(end - first);
        }
        return { log_length: ledger.tip.length, blocks, archived_blocks: [] };
    }

    @api.query('icrc3_get_archives')
    icrc3_get_archives(_args: GetArchivesArgs): { canister_id: azle.Principal; start: bigint; end: bigint }[] {
        return []; // every block is kept in the ledger (stable memory holds hundreds of GiB)
    }

    @api.query('icrc3_get_tip_certificate')
    icrc3_get_tip_certificate(): [] | [ICRC3DataCertificate] {
        const certificate = dataCertificate();
        if (certificate === undefined || ledger.tip.last_hash.length === 0) return [];
        return [{ certificate, hash_tree: tipTreeCbor(ledger.tip) }];
    }

    @api.query('icrc3_supported_block_types')
    icrc3_supported_block_types(): { block_type: string; url: string }[] {
        return [...BLOCK_TYPES];
    }

    // --- the legacy interface ---

    @api.query('get_blocks')
    get_blocks(arg: GetBlocksArgs): GetBlocksResponse {
        const { first, blocks } = blocksIn(arg.start, arg.length, MAX_TRANSACTIONS_PER_REQUEST);
        return {
            first_index: first,
            chain_length: ledger.tip.length,
            certificate: certificateOrNone(),
            blocks,
            archived_blocks: []
        };
    }

    @api.query('get_transactions')
    get_transactions(arg: GetTransactionsRequest): GetTransactionsResponse {
        const { first, blocks } = blocksIn(arg.start, arg.length, MAX_TRANSACTIONS_PER_REQUEST);
        return {
            log_length: ledger.tip.length,
            first_index: first,
            transactions: blocks.map(transactionOf),
            archived_transactions: []
        };
    }

    @api.query('get_data_certificate')
    get_data_certificate(): DataCertificate {
        return { certificate: certificateOrNone(), hash_tree: tipTreeCbor(ledger.tip) };
    }

    @api.query('archives')
    archives(): { canister_id: azle.Principal; block_range_start: bigint; block_range_end: bigint }[] {
        return [];
    }

    @api.query('is_ledger_ready')
    is_ledger_ready(): boolean {
        return true;
    }

    // --- ICRC-21, ICRC-103, ICRC-106 ---

    @api.update('icrc21_canister_call_consent_message')
    icrc21_canister_call_consent_message(request: ConsentMessageRequest): ConsentMessageResponse {
        return consentMessage(request, ledger.config);
    }

    @api.query('icrc103_get_allowances')
    icrc103_get_allowances(arg: GetAllowancesArgs): GetAllowancesResponse {
        const from: Account = arg.from_account[0] ?? { owner: msgCaller(), subaccount: [] };
        const requested = arg.take[0] ?? MAX_TAKE_ALLOWANCES;
        const take = Number(requested < MAX_TAKE_ALLOWANCES ? requested : MAX_TAKE_ALLOWANCES);
        return { Ok: ledger.allowancesOf(from, arg.prev_spender[0], take, time()) };
    }

    @api.query('icrc106_get_index_principal')
    icrc106_get_index_principal(): GetIndexPrincipalResult {
        const [index] = ledger.config.index_principal;
        return index === undefined ? { Err: { IndexPrincipalNotSet: null } } : { Ok: index };
    }

    // --- ICRC-4 ---

    @api.update('icrc4_transfer_batch')
    icrc4_transfer_batch(args: TransferArg[]): TransferBatchResults {
        return ledger.transferBatch(context(), args);
    }

    @api.query('icrc4_balance_of_batch')
    icrc4_balance_of_batch(arg: BalanceQueryArgs): BalanceQueryResult {
        if (arg.accounts.length > MAX_QUERY_BATCH_SIZE) trap(`a balance batch holds at most ${MAX_QUERY_BATCH_SIZE} accounts`);
        return arg.accounts.map((account) => [account, ledger.balanceOf(account)]);
    }

    @api.query('icrc4_maximum_update_batch_size')
    icrc4_maximum_update_batch_size(): [] | [bigint] {
        return [BigInt(MAX_UPDATE_BATCH_SIZE)];
    }

    @api.query('icrc4_maximum_query_batch_size')
    icrc4_maximum_query_batch_size(): [] | [bigint] {
        return [BigInt(MAX_QUERY_BATCH_SIZE)];
    }

    // --- ICRC-107 ---

    @api.update('icrc107_set_fee_collector')
    icrc107_set_fee_collector(arg: SetFeeCollectorArgs): SetFeeCollectorResult {
        const ctx = context();
        return ledger.setFeeCollector(ctx, arg, isController(ctx.caller));
    }

    @api.query('icrc107_get_fee_collector')
    icrc107_get_fee_collector(): GetFeeCollectorResult {
        return { Ok: ledger.config.fee_collector };
    }
}

function certificateOrNone(): [] | [Uint8Array] {
    const certificate = dataCertificate();
    return certificate === undefined ? [] : [certificate];
}
