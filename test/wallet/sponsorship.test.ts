/**
 * Sponsoring users safely: the token, funded by the wallet, meters its callers with the sponsorship module
 * (src/sponsorship). A drain attempt (one principal calling a sponsored method in a loop) is cut off by
 * its quota in inspect_message (ingress: refused before it costs the token anything) and in the method
 * (inter-canister calls, which inspection never sees: refused at the method's start, at a bounded cost). The
 * token reports its usage to the wallet, which shows it per canister, method and caller and pushes policy
 * changes back.
 */
import { IDL } from '@dfinity/candid';
import type { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

import { wasmOf } from '../../scripts/lib/build';
import { encodeLedgerArg, ledgerInit } from '../../src/canisters/token/deploy';
import { tokenService } from '../../src/canisters/token/service';
import { toIdl } from '../../src/candid';
import { TransferArg, TransferResult } from '../../src/icrc/interface';
import type { SponsorPolicy } from '../../src/sponsorship/policy';
import { createIc, localOnly, type TestIc } from '../support/ic';
import { deployWallet, type DeployedWallet, identity, T } from './setup';

const owner = identity(31);
const attacker = identity(32);
const user = identity(33);
const QUOTA = 5n;
const WINDOW_SECONDS = 600n;

type TokenActor = {
    icrc1_transfer(arg: TransferArg): Promise<TransferResult>;
    sponsorship_configure(config: { wallet: [] | [Principal]; report_interval_seconds: bigint }): Promise<void>;
    sponsorship_status(): Promise<{ policy: SponsorPolicy; reports_sent: bigint; tracked_callers: bigint }>;
    setIdentity(identity: Ed25519KeyIdentity): void;
    setPrincipal(principal: Principal): void;
};

let ic: TestIc;
let w: DeployedWallet;
let tokenId: Principal;
let token: TokenActor;

const transfer = (amount = 1n): TransferArg => ({
    from_subaccount: [],
    to: { owner: user.getPrincipal(), subaccount: [] },
    amount,
    fee: [],
    memo: [],
    created_at_time: []
});

const policy = (overrides: Partial<SponsorPolicy> = {}): SponsorPolicy => ({
    version: 0n,
    window_seconds: WINDOW_SECONDS,
    methods: [['icrc1_transfer', { refuse_anonymous: true, calls_per_window: [QUOTA], instructions_per_window: [] }]],
    deny: [],
    allow: [],
    global_calls_per_window: [1_000n],
    ...overrides
});

beforeAll(async () => {
    ic = await createIc();
    w = await deployWallet(ic, owner, { cycles: 100n * T });
    const arg = encodeLedgerArg(
        ledgerInit({
            mintingAccount: { owner: owner.getPrincipal(), subaccount: [] },
            transferFee: 10n,
            initialBalances: [[{ owner: attacker.getPrincipal(), subaccount: [] }, 1_000_000n]],
            archiveController: owner.getPrincipal()
        })
    );
    ({ canisterId: tokenId } = await ic.setupCanister({
        idlFactory: tokenService.idlFactory as never,
        wasm: await wasmOf('token'),
        arg,
        cycles: 10n * T
    }));
    await ic.tick(2);
    await ic.updateCanisterSettings({ canisterId: tokenId, controllers: [Principal.anonymous(), w.canisterId] });
    token = ic.createActor(tokenService.idlFactory as never, tokenId) as unknown as TokenActor;
    await token.sponsorship_configure({ wallet: [w.canisterId], report_interval_seconds: 60n });
    await w.wallet.sponsor_canister({
        canister: tokenId,
        name: ['token'],
        strategy: { BelowThreshold: { min_cycles: T, top_up: T } },
        budget: []
    });
    expect(await w.wallet.set_sponsor_policy({ canister: tokenId, policy: policy() })).toEqual({ Ok: null });
});

afterAll(async () => ic.tearDown());

it('the wallet pushes its policy to the token, with a version the token keeps', async () => {
    const status = await token.sponsorship_status();
    expect(status.policy).toEqual({ ...policy(), version: 1n });
    const stranger = ic.createActor(tokenService.idlFactory as never, tokenId) as unknown as {
        sponsorship_set_policy(p: SponsorPolicy): Promise<void>;
    } & TokenActor;
    stranger.setIdentity(attacker);
    await expect(stranger.sponsorship_set_policy({ ...policy(), version: 99n, methods: [] })).rejects.toThrow();
    expect((await token.sponsorship_status()).policy.version).toBe(1n);
});

it('a drain by ingress is cut off in inspect_message: refused calls cost the token nothing', async () => {
    token.setIdentity(attacker);
    for (let i = 0n; i < QUOTA; i++) expect(await token.icrc1_transfer(transfer())).toEqual({ Ok: expect.any(BigInt) });
    const before = await ic.getCyclesBalance(tokenId);
    for (let i = 0; i < 50; i++) await expect(token.icrc1_transfer(transfer())).rejects.toThrow(/IC0406/);
    expect(await ic.getCyclesBalance(tokenId)).toBe(before);
    token.setPrincipal(Principal.anonymous());
    await expect(token.icrc1_transfer(transfer())).rejects.toThrow(/IC0406/);
});

it('a drain by inter-canister calls is cut off at the start of the method, with a bounded cost per call', async () => {
    const drainer = await deployWallet(ic, attacker);
    const arg = new Uint8Array(IDL.encode([toIdl(TransferArg, IDL)], [transfer()]));
    const call = async () => {
        const result = await drainer.legacy.wallet_call({
            canister: tokenId,
            method_name: 'icrc1_transfer',
            args: arg,
            cycles: 0n
        });
        if (!('Ok' in result)) throw new Error(result.Err);
        return IDL.decode([toIdl(TransferResult, IDL)], result.Ok.return)[0] as TransferResult;
    };
    for (let i = 0n; i < QUOTA; i++) expect(await call()).toEqual({ Err: { InsufficientFunds: { balance: 0n } } });
    const before = await ic.getCyclesBalance(tokenId);
    const REFUSED = 20;
    for (let i = 0; i < REFUSED; i++) {
        expect(await call()).toEqual({
            Err: {
                GenericError: {
                    error_code: 429n,
                    message: expect.stringMatching(/call quota of 5 calls per window reached; it resets at \d+ ns/)
                }
            }
        });
    }
    const perCall = (before - (await ic.getCyclesBalance(tokenId))) / BigInt(REFUSED);
    const local = localOnly(ic);
    if (local !== undefined) {
        const instructions = local.lastInstructions(tokenId);
        console.info(`a refused inter-canister call cost the token ${perCall} cycles (${instructions} instructions)`);
        expect(instructions).toBeLessThan(3_000_000n); // the Candid decode and the quota check, no ledger work
    }
    expect(perCall).toBeLessThan(10_000_000n); // the 5M base fee of an update plus the refusal's instructions
});

it('the token reports its usage; the wallet shows it per method and per caller, with its cost', async () => {
    await ic.advanceTime(61_000);
    await ic.tick(10);
    expect((await token.sponsorship_status()).reports_sent).toBeGreaterThan(0n);
    const [row] = (await w.wallet.list_sponsored()).filter((s) => s.canister.toText() === tokenId.toText());
    const usage = row?.usage.find((u) => u.method === 'icrc1_transfer');
    expect(usage).toEqual(
        expect.objectContaining({ calls: 2n * QUOTA, refused: 20n, instructions: expect.any(BigInt), cycles: expect.any(BigInt) })
    );
    const page = await w.wallet.get_usage({ start: 0n, length: 100n });
    const byCaller = new Map(page.rows.map((r) => [r.caller[0]?.toText() ?? '*', r]));
    expect(byCaller.get(attacker.getPrincipal().toText())).toEqual(expect.objectContaining({ calls: QUOTA, refused: 0n }));
    const drainerRow = page.rows.find((r) => r.refused === 20n);
    expect(drainerRow).toEqual(expect.objectContaining({ canister: tokenId, method: 'icrc1_transfer', calls: QUOTA }));
    expect(page.total).toBe(BigInt(page.rows.length));
});

it('a report that lands while a funding round awaits is kept: the round does not write back a stale state', async () => {
    // the wallet's funding timer and the token's report timer fire in the same round; the report is delivered
    // while the funding round waits for its own canister_status, so a round that resumed on the state it read
    // before its await would overwrite the reported usage
    await w.wallet.set_funding({
        check_interval_seconds: 60n,
        aggregate_budget: [],
        low_balance_runway_seconds: 0n,
        min_reserve: 0n
    });
    await ic.advanceTime(Number(WINDOW_SECONDS) * 1_000);
    const usageOf = async () =>
        (await w.wallet.list_sponsored())
            .find((s) => s.canister.toText() === tokenId.toText())
            ?.usage.find((u) => u.method === 'icrc1_transfer')?.calls ?? 0n;
    const before = await usageOf();
    token.setIdentity(user);
    const CALLS = 3n;
    for (let i = 0n; i < CALLS; i++) await token.icrc1_transfer(transfer());
    const sent = (await token.sponsorship_status()).reports_sent;
    await ic.advanceTime(60_000);
    await ic.tick(5);
    expect((await token.sponsorship_status()).reports_sent).toBe(sent + 1n);
    expect(await usageOf()).toBe(before + CALLS);
});

it('a principal the wallet denies is refused even in a new window', async () => {
    expect(await w.wallet.set_sponsor_policy({ canister: tokenId, policy: policy({ deny: [attacker.getPrincipal()] }) })).toEqual(
        { Ok: null }
    );
    expect((await token.sponsorship_status()).policy.version).toBe(2n);
    await ic.advanceTime(Number(WINDOW_SECONDS) * 1_000);
    token.setIdentity(attacker);
    await expect(token.icrc1_transfer(transfer())).rejects.toThrow(/IC0406/);
    token.setIdentity(user);
    expect(await token.icrc1_transfer(transfer())).toEqual({ Err: { InsufficientFunds: { balance: expect.any(BigInt) } } });
});
