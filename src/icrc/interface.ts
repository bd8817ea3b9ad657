/**
 * The ICRC ledger types, as DFINITY's ledger declares them (`rs/ledger_suite/icrc1/ledger/ledger.did`, IC commit
 * 606cab7, shipped by @icp-sdk/canisters as `declarations/ledger-icrc/icrc_ledger.did`). Same names and shapes, so
 * the token is a drop-in for that ledger; a test compares them type by type with the official file.
 */
import * as z from 'zod/mini';

import { c, type FuncRef } from '../candid';

/** ICRC-1: a subaccount is 32 bytes. */
export const SUBACCOUNT_BYTES = 32;

export const BlockIndex = c.named('BlockIndex', c.nat());
export const Subaccount = c.named(
    'Subaccount',
    c.blob().check(z.length(SUBACCOUNT_BYTES, { error: `a subaccount is ${SUBACCOUNT_BYTES} bytes` }))
);
export const Timestamp = c.named('Timestamp', c.nat64());
export const Tokens = c.named('Tokens', c.nat());
export const TxIndex = c.named('TxIndex', c.nat());

export const Account = c.named('Account', c.record({ owner: c.principal(), subaccount: c.opt(Subaccount) }));

const GenericError = c.record({ error_code: c.nat(), message: c.text() });

export const MetadataValue = c.named('MetadataValue', c.variant({ Nat: c.nat(), Int: c.int(), Text: c.text(), Blob: c.blob() }));
export const Metadata = c.vec(c.tuple(c.text(), MetadataValue));

// --- ICRC-1 ---

/** What a transfer and a transfer_from both say: where to, how much, the fee, the memo, when. */
const transferFields = {
    to: Account,
    amount: Tokens,
    fee: c.opt(Tokens),
    memo: c.opt(c.blob()),
    created_at_time: c.opt(Timestamp)
};

export const TransferArg = c.named('TransferArg', c.record({ from_subaccount: c.opt(Subaccount), ...transferFields }));

/** The errors of a transfer; a transfer_from can also lack the allowance. */
const transferErrors = {
    BadFee: c.record({ expected_fee: Tokens }),
    BadBurn: c.record({ min_burn_amount: Tokens }),
    InsufficientFunds: c.record({ balance: Tokens }),
    TooOld: c.null(),
    CreatedInFuture: c.record({ ledger_time: Timestamp }),
    TemporarilyUnavailable: c.null(),
    Duplicate: c.record({ duplicate_of: BlockIndex }),
    GenericError
};

export const TransferError = c.named('TransferError', c.variant(transferErrors));
export const TransferResult = c.named('TransferResult', c.variant({ Ok: BlockIndex, Err: TransferError }));
export const StandardRecord = c.named('StandardRecord', c.record({ url: c.text(), name: c.text() }));

// --- ICRC-2 ---

/** What an approval says, in the request and in the recorded transaction. */
const approveFields = {
    fee: c.opt(c.nat()),
    memo: c.opt(c.blob()),
    created_at_time: c.opt(Timestamp),
    amount: c.nat(),
    expected_allowance: c.opt(c.nat()),
    expires_at: c.opt(Timestamp),
    spender: Account
};

export const ApproveArgs = c.named('ApproveArgs', c.record({ from_subaccount: c.opt(c.blob()), ...approveFields }));
export const ApproveError = c.named(
    'ApproveError',
    c.variant({
        GenericError,
        TemporarilyUnavailable: c.null(),
        Duplicate: c.record({ duplicate_of: BlockIndex }),
        BadFee: c.record({ expected_fee: c.nat() }),
        AllowanceChanged: c.record({ current_allowance: c.nat() }),
        CreatedInFuture: c.record({ ledger_time: Timestamp }),
        TooOld: c.null(),
        Expired: c.record({ ledger_time: Timestamp }),
        InsufficientFunds: c.record({ balance: c.nat() })
    })
);
export const ApproveResult = c.named('ApproveResult', c.variant({ Ok: BlockIndex, Err: ApproveError }));
export const AllowanceArgs = c.named('AllowanceArgs', c.record({ account: Account, spender: Account }));
export const Allowance = c.named('Allowance', c.record({ allowance: c.nat(), expires_at: c.opt(Timestamp) }));
export const TransferFromArgs = c.named(
    'TransferFromArgs',
    c.record({ spender_subaccount: c.opt(Subaccount), from: Account, ...transferFields })
);
export const TransferFromError = c.named(
    'TransferFromError',
    c.variant({ ...transferErrors, InsufficientAllowance: c.record({ allowance: Tokens }) })
);
export const TransferFromResult = c.named('TransferFromResult', c.variant({ Ok: BlockIndex, Err: TransferFromError }));

