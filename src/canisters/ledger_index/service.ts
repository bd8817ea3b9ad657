/**
 * The ledger index's public interface: the methods of DFINITY's ICRC index canister (`index-ng.did`, IC commit
 * 606cab7, shipped by @icp-sdk/canisters as `declarations/ledger-icrc/icrc_index.did`) with its types, so that
 * wallets which list an account's history through that index (NNS dapp, Oisy) list it through this one. The
 * implementation is `index.ts`.
 */
import { c, defineService, query } from '../../candid';
import { Account, Subaccount, Tokens, Transaction, Value } from '../../icrc/interface';

/** The legacy interval setting, or the minimum and maximum of an adaptive one, in seconds (index-ng's). */
const intervalFields = {
    retrieve_blocks_from_ledger_interval_seconds: c.opt(c.nat64()),
    min_retrieve_blocks_from_ledger_interval_seconds: c.opt(c.nat64()),
    max_retrieve_blocks_from_ledger_interval_seconds: c.opt(c.nat64())
};

export const InitArg = c.named('InitArg', c.record({ ledger_id: c.principal(), ...intervalFields }));
export const UpgradeArg = c.named('UpgradeArg', c.record({ ledger_id: c.opt(c.principal()), ...intervalFields }));
export const IndexArg = c.named('IndexArg', c.variant({ Init: InitArg, Upgrade: UpgradeArg }));

export const BlockIndex = c.named('BlockIndex', c.nat());
export const GetBlocksRequest = c.named('GetBlocksRequest', c.record({ start: c.nat(), length: c.nat() }));
export const GetBlocksResponse = c.named('GetBlocksResponse', c.record({ chain_length: c.nat64(), blocks: c.vec(Value) }));

export const GetAccountTransactionsArgs = c.named(
    'GetAccountTransactionsArgs',
    c.record({ account: Account, start: c.opt(BlockIndex), max_results: c.nat() })
);
export const TransactionWithId = c.named('TransactionWithId', c.record({ id: BlockIndex, transaction: Transaction }));
export const GetTransactions = c.named(
    'GetTransactions',
    c.record({ balance: Tokens, transactions: c.vec(TransactionWithId), oldest_tx_id: c.opt(BlockIndex) })
);
export const GetTransactionsErr = c.named('GetTransactionsErr', c.record({ message: c.text() }));
export const GetTransactionsResult = c.named(
    'GetTransactionsResult',
    c.variant({ Ok: GetTransactions, Err: GetTransactionsErr })
);
export const ListSubaccountsArgs = c.named('ListSubaccountsArgs', c.record({ owner: c.principal(), start: c.opt(Subaccount) }));
export const Status = c.named('Status', c.record({ num_blocks_synced: BlockIndex }));
export const FeeCollectorRanges = c.named(
    'FeeCollectorRanges',
    c.record({ ranges: c.vec(c.tuple(Account, c.vec(c.tuple(BlockIndex, BlockIndex)))) })
);

export const ledgerIndexService = defineService({
    init: [c.opt(IndexArg)],
    methods: {
        get_account_transactions: query([GetAccountTransactionsArgs], GetTransactionsResult),
        get_blocks: query([GetBlocksRequest], GetBlocksResponse),
        get_fee_collectors_ranges: query([], FeeCollectorRanges),
        icrc1_balance_of: query([Account], Tokens),
        ledger_id: query([], c.principal()),
        list_subaccounts: query([ListSubaccountsArgs], c.vec(Subaccount)),
        status: query([], Status)
    }
});
