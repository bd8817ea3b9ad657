/**
 * Issue 21, finding 12: updates strangers reached outside every quota
 * and cap. Now `inspect_message` refuses ingress from callers without a role for the method (the methods
 * check again, for inter-canister calls), and the one update anyone may call on the token, the ICRC-21 consent
 * message, is metered by the sponsorship policy.
 */
import type { Principal } from '@dfinity/principal';

import { OPEN_POLICY } from '../../src/sponsorship/policy';
import { deployRegistry, identity, issuingKey, newDevice, nowPlus, type Suite } from '../registry/setup';
import { createIc, type TestIc } from '../support/ic';

const controller = identity(101);
const maker = identity(102);
const owner = identity(103);
const stranger = identity(104);

let ic: TestIc;
let s: Suite;
let device: Principal;

beforeAll(async () => {
    ic = await createIc();
    s = await deployRegistry(ic, controller);
    s.registry.setIdentity(controller);
    await s.registry.add_manufacturer({ name: 'Acme', issuing_key: issuingKey(maker), quota: 10n });
    const signer = newDevice('Ed25519', s.registryId);
    s.registry.setIdentity(maker);
    await s.registry.register_device(signer.registration(maker.getPrincipal(), await nowPlus(ic, 3_600n)));
    s.registry.setIdentity(owner);
    expect(await s.registry.claim_device(signer.claim(owner.getPrincipal(), await nowPlus(ic, 3_600n)))).toEqual({ Ok: null });
    device = signer.id;
}, 300_000);

afterAll(async () => ic.tearDown());

const policy = { ...OPEN_POLICY, version: 5n, window_seconds: 60n };

it('the token refuses strangers’ sponsorship updates in inspect_message, and answers ICRC-107’s AccessDenied', async () => {
    s.token.setIdentity(stranger);
    expect(await s.token.icrc107_set_fee_collector({ fee_collector: [], created_at_time: 0n })).toMatchObject({
        Err: { AccessDenied: expect.any(String) }
    });
    await expect(s.token.sponsorship_set_policy(policy)).rejects.toThrow(/IC0406/);
    await expect(s.token.sponsorship_configure({ wallet: [], report_interval_seconds: 60n })).rejects.toThrow(/IC0406/);
});

it('the registry refuses strangers’ owner, status and sponsorship updates in inspect_message', async () => {
    s.registry.setIdentity(stranger);
    await expect(s.registry.sponsorship_set_policy(policy)).rejects.toThrow(/IC0406/);
    await expect(s.registry.transfer_device({ device, to: stranger.getPrincipal() })).rejects.toThrow(/IC0406/);
    await expect(s.registry.set_device_status({ device, status: { Suspended: null }, reason: 'mine' })).rejects.toThrow(/IC0406/);
    await expect(s.registry.add_delegate({ device, delegate: stranger.getPrincipal(), expires_at: 2n ** 63n })).rejects.toThrow(
        /IC0406/
    );
    // The owner still may.
    s.registry.setIdentity(owner);
    expect(await s.registry.add_delegate({ device, delegate: stranger.getPrincipal(), expires_at: 2n ** 63n })).toEqual({
        Ok: null
    });
});

it('the consent message and the fee-collector update are metered when the policy names them', async () => {
    s.token.setIdentity(controller);
    const rule = { refuse_anonymous: false, calls_per_window: [1n] as [bigint], instructions_per_window: [] as [] };
    await s.token.sponsorship_set_policy({
        ...policy,
        methods: [
            ['icrc21_canister_call_consent_message', rule],
            ['icrc107_set_fee_collector', rule]
        ]
    });
    s.token.setIdentity(stranger);
    const request = {
        method: 'icrc1_transfer',
        arg: new Uint8Array(),
        user_preferences: { metadata: { language: 'en', utc_offset_minutes: [] as [] }, device_spec: [] as [] }
    };
    await s.token.icrc21_canister_call_consent_message(request);
    // The second call in the window is over the quota: inspect_message refuses it.
    await expect(s.token.icrc21_canister_call_consent_message(request)).rejects.toThrow(/IC0406/);
    const setCollector = () => s.token.icrc107_set_fee_collector({ fee_collector: [], created_at_time: 0n });
    expect(await setCollector()).toMatchObject({ Err: { AccessDenied: expect.any(String) } });
    await expect(setCollector()).rejects.toThrow(/IC0406/);
});