// --- ICRC-3 ---

export type ICRC3Value =
    | { Blob: Uint8Array }
    | { Text: string }
    | { Nat: bigint }
    | { Int: bigint }
    | { Array: ICRC3Value[] }
    | { Map: [string, ICRC3Value][] };
export const ICRC3Value: z.ZodMiniType<ICRC3Value> = c.named(
    'ICRC3Value',
    c.rec(() =>
        c.variant({
            Blob: c.blob(),
            Text: c.text(),
            Nat: c.nat(),
            Int: c.int(),
            Array: c.vec(ICRC3Value),
            Map: c.vec(c.tuple(c.text(), ICRC3Value))
        })
    )
);

export const GetBlocksArgs = c.named('GetBlocksArgs', c.record({ start: BlockIndex, length: c.nat() }));
export const GetArchivesArgs = c.named('GetArchivesArgs', c.record({ from: c.opt(c.principal()) }));
export const GetArchivesResult = c.named(
    'GetArchivesResult',
    c.vec(c.record({ canister_id: c.principal(), start: c.nat(), end: c.nat() }))
);

type GetBlocksResult = {
    log_length: bigint;
    blocks: { id: bigint; block: ICRC3Value }[];
    archived_blocks: { args: { start: bigint; length: bigint }[]; callback: FuncRef }[];
};
export const GetBlocksResult: z.ZodMiniType<GetBlocksResult> = c.named(
    'GetBlocksResult',
    c.rec(() =>
        c.record({
            log_length: c.nat(),
            blocks: c.vec(c.record({ id: c.nat(), block: ICRC3Value })),
            archived_blocks: c.vec(
                c.record({ args: c.vec(GetBlocksArgs), callback: c.func([c.vec(GetBlocksArgs)], [GetBlocksResult], ['query']) })
            )
        })
    )
);
export const ICRC3DataCertificate = c.named('ICRC3DataCertificate', c.record({ certificate: c.blob(), hash_tree: c.blob() }));
export const BlockType = c.record({ block_type: c.text(), url: c.text() });

// --- the legacy interface index canisters and Rosetta read ---

/** The legacy block value: ICRC-3's, plus Nat64, nested as itself. */
export type Value =
    | { Blob: Uint8Array }
    | { Text: string }
    | { Nat: bigint }
    | { Nat64: bigint }
    | { Int: bigint }
    | { Array: Value[] }
    | { Map: [string, Value][] };
export const Value: z.ZodMiniType<Value> = c.named(
    'Value',
    c.rec(() =>
        c.variant({
            Blob: c.blob(),
            Text: c.text(),
            Nat: c.nat(),
            Nat64: c.nat64(),
            Int: c.int(),
            Array: c.vec(Value),
            Map: c.named('Map', c.vec(c.tuple(c.text(), Value)))
        })
    )
);
export const Block = c.named('Block', Value);
export const GetTransactionsRequest = c.named('GetTransactionsRequest', c.record({ start: TxIndex, length: c.nat() }));

