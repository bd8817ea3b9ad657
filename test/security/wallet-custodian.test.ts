/**
 * Issue 21, finding 6, on the compiled wallet: a custodian allowed only the management canister (which creating
 * canisters needs) called `update_settings` through `wallet_call` on a canister the wallet controls and made
 * itself its only controller. Now every canister a management call names must be allowed too.
 *
 * Finding 11: an expired custodian kept its role (reads, `fund_now`), and every refused spend appended an event
 * kept forever. Now an expired custodian has no role, and a caller's refusals are logged at most
 * MAX_LOGGED_REFUSALS an hour.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { MAX_LOGGED_REFUSALS } from '../../src/canisters/wallet/wallet';
import type { CustodianLimits } from '../../src/canisters/wallet/types';
import { createIc, type TestIc } from '../support/ic';
import { deployProbe, deployWallet, type DeployedWallet, identity, T } from '../wallet/setup';

const owner = identity(31);
const custodian = identity(32);

let ic: TestIc;
let w: DeployedWallet;

beforeAll(async () => {
    ic = await createIc();
    w = await deployWallet(ic, owner, { cycles: 1_000n * T });
}, 300_000);

afterAll(async () => ic.tearDown());

const UpdateSettings = IDL.Record({
    canister_id: IDL.Principal,
    settings: IDL.Record({ controllers: IDL.Opt(IDL.Vec(IDL.Principal)) })
});

it('a custodian allowed the management canister cannot act on the canisters the wallet controls (finding 6)', async () => {
    const managed = await deployProbe(ic, T, [w.canisterId]);
    const management = Principal.managementCanister();
    const limits: CustodianLimits = {
        cycles_per_window: [],
        window_seconds: 3_600n,
        canisters: [[management]],
        methods: [],
        expires_at: []
    };
    await w.wallet.authorize_with_limits({ custodian: custodian.getPrincipal(), limits });
    w.legacy.setIdentity(custodian);
    const takeOver = new Uint8Array(
        IDL.encode(
            [UpdateSettings],
            [{ canister_id: managed.canisterId, settings: { controllers: [[custodian.getPrincipal()]] } }]
        )
    );
    const result = await w.legacy.wallet_call({
        canister: management,
        method_name: 'update_settings',
        args: takeOver,
        cycles: 0n
    });
    expect('Err' in result && result.Err).toMatch(
        new RegExp(`canister ${managed.canisterId.toText()} is not in the allowed canisters`)
    );
    expect(await ic.getControllers(managed.canisterId)).toEqual([w.canisterId]);
    // Unreadable arguments to the management canister are refused too.
    const garbage = await w.legacy.wallet_call({
        canister: management,
        method_name: 'update_settings',
        args: Uint8Array.of(1, 2, 3),
        cycles: 0n
    });
    expect('Err' in garbage && garbage.Err).toMatch(/is not in the allowed canisters/);
    // Creating a canister, which names none, is still allowed.
    const created = await w.legacy.wallet_create_canister({
        cycles: T,
        settings: { controller: [], controllers: [], compute_allocation: [], memory_allocation: [], freezing_threshold: [] }
    });
    expect(created).toHaveProperty('Ok');
    w.legacy.setIdentity(owner);
}, 300_000);

it('an expired custodian holds no role, and its refused retries add a bounded number of events (finding 11)', async () => {
    const late = identity(33);
    const now = BigInt(await ic.getTime()) * 1_000_000n;
    const limits: CustodianLimits = {
        cycles_per_window: [1n],
        window_seconds: 3_600n,
        canisters: [],
        methods: [],
        expires_at: [now + 60n * 1_000_000_000n]
    };
    w.wallet.setIdentity(owner);
    await w.wallet.authorize_with_limits({ custodian: late.getPrincipal(), limits });
    w.wallet.setIdentity(late);
    const eventsBefore = async () => {
        w.wallet.setIdentity(owner);
        const page = await w.wallet.wallet_events({ start: 0n, length: 1n });
        w.wallet.setIdentity(late);
        return page.total;
    };
    const target = await deployProbe(ic, T, []);
    const before = await eventsBefore();
    // Over its cycle limit: each retry is refused; only the first few are logged.
    for (let i = 0; i < 3 * MAX_LOGGED_REFUSALS; i++) {
        const refused = await w.wallet.send_cycles({ canister: target.canisterId, amount: T, created_at_time: [], memo: [] });
        expect(refused).toHaveProperty('Err');
    }
    expect((await eventsBefore()) - before).toBeLessThanOrEqual(BigInt(MAX_LOGGED_REFUSALS));
    expect(await w.wallet.get_custodian_limits()).toHaveLength(2); // still a custodian (of two): it may read
    await ic.advanceTime(61_000);
    await expect(w.wallet.get_custodian_limits()).rejects.toThrow(/Only a controller or custodian/);
    // inspect_message refuses the update before it runs
    await expect(w.wallet.fund_now()).rejects.toThrow(/IC0406|Only a controller or custodian/);
    w.wallet.setIdentity(owner);
}, 300_000);
