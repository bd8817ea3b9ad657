/**
 * The management canister the local IC serves is wire-compatible with the official `ic-management.did`
 * (shipped by @icp-sdk/canisters): every method it implements has the official argument and result types, and
 * it keeps every canister setting it takes, within the replica's limits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { ROOT } from '../../scripts/lib/canisters';
import { type Actor, LocalIc, managementService } from '../../src/replica';
import { ENVIRONMENT_VARIABLE_LIMITS } from '../../src/replica/management/handlers';
import { type CanisterSettingsArg, type CanisterStatusResultValue, settingsArg } from '../../src/ic/management';
import { isSubtype, parseDid, stopDidParser } from '../support/candid-types';

afterAll(stopDidParser);

const OFFICIAL_DID = join(ROOT, 'node_modules/@icp-sdk/canisters/declarations/ic-management/ic-management.did');

it('serves each of its methods to clients of the official interface, with its annotations', async () => {
    const official = new Map((await parseDid(readFileSync(OFFICIAL_DID, 'utf8'))).service._fields);
    const ours = managementService.idlFactory({ IDL })._fields;
    expect(ours.map(([name]) => name).sort()).toEqual(
        [
            'canister_status',
            'clear_chunk_store',
            'create_canister',
            'delete_canister',
            'delete_canister_snapshot',
            'deposit_cycles',
            'install_chunked_code',
            'install_code',
            'list_canister_snapshots',
            'load_canister_snapshot',
            'provisional_create_canister_with_cycles',
            'provisional_top_up_canister',
            'raw_rand',
            'start_canister',
            'stop_canister',
            'stored_chunks',
            'take_canister_snapshot',
            'uninstall_code',
            'update_settings',
            'upload_chunk'
        ].sort()
    );
    for (const [method, func] of ours) {
        const theirs = official.get(method);
        expect({ method, inOfficialDid: theirs !== undefined }).toEqual({ method, inOfficialDid: true });
        // a subtype: what the official interface sends is understood, what is answered decodes with it
        expect({ method, servesOfficialClients: isSubtype(func, theirs as IDL.FuncClass) }).toEqual({
            method,
            servesOfficialClients: true
        });
    }
});

it('the compatibility check refuses a reply that lacks a required field, or an argument field left unread', () => {
    const official = IDL.Func([IDL.Record({ a: IDL.Nat, b: IDL.Opt(IDL.Nat) })], [IDL.Record({ x: IDL.Nat })], []);
    const extended = IDL.Func(
        [IDL.Record({ a: IDL.Nat, b: IDL.Opt(IDL.Nat), c: IDL.Opt(IDL.Nat) })],
        [IDL.Record({ x: IDL.Nat, y: IDL.Nat })],
        []
    );
    expect(isSubtype(extended, official)).toBe(true);
    expect(isSubtype(IDL.Func([IDL.Record({ a: IDL.Nat })], [IDL.Record({ x: IDL.Nat })], []), official)).toBe(true);
    expect(
        isSubtype(IDL.Func([IDL.Record({ a: IDL.Nat, b: IDL.Opt(IDL.Nat) })], [IDL.Record({ y: IDL.Nat })], []), official)
    ).toBe(false);
    expect(isSubtype(IDL.Func([IDL.Record({ a: IDL.Nat, d: IDL.Nat })], [IDL.Record({ x: IDL.Nat })], []), official)).toBe(false);
    expect(
        isSubtype(IDL.Func([IDL.Record({ a: IDL.Nat, b: IDL.Opt(IDL.Nat) })], [IDL.Record({ x: IDL.Nat })], ['query']), official)
    ).toBe(false);
});

describe('canister settings', () => {
    type Variable = { name: string; value: string };
    type Management = {
        update_settings(arg: {
            canister_id: Principal;
            settings: CanisterSettingsArg;
            sender_canister_version: [];
        }): Promise<void>;
        canister_status(arg: { canister_id: Principal }): Promise<CanisterStatusResultValue>;
    };
    const owner = Principal.fromUint8Array(new Uint8Array([7, 7, 7, 1]));
    let ic: LocalIc;
    let management: Actor<Management>;
    let canisterId: Principal;

    beforeEach(async () => {
        ic = await LocalIc.create();
        canisterId = await ic.createCanister({ sender: owner });
        management = ic.createActor<Management>(managementService.idlFactory, Principal.managementCanister());
        management.setPrincipal(owner);
    });
    afterEach(() => ic.tearDown());

    const settings = (given: Partial<CanisterSettingsArg>): CanisterSettingsArg => ({ ...settingsArg({}), ...given });
    const update = (given: Partial<CanisterSettingsArg>) =>
        management.update_settings({ canister_id: canisterId, settings: settings(given), sender_canister_version: [] });
    const status = async () => (await management.canister_status({ canister_id: canisterId })).settings;

    it('keeps environment variables, visibilities and the memory threshold, and reports them (variables by name)', async () => {
        const viewer = Principal.fromUint8Array(new Uint8Array([9]));
        await update({
            environment_variables: [
                [
                    { name: 'PUBLIC_CANISTER_ID:token', value: 'ryjl3' },
                    { name: 'ICP_ENV', value: 'local' }
                ]
            ],
            log_visibility: [{ allowed_viewers: [viewer] }],
            snapshot_visibility: [{ public: null }],
            wasm_memory_threshold: [1_000_000n]
        });
        const kept = await status();
        expect(kept.environment_variables).toEqual([
            { name: 'ICP_ENV', value: 'local' },
            { name: 'PUBLIC_CANISTER_ID:token', value: 'ryjl3' }
        ]);
        expect(kept.log_visibility).toEqual({ allowed_viewers: [viewer] });
        expect(kept.snapshot_visibility).toEqual({ public: null });
        expect(kept.wasm_memory_threshold).toBe(1_000_000n);
        // a setting left out stays as it was
        await update({ freezing_threshold: [1n] });
        expect((await status()).environment_variables).toHaveLength(2);
    });

    it('refuses, with the replica messages, variables beyond its limits, and changes nothing', async () => {
        const many: Variable[] = Array.from({ length: ENVIRONMENT_VARIABLE_LIMITS.count + 1 }, (_, i) => ({
            name: `V${i}`,
            value: ''
        }));
        const refusals: Array<[Variable[], RegExp]> = [
            [many, /Too many environment variables: 21 \(max: 20\)/],
            [[{ name: 'N'.repeat(129), value: '' }], /name "N+" exceeds the maximum allowed length of 128/],
            [[{ name: 'V', value: 'v'.repeat(129) }], /value "v+" exceeds the maximum allowed length of 128/],
            [
                [
                    { name: 'V', value: '1' },
                    { name: 'V', value: '2' }
                ],
                /Duplicate environment variable name "V"/
            ]
        ];
        for (const [variables, message] of refusals) {
            await expect(update({ environment_variables: [variables], freezing_threshold: [5n] })).rejects.toThrow(message);
        }
        const unchanged = await status();
        expect(unchanged.environment_variables).toEqual([]);
        expect(unchanged.freezing_threshold).toBe(2_592_000n);
    });

    it('keeps the log memory limit within the replica bounds (0 turns the log off)', async () => {
        expect((await status()).log_memory_limit).toBe(4_096n);
        await update({ log_memory_limit: [65_536n] });
        expect((await status()).log_memory_limit).toBe(65_536n);
        await update({ log_memory_limit: [0n] });
        expect((await status()).log_memory_limit).toBe(0n);
        await expect(update({ log_memory_limit: [100n] })).rejects.toThrow(
            /log memory limit 100 is too low. It must be at least 4096/
        );
        await expect(update({ log_memory_limit: [3n * 1024n * 1024n] })).rejects.toThrow(
            /is too high. It must be at most 2097152/
        );
        expect((await status()).log_memory_limit).toBe(0n);
    });

    it('lets an allowed viewer, then anyone, read the status when its visibility says so', async () => {
        const viewer = Principal.fromUint8Array(new Uint8Array([42]));
        const stranger = Principal.fromUint8Array(new Uint8Array([43]));
        const statusAs = (who: Principal) => {
            management.setPrincipal(who);
            return management.canister_status({ canister_id: canisterId }).finally(() => management.setPrincipal(owner));
        };
        await expect(statusAs(viewer)).rejects.toThrow(/Only controllers/);
        await update({ status_visibility: [{ allowed_viewers: [viewer] }], minimum_incoming_canister_call_cycles: [1_000n] });
        expect((await statusAs(viewer)).settings.minimum_incoming_canister_call_cycles).toBe(1_000n);
        await expect(statusAs(stranger)).rejects.toThrow(/Only controllers/);
        await update({ status_visibility: [{ public: null }] });
        expect((await statusAs(stranger)).settings.status_visibility).toEqual({ public: null });
    });

    it('refuses more than ten controllers at creation without creating the canister', async () => {
        const before = ic.canisterIds().length;
        const eleven = Array.from({ length: 11 }, (_, i) => Principal.fromUint8Array(new Uint8Array([i + 1])));
        await expect(ic.createCanister({ sender: owner, controllers: eleven })).rejects.toThrow(
            /'controllers' length exceeds maximum size allowed of 10/
        );
        expect(ic.canisterIds().length).toBe(before);
    });
});