const Burn = c.named(
    'Burn',
    c.record({
        from: Account,
        memo: c.opt(c.blob()),
        created_at_time: c.opt(Timestamp),
        amount: c.nat(),
        spender: c.opt(Account),
        fee: c.opt(c.nat())
    })
);
const Mint = c.named(
    'Mint',
    c.record({ to: Account, memo: c.opt(c.blob()), created_at_time: c.opt(Timestamp), amount: c.nat(), fee: c.opt(c.nat()) })
);
const Approve = c.named('Approve', c.record({ from: Account, ...approveFields }));
const Transfer = c.named(
    'Transfer',
    c.record({
        to: Account,
        fee: c.opt(c.nat()),
        from: Account,
        memo: c.opt(c.blob()),
        created_at_time: c.opt(Timestamp),
        amount: c.nat(),
        spender: c.opt(Account)
    })
);
const FeeCollector = c.named(
    'FeeCollector',
    c.record({ caller: c.opt(c.principal()), fee_collector: c.opt(Account), ts: c.opt(c.nat64()), mthd: c.opt(c.text()) })
);
export const Transaction = c.named(
    'Transaction',
    c.record({
        burn: c.opt(Burn),
        kind: c.text(),
        mint: c.opt(Mint),
        approve: c.opt(Approve),
        fee_collector: c.opt(FeeCollector),
        timestamp: Timestamp,
        transfer: c.opt(Transfer)
    })
);
const TransactionRange = c.named('TransactionRange', c.record({ transactions: c.vec(Transaction) }));
const QueryArchiveFn = c.named('QueryArchiveFn', c.func([GetTransactionsRequest], [TransactionRange], ['query']));
export const GetTransactionsResponse = c.named(
    'GetTransactionsResponse',
    c.record({
        log_length: c.nat(),
        transactions: c.vec(Transaction),
        first_index: TxIndex,
        archived_transactions: c.vec(c.record({ start: TxIndex, length: c.nat(), callback: QueryArchiveFn }))
    })
);
const BlockRange = c.named('BlockRange', c.record({ blocks: c.vec(Block) }));
const QueryBlockArchiveFn = c.named('QueryBlockArchiveFn', c.func([GetBlocksArgs], [BlockRange], ['query']));
export const GetBlocksResponse = c.named(
    'GetBlocksResponse',
    c.record({
        first_index: BlockIndex,
        chain_length: c.nat64(),
        certificate: c.opt(c.blob()),
        blocks: c.vec(Block),
        archived_blocks: c.vec(c.record({ start: BlockIndex, length: c.nat(), callback: QueryBlockArchiveFn }))
    })
);
export const DataCertificate = c.named('DataCertificate', c.record({ certificate: c.opt(c.blob()), hash_tree: c.blob() }));
export const ArchiveInfo = c.named(
    'ArchiveInfo',
    c.record({ canister_id: c.principal(), block_range_start: BlockIndex, block_range_end: BlockIndex })
);

// --- init and upgrade ---

const FeatureFlags = c.named('FeatureFlags', c.record({ icrc2: c.bool() }));
export const InitArgs = c.named(
    'InitArgs',
    c.record({
        minting_account: Account,
        fee_collector_account: c.opt(Account),
        transfer_fee: c.nat(),
        decimals: c.opt(c.nat8()),
        max_memo_length: c.opt(c.nat16()),
        token_symbol: c.text(),
        token_name: c.text(),
        metadata: Metadata,
        initial_balances: c.vec(c.tuple(Account, c.nat())),
        feature_flags: c.opt(FeatureFlags),
        archive_options: c.record({
            num_blocks_to_archive: c.nat64(),
            max_transactions_per_response: c.opt(c.nat64()),
            trigger_threshold: c.nat64(),
            max_message_size_bytes: c.opt(c.nat64()),
            cycles_for_archive_creation: c.opt(c.nat64()),
            node_max_memory_size_bytes: c.opt(c.nat64()),
            controller_id: c.principal(),
            more_controller_ids: c.opt(c.vec(c.principal()))
        }),
        index_principal: c.opt(c.principal())
    })
);
const ChangeFeeCollector = c.named('ChangeFeeCollector', c.variant({ Unset: c.null(), SetTo: Account }));
const ChangeArchiveOptions = c.named(
    'ChangeArchiveOptions',
    c.record({
        num_blocks_to_archive: c.opt(c.nat64()),
        max_transactions_per_response: c.opt(c.nat64()),
        trigger_threshold: c.opt(c.nat64()),
        max_message_size_bytes: c.opt(c.nat64()),
        cycles_for_archive_creation: c.opt(c.nat64()),
        node_max_memory_size_bytes: c.opt(c.nat64()),
        controller_id: c.opt(c.principal()),
        more_controller_ids: c.opt(c.vec(c.principal()))
    })
);
export const UpgradeArgs = c.named(
    'UpgradeArgs',
    c.record({
        metadata: c.opt(Metadata),
        token_symbol: c.opt(c.text()),
        token_name: c.opt(c.text()),
        transfer_fee: c.opt(c.nat()),
        change_fee_collector: c.opt(ChangeFeeCollector),
        max_memo_length: c.opt(c.nat16()),
        feature_flags: c.opt(FeatureFlags),
        change_archive_options: c.opt(ChangeArchiveOptions),
        index_principal: c.opt(c.principal())
    })
);
export const LedgerArg = c.named('LedgerArg', c.variant({ Init: InitArgs, Upgrade: c.opt(UpgradeArgs) }));

