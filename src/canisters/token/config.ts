/**
 * The ledger's settings: set by the init argument, changed by the upgrade argument and by ICRC-107, stored in
 * stable memory (`state.ts`). DFINITY's ledger refuses the same things here (`src/lib.rs`): a memo limit that
 * shrinks, a fee collector that is the minting account, metadata that names a key the ledger computes.
 * Those refusals throw: in `init` and `post_upgrade` a throw traps, and the install or upgrade is rolled back.
 */
import type * as z from 'zod/mini';

import { c } from '../../candid';
import { Account, type InitArgs, Metadata, type UpgradeArgs } from '../../icrc/interface';
import { sameAccount } from '../../icrc/accounts';
import { DEFAULT_DECIMALS, DEFAULT_MAX_MEMO_LENGTH } from './rules';

export const TokenConfig = c.record({
    minting_account: Account,
    fee_collector: c.opt(Account),
    transfer_fee: c.nat(),
    decimals: c.nat8(),
    max_memo_length: c.nat16(),
    token_symbol: c.text(),
    token_name: c.text(),
    /** The metadata the deployer gave; the computed entries are added when it is read (`metadataOf`). */
    metadata: Metadata,
    index_principal: c.opt(c.principal())
});
export type TokenConfig = z.infer<typeof TokenConfig>;
type MetadataEntries = z.infer<typeof Metadata>;

/** ICRC-103's largest page (DFINITY: `MAX_TAKE_ALLOWANCES`). */
export const MAX_TAKE_ALLOWANCES = 500n;

/** Metadata keys the ledger computes; a deployer may not set them (DFINITY traps the same way). */
export const RESERVED_METADATA_KEYS = [
    'icrc1:decimals',
    'icrc1:name',
    'icrc1:symbol',
    'icrc1:fee',
    'icrc1:max_memo_length',
    'icrc103:public_allowances',
    'icrc103:max_take_value',
    'icrc106:index_principal'
] as const;

/** Raised by a refused init or upgrade argument; in the canister it traps the install or upgrade. */
export class ConfigError extends Error {
    override readonly name = 'ConfigError';
}

function checkMetadata(metadata: MetadataEntries): void {
    for (const [key] of metadata) {
        if ((RESERVED_METADATA_KEYS as readonly string[]).includes(key)) {
            throw new ConfigError(`metadata key ${key} is computed by the ledger and cannot be set`);
        }
    }
}

function checkFeeCollector(config: TokenConfig): void {
    const collector = config.fee_collector[0];
    if (collector !== undefined && sameAccount(collector, config.minting_account)) {
        throw new ConfigError('the fee collector cannot be the minting account');
    }
}

/** The settings an init argument gives. */
export function configFromInit(init: InitArgs): TokenConfig {
    checkMetadata(init.metadata);
    const config: TokenConfig = {
        minting_account: init.minting_account,
        fee_collector: init.fee_collector_account,
        transfer_fee: init.transfer_fee,
        decimals: init.decimals[0] ?? DEFAULT_DECIMALS,
        max_memo_length: init.max_memo_length[0] ?? DEFAULT_MAX_MEMO_LENGTH,
        token_symbol: init.token_symbol,
        token_name: init.token_name,
        metadata: init.metadata,
        index_principal: init.index_principal
    };
    checkFeeCollector(config);
    return config;
}

/** The settings after an upgrade argument: each field it sets replaces the old one. */
export function applyUpgrade(config: TokenConfig, upgrade: UpgradeArgs): TokenConfig {
    const next: TokenConfig = { ...config };
    const [metadata] = upgrade.metadata;
    if (metadata !== undefined) {
        checkMetadata(metadata);
        next.metadata = metadata;
    }
    if (upgrade.token_symbol[0] !== undefined) next.token_symbol = upgrade.token_symbol[0];
    if (upgrade.token_name[0] !== undefined) next.token_name = upgrade.token_name[0];
    if (upgrade.transfer_fee[0] !== undefined) next.transfer_fee = upgrade.transfer_fee[0];
    const [memo] = upgrade.max_memo_length;
    if (memo !== undefined) {
        if (memo < config.max_memo_length) {
            throw new ConfigError(`max_memo_length can only grow: it is ${config.max_memo_length}, ${memo} was asked`);
        }
        next.max_memo_length = memo;
    }
    const [change] = upgrade.change_fee_collector;
    if (change !== undefined) next.fee_collector = 'SetTo' in change ? [change.SetTo] : [];
    if (upgrade.index_principal[0] !== undefined) next.index_principal = upgrade.index_principal;
    checkFeeCollector(next);
    return next;
}

/** The metadata `icrc1_metadata` returns: the deployer's entries, then the ones the ledger computes. */
export function metadataOf(config: TokenConfig): MetadataEntries {
    const computed: MetadataEntries = [
        ['icrc1:decimals', { Nat: BigInt(config.decimals) }],
        ['icrc1:name', { Text: config.token_name }],
        ['icrc1:symbol', { Text: config.token_symbol }],
        ['icrc1:fee', { Nat: config.transfer_fee }],
        ['icrc1:max_memo_length', { Nat: BigInt(config.max_memo_length) }],
        ['icrc103:public_allowances', { Text: 'true' }],
        ['icrc103:max_take_value', { Nat: MAX_TAKE_ALLOWANCES }]
    ];
    const [index] = config.index_principal;
    if (index !== undefined) computed.push(['icrc106:index_principal', { Text: index.toText() }]);
    return [...config.metadata, ...computed];
}
