/**
 * Model-based test of the token: random sequences of transfers, batches, approvals, transfer_froms, mints, burns,
 * fee-collector changes, repeats (deduplication) and bad calls, each checked against a reference model
 * (`model.ts`) after every step. It runs twice: many sequences on the ledger's own code in Node (heap maps, a
 * trapped call undone as the IC undoes it), and fewer on the compiled canister, called through the official
 * `idlFactory` of @icp-sdk/canisters' `icrc_ledger` (ICRC-4 and ICRC-107 through the token's own, as the
 * official interface has no such methods).
 */
import type { Principal } from '@dfinity/principal';
import * as fc from 'fast-check';

import { wasmOf } from '../../scripts/lib/build';
import { configFromInit } from '../../src/canisters/token/config';
import { encodeLedgerArg, ledgerInit } from '../../src/canisters/token/deploy';
import { Ledger } from '../../src/canisters/token/ledger';
import { DEFAULT_MAX_MEMO_LENGTH } from '../../src/canisters/token/rules';
import { tokenService } from '../../src/canisters/token/service';
import { heapMaps, LedgerState } from '../../src/canisters/token/state';
import type { ActorOf } from '../../src/candid';
import { checkArgs } from '../../src/candid/validate';
import type { ICRC3Value, InitArgs } from '../../src/icrc/interface';
import { allBlocks } from '../support/blocks';
import { createIc, type TestIc } from '../support/ic';
import { officialLedgerIdl } from '../support/official';
import type { Trapped } from './model';
import {
    CONTROLLER,
    FEE,
    INITIAL_BALANCES,
    MAX_MEMO,
    MINTING_ACCOUNT,
    operation,
    runOperations,
    type TokenDriver
} from './operations';

const START_NS = 1_780_000_000_000_000_000n;

/** The outcomes the random sequences must reach, one per rule of the ledger that the model states. */
const EVERY_OUTCOME = [
    // no GenericError: DFINITY's transfer answers none (the minting account to itself is a burn)
    ...['Ok', 'BadFee', 'BadBurn', 'InsufficientFunds', 'TooOld', 'CreatedInFuture', 'Duplicate', 'trap'].map(
        (o) => `transfer:${o}`
    ),
    ...['Ok', 'BadFee', 'InsufficientFunds', 'Expired', 'AllowanceChanged', 'Duplicate', 'GenericError', 'trap'].map(
        (o) => `approve:${o}`
    ),
    ...['Ok', 'BadFee', 'BadBurn', 'InsufficientAllowance', 'InsufficientFunds', 'Duplicate'].map((o) => `transferFrom:${o}`),
    'transferBatch:Ok',
    'transferBatch:trap',
    ...['Ok', 'AccessDenied', 'InvalidAccount', 'GenericError'].map((o) => `setFeeCollector:${o}`)
];

function initArgs(): InitArgs {
    const arg = ledgerInit({
        mintingAccount: MINTING_ACCOUNT,
        transferFee: FEE,
        initialBalances: INITIAL_BALANCES,
        archiveController: CONTROLLER.getPrincipal()
    });
    if (!('Init' in arg)) throw new Error('ledgerInit returns Init');
    // The model's memo limit is the ledger's default (DFINITY's DEFAULT_MAX_MEMO_LENGTH).
    if (arg.Init.max_memo_length[0] !== undefined || MAX_MEMO !== DEFAULT_MAX_MEMO_LENGTH) throw new Error('memo limits differ');
    return arg.Init;
}

const trapped = (error: unknown): Trapped => ({ trapped: error instanceof Error ? error.message : String(error) });

/** The ledger's code on heap maps, with the IC's rollback: a call that throws leaves the maps as they were. */
function ledgerInNode(): TokenDriver {
    let now = START_NS;
    let maps = heapMaps();
    let ledger = new Ledger(new LedgerState(maps), () => undefined);
    const init = initArgs();
    ledger.initialize(configFromInit(init), init.initial_balances, now);
    const atomic = async <T>(run: () => T): Promise<T | Trapped> => {
        const saved = Object.fromEntries(Object.entries(maps).map(([name, map]) => [name, map.copy()])) as typeof maps;
        try {
            return run();
        } catch (error) {
            maps = saved;
            ledger = new Ledger(new LedgerState(maps), () => undefined);
            return trapped(error);
        }
    };
    const ctx = (caller: Principal) => ({ caller, now });
    /** As the canister serves a method: arguments checked against the schemas first, then the body. */
    const served = <R>(name: keyof typeof tokenService.methods, arg: unknown, run: () => R): Promise<R | Trapped> =>
        atomic(() => {
            const spec = tokenService.methods[name];
            const checked = checkArgs(spec.args, [arg]);
            if (checked.ok) return run();
            if ('invalid' in spec && spec.invalid !== undefined) return spec.invalid(checked.reason) as R;
            throw new Error(checked.reason);
        });
    return {
        now: async () => now,
        wait: async (seconds) => {
            now += BigInt(seconds) * 1_000_000_000n;
        },
        transfer: (caller, arg) => served('icrc1_transfer', arg, () => ledger.transfer(ctx(caller), arg)),
        transferBatch: (caller, args) => served('icrc4_transfer_batch', args, () => ledger.transferBatch(ctx(caller), args)),
        approve: (caller, arg) => served('icrc2_approve', arg, () => ledger.approve(ctx(caller), arg)),
        transferFrom: (caller, arg) => served('icrc2_transfer_from', arg, () => ledger.transferFrom(ctx(caller), arg)),
        setFeeCollector: (caller, arg) =>
            served('icrc107_set_fee_collector', arg, () =>
                ledger.setFeeCollector(ctx(caller), arg, caller.toText() === CONTROLLER.getPrincipal().toText())
            ),
        balances: async (accounts) => accounts.map((account) => ledger.balanceOf(account)),
        allowance: async (owner, spender) => ledger.allowance(owner, spender, now),
        totalSupply: async () => ledger.tip.total_supply,
        blocks: async () => {
            const blocks: ICRC3Value[] = [];
            for (let i = 0n; i < ledger.tip.length; i++) blocks.push(ledger.state.block(i) as ICRC3Value);
            return blocks;
        }
    };
}