// --- ICRC-21, ICRC-103, ICRC-106 ---

const ConsentMetadata = c.named(
    'icrc21_consent_message_metadata',
    c.record({ language: c.text(), utc_offset_minutes: c.opt(c.int16()) })
);
export const ConsentMessageRequest = c.named(
    'icrc21_consent_message_request',
    c.record({
        method: c.text(),
        arg: c.blob(),
        user_preferences: c.named(
            'icrc21_consent_message_spec',
            c.record({
                metadata: ConsentMetadata,
                device_spec: c.opt(c.variant({ GenericDisplay: c.null(), FieldsDisplay: c.null() }))
            })
        )
    })
);
export const Icrc21Value = c.named(
    'Icrc21Value',
    c.variant({
        TokenAmount: c.record({ decimals: c.nat8(), amount: c.nat64(), symbol: c.text() }),
        TimestampSeconds: c.record({ amount: c.nat64() }),
        DurationSeconds: c.record({ amount: c.nat64() }),
        Text: c.record({ content: c.text() })
    })
);
const FieldsDisplay = c.named('FieldsDisplay', c.record({ intent: c.text(), fields: c.vec(c.tuple(c.text(), Icrc21Value)) }));
const ConsentErrorInfo = c.named('icrc21_error_info', c.record({ description: c.text() }));
export const ConsentMessageResponse = c.named(
    'icrc21_consent_message_response',
    c.variant({
        Ok: c.named(
            'icrc21_consent_info',
            c.record({
                consent_message: c.named(
                    'icrc21_consent_message',
                    c.variant({ GenericDisplayMessage: c.text(), FieldsDisplayMessage: FieldsDisplay })
                ),
                metadata: ConsentMetadata
            })
        ),
        Err: c.named(
            'icrc21_error',
            c.variant({
                UnsupportedCanisterCall: ConsentErrorInfo,
                ConsentMessageUnavailable: ConsentErrorInfo,
                InsufficientPayment: ConsentErrorInfo,
                GenericError: c.record({ error_code: c.nat(), description: c.text() })
            })
        )
    })
);

export const GetAllowancesArgs = c.named(
    'GetAllowancesArgs',
    c.record({ from_account: c.opt(Account), prev_spender: c.opt(Account), take: c.opt(c.nat()) })
);
export const GetAllowancesResponse = c.named(
    'icrc103_get_allowances_response',
    c.variant({
        Ok: c.vec(
            c.named(
                'Allowance103',
                c.record({ from_account: Account, to_spender: Account, allowance: c.nat(), expires_at: c.opt(c.nat64()) })
            )
        ),
        Err: c.named('GetAllowancesError', c.variant({ AccessDenied: c.record({ reason: c.text() }), GenericError }))
    })
);
export const GetIndexPrincipalResult = c.named(
    'GetIndexPrincipalResult',
    c.variant({
        Ok: c.principal(),
        Err: c.named(
            'GetIndexPrincipalError',
            c.variant({ IndexPrincipalNotSet: c.null(), GenericError: c.record({ error_code: c.nat(), description: c.text() }) })
        )
    })
);

// --- beyond DFINITY's ledger: ICRC-4 batches (as icdevs' ICRC_fungible serves them) and ICRC-107 (as DFINITY's
// icrc-ledger-types declare it) ---

