/**
 * The install argument of the token, for scripts, tests and benchmarks: DFINITY's `LedgerArg.Init` with the
 * fields that matter for a new ledger, the rest at the values DFINITY's own examples use (this ledger keeps
 * every block, so the archive options are accepted and unused).
 */
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { toIdl } from '../../candid';
import { type Account, LedgerArg } from '../../icrc/interface';

export type NewLedger = {
    mintingAccount: Account;
    transferFee: bigint;
    initialBalances: [Account, bigint][];
    symbol?: string;
    name?: string;
    /** The principal the (unused) archive options name as controller. */
    archiveController: Principal;
    /** The index canister `icrc106_get_index_principal` names, if there is one. */
    indexPrincipal?: Principal;
};

/** `LedgerArg.Init` for a new ledger. */
export function ledgerInit(ledger: NewLedger): LedgerArg {
    return {
        Init: {
            minting_account: ledger.mintingAccount,
            fee_collector_account: [],
            transfer_fee: ledger.transferFee,
            decimals: [],
            max_memo_length: [],
            token_symbol: ledger.symbol ?? 'TKN',
            token_name: ledger.name ?? 'Token',
            metadata: [],
            initial_balances: ledger.initialBalances,
            feature_flags: [],
            archive_options: {
                num_blocks_to_archive: 1000n,
                max_transactions_per_response: [],
                trigger_threshold: 2000n,
                max_message_size_bytes: [],
                cycles_for_archive_creation: [],
                node_max_memory_size_bytes: [],
                controller_id: ledger.archiveController,
                more_controller_ids: []
            },
            index_principal: ledger.indexPrincipal === undefined ? [] : [ledger.indexPrincipal]
        }
    };
}

/** A `LedgerArg` as the install or upgrade message carries it. */
export function encodeLedgerArg(arg: LedgerArg): Uint8Array {
    return new Uint8Array(IDL.encode([toIdl(LedgerArg, IDL)], [arg]));
}
