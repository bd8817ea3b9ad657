/**
 * Issue 21, finding 6, on the compiled wallet: a custodian allowed only the management canister (which creating
 * canisters needs) called `update_settings` through `wallet_call` on a canister the wallet controls and made
 * itself its only controller. Now every canister a management call names must be allowed too.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import type { CustodianLimits } from '../../src/shared/wallet';
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