export const TransferBatchError = c.named(
    'TransferBatchError',
    c.variant({ ...transferErrors, TooManyRequests: c.record({ limit: c.nat() }) })
);
export const TransferBatchResult = c.named('TransferBatchResult', c.variant({ Ok: BlockIndex, Err: TransferBatchError }));
/** One result per transfer, in order; none only where a ledger stops a batch early (this one never does). */
export const TransferBatchResults = c.named('TransferBatchResults', c.vec(c.opt(TransferBatchResult)));
export const TransferBatchArgs = c.named('TransferBatchArgs', c.vec(TransferArg));
export const BalanceQueryArgs = c.named('BalanceQueryArgs', c.record({ accounts: c.vec(Account) }));
export const BalanceQueryResult = c.named('BalanceQueryResult', c.vec(c.tuple(Account, c.nat())));

export const SetFeeCollectorArgs = c.named(
    'SetFeeCollectorArgs',
    c.record({ fee_collector: c.opt(Account), created_at_time: Timestamp })
);
export const SetFeeCollectorError = c.named(
    'SetFeeCollectorError',
    c.variant({
        AccessDenied: c.text(),
        InvalidAccount: c.text(),
        Duplicate: c.record({ duplicate_of: c.nat() }),
        GenericError
    })
);
export const SetFeeCollectorResult = c.named('SetFeeCollectorResult', c.variant({ Ok: BlockIndex, Err: SetFeeCollectorError }));
export const GetFeeCollectorResult = c.named(
    'GetFeeCollectorResult',
    c.variant({ Ok: c.opt(Account), Err: c.named('GetFeeCollectorError', c.variant({ GenericError })) })
);

// --- the TypeScript types of the values above ---

export type Account = z.infer<typeof Account>;
export type MetadataValue = z.infer<typeof MetadataValue>;
export type TransferArg = z.infer<typeof TransferArg>;
export type TransferError = z.infer<typeof TransferError>;
export type TransferResult = z.infer<typeof TransferResult>;
export type ApproveArgs = z.infer<typeof ApproveArgs>;
export type ApproveError = z.infer<typeof ApproveError>;
export type ApproveResult = z.infer<typeof ApproveResult>;
export type AllowanceArgs = z.infer<typeof AllowanceArgs>;
export type Allowance = z.infer<typeof Allowance>;
export type TransferFromArgs = z.infer<typeof TransferFromArgs>;
export type TransferFromError = z.infer<typeof TransferFromError>;
export type TransferFromResult = z.infer<typeof TransferFromResult>;
export type GetBlocksArgs = z.infer<typeof GetBlocksArgs>;
export type GetArchivesArgs = z.infer<typeof GetArchivesArgs>;
export type GetTransactionsRequest = z.infer<typeof GetTransactionsRequest>;
export type Transaction = z.infer<typeof Transaction>;
export type GetTransactionsResponse = z.infer<typeof GetTransactionsResponse>;
export type GetBlocksResponse = z.infer<typeof GetBlocksResponse>;
export type DataCertificate = z.infer<typeof DataCertificate>;
export type ICRC3DataCertificate = z.infer<typeof ICRC3DataCertificate>;
export type InitArgs = z.infer<typeof InitArgs>;
export type UpgradeArgs = z.infer<typeof UpgradeArgs>;
export type LedgerArg = z.infer<typeof LedgerArg>;
export type ConsentMessageRequest = z.infer<typeof ConsentMessageRequest>;
export type ConsentMessageResponse = z.infer<typeof ConsentMessageResponse>;
export type Icrc21Value = z.infer<typeof Icrc21Value>;
export type GetAllowancesArgs = z.infer<typeof GetAllowancesArgs>;
export type GetAllowancesResponse = z.infer<typeof GetAllowancesResponse>;
export type GetIndexPrincipalResult = z.infer<typeof GetIndexPrincipalResult>;
export type TransferBatchResult = z.infer<typeof TransferBatchResult>;
export type TransferBatchResults = z.infer<typeof TransferBatchResults>;
export type BalanceQueryArgs = z.infer<typeof BalanceQueryArgs>;
export type BalanceQueryResult = z.infer<typeof BalanceQueryResult>;
export type SetFeeCollectorArgs = z.infer<typeof SetFeeCollectorArgs>;
export type SetFeeCollectorResult = z.infer<typeof SetFeeCollectorResult>;
export type GetFeeCollectorResult = z.infer<typeof GetFeeCollectorResult>;
