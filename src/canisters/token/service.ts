/**
 * The token's public interface: every method of DFINITY's ICRC ledger (`icrc_ledger.did`, IC commit 606cab7),
 * with its types and init argument, so deployment scripts and clients written for that ledger work unchanged;
 * then what this ledger adds: ICRC-4 batches, ICRC-107 fee collection and the sponsorship methods through which
 * its wallet meters callers ({@link TOKEN_EXTENSIONS}). A test
 * checks it against the official file, method by method. The implementation is `index.ts`.
 */
import { c, defineService, query, update } from '../../candid';
import {
    Account,
    Allowance,
    BalanceQueryArgs,
    BalanceQueryResult,
    AllowanceArgs,
    ApproveArgs,
    ApproveResult,
    ArchiveInfo,
    BlockType,
    ConsentMessageRequest,
    ConsentMessageResponse,
    DataCertificate,
    GetAllowancesArgs,
    GetAllowancesResponse,
    GetArchivesArgs,
    GetArchivesResult,
    GetBlocksArgs,
    GetBlocksResponse,
    GetBlocksResult,
    GetFeeCollectorResult,
    GetIndexPrincipalResult,
    GetTransactionsRequest,
    GetTransactionsResponse,
    ICRC3DataCertificate,
    LedgerArg,
    Metadata,
    SetFeeCollectorArgs,
    SetFeeCollectorResult,
    StandardRecord,
    Tokens,
    TransferArg,
    TransferBatchArgs,
    TransferBatchResults,
    TransferFromArgs,
    TransferFromResult,
    TransferResult
} from '../../icrc/interface';
import { SPONSORSHIP_REFUSED_ERROR_CODE, sponsorshipMethods } from '../../sponsorship/policy';

/** The methods this ledger serves beyond DFINITY's. */
export const TOKEN_EXTENSIONS = [
    'icrc4_transfer_batch',
    'icrc4_balance_of_batch',
    'icrc4_maximum_update_batch_size',
    'icrc4_maximum_query_batch_size',
    'icrc107_set_fee_collector',
    'icrc107_get_fee_collector',
    ...(Object.keys(sponsorshipMethods) as (keyof typeof sponsorshipMethods)[])
] as const;

const genericError = (message: string) => ({ Err: { GenericError: { error_code: 0n, message } } });
/** What a call the sponsorship policy refuses gets: a GenericError whose message names the limit. */
const throttled = (message: string) => ({ Err: { GenericError: { error_code: SPONSORSHIP_REFUSED_ERROR_CODE, message } } });
/** The same for each transfer of a refused batch. */
const throttledBatch = (message: string, transfers: readonly unknown[]) =>
    transfers.map(() => [throttled(message)] as [ReturnType<typeof throttled>]);
/** ICRC-21's error for a refused consent request (anyone may ask, so it is metered like the transfers it describes). */
const throttledConsent = (description: string) => ({
    Err: { GenericError: { error_code: SPONSORSHIP_REFUSED_ERROR_CODE, description } }
});

export const tokenService = defineService({
    init: [LedgerArg],
    methods: {
        archives: query([], c.vec(ArchiveInfo)),
        get_transactions: query([GetTransactionsRequest], GetTransactionsResponse),
        get_blocks: query([GetBlocksArgs], GetBlocksResponse),
        get_data_certificate: query([], DataCertificate),

        icrc1_name: query([], c.text()),
        icrc1_symbol: query([], c.text()),
        icrc1_decimals: query([], c.nat8()),
        icrc1_metadata: query([], Metadata),
        icrc1_total_supply: query([], Tokens),
        icrc1_fee: query([], Tokens),
        icrc1_minting_account: query([], c.opt(Account)),
        icrc1_balance_of: query([Account], Tokens),
        icrc1_transfer: update([TransferArg], TransferResult, { invalid: genericError, metered: throttled }),
        icrc1_supported_standards: query([], c.vec(StandardRecord)),

        icrc2_approve: update([ApproveArgs], ApproveResult, { invalid: genericError, metered: throttled }),
        icrc2_allowance: query([AllowanceArgs], Allowance),
        icrc2_transfer_from: update([TransferFromArgs], TransferFromResult, { invalid: genericError, metered: throttled }),

        icrc3_get_archives: query([GetArchivesArgs], GetArchivesResult),
        icrc3_get_tip_certificate: query([], c.opt(ICRC3DataCertificate)),
        icrc3_get_blocks: query([c.vec(GetBlocksArgs)], GetBlocksResult),
        icrc3_supported_block_types: query([], c.vec(BlockType)),

        icrc21_canister_call_consent_message: update([ConsentMessageRequest], ConsentMessageResponse, {
            metered: throttledConsent
        }),
        icrc10_supported_standards: query([], c.vec(c.record({ name: c.text(), url: c.text() }))),
        icrc103_get_allowances: query([GetAllowancesArgs], GetAllowancesResponse),
        icrc106_get_index_principal: query([], GetIndexPrincipalResult),
        is_ledger_ready: query([], c.bool()),

        icrc4_transfer_batch: update([TransferBatchArgs], TransferBatchResults, { metered: throttledBatch }),
        icrc4_balance_of_batch: query([BalanceQueryArgs], BalanceQueryResult),
        icrc4_maximum_update_batch_size: query([], c.opt(c.nat())),
        icrc4_maximum_query_batch_size: query([], c.opt(c.nat())),
        icrc107_set_fee_collector: update([SetFeeCollectorArgs], SetFeeCollectorResult, {
            invalid: genericError,
            metered: throttled
        }),
        icrc107_get_fee_collector: query([], GetFeeCollectorResult),
        ...sponsorshipMethods
    }
});