/**
 * The sequences are drawn from a fixed seed, so the coverage check below cannot pass on one run and fail on the
 * next (a rare outcome such as a repeated `icrc2_transfer_from` is met by most seeds, not all). `FC_SEED=<n>`
 * draws other sequences, to explore further.
 */
const SEED = Number(process.env.FC_SEED ?? 20_261_121);

describe('the ledger agrees with the reference model', () => {
    it('on its own code, over 500 random sequences of up to 40 operations that reach every outcome', async () => {
        const seen = new Map<string, number>();
        await fc.assert(
            fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40, size: 'max' }), (ops) =>
                runOperations(ledgerInNode(), ops, 0n, seen)
            ),
            { numRuns: 500, seed: SEED }
        );
        // The generator must reach each rule; a sequence that never meets one cannot check it.
        const missed = EVERY_OUTCOME.filter((outcome) => !seen.has(outcome));
        expect(missed).toEqual([]);
    });

    describe('on the canister, through the official icrc_ledger idlFactory', () => {
        type Official = {
            icrc1_transfer: (arg: unknown) => Promise<unknown>;
            icrc2_approve: (arg: unknown) => Promise<unknown>;
            icrc2_transfer_from: (arg: unknown) => Promise<unknown>;
            icrc2_allowance: (arg: unknown) => Promise<{ allowance: bigint; expires_at: [] | [bigint] }>;
            icrc1_total_supply: () => Promise<bigint>;
            icrc3_get_blocks: (arg: unknown) => Promise<{ blocks: { id: bigint; block: ICRC3Value }[]; log_length: bigint }>;
            setPrincipal(principal: Principal): void;
        };
        type Own = ActorOf<typeof tokenService.methods> & { setPrincipal(principal: Principal): void };

        let ic: TestIc;
        let wasm: string;
        let canisterId: Principal;

        beforeAll(async () => {
            wasm = await wasmOf('token');
            ic = await createIc();
            ({ canisterId } = await ic.setupCanister({
                idlFactory: tokenService.idlFactory as never,
                wasm,
                arg: encodeLedgerArg({ Init: initArgs() }),
                sender: CONTROLLER.getPrincipal()
            }));
        }, 300_000);

        afterAll(async () => ic.tearDown());

        /** The canister, reinstalled fresh for each sequence. */
        async function canister(): Promise<TokenDriver> {
            await ic.reinstallCode({
                canisterId,
                wasm,
                arg: encodeLedgerArg({ Init: initArgs() }),
                sender: CONTROLLER.getPrincipal()
            });
            const official = ic.createActor(officialLedgerIdl as never, canisterId) as unknown as Official;
            const own = ic.createActor(tokenService.idlFactory as never, canisterId) as unknown as Own;
            const as = async <T>(caller: Principal, run: () => Promise<T>): Promise<T | Trapped> => {
                official.setPrincipal(caller);
                own.setPrincipal(caller);
                try {
                    return await run();
                } catch (error) {
                    return trapped(error);
                }
            };
            return {
                now: async () => BigInt(Math.round(await ic.getTime())) * 1_000_000n,
                wait: (seconds) => ic.advanceTime(seconds * 1_000),
                transfer: (caller, arg) => as(caller, () => official.icrc1_transfer(arg)) as never,
                transferBatch: (caller, args) => as(caller, () => own.icrc4_transfer_batch(args)),
                approve: (caller, arg) => as(caller, () => official.icrc2_approve(arg)) as never,
                transferFrom: (caller, arg) => as(caller, () => official.icrc2_transfer_from(arg)) as never,
                setFeeCollector: (caller, arg) => as(caller, () => own.icrc107_set_fee_collector(arg)),
                balances: async (accounts) => (await own.icrc4_balance_of_batch({ accounts })).map(([, balance]) => balance),
                allowance: (account, spender) => official.icrc2_allowance({ account, spender }),
                totalSupply: () => official.icrc1_total_supply(),
                blocks: () => allBlocks(official)
            };
        }

        it('over 25 random sequences of up to 30 operations', async () => {
            // The IC's clock moves 1 ns a round, so a reported ledger_time may run a few ns past the model's.
            await fc.assert(
                fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 30, size: 'max' }), async (ops) =>
                    runOperations(await canister(), ops, 1_000_000n)
                ),
                { numRuns: 25, seed: SEED }
            );
        }, 300_000);
    });
});
