/**
 * The registry canister: a DePIN device registry (interface in `service.ts`). This file only connects Azle to
 * the registry: the caller, the time, the controllers and the token go in (as {@link RegistryEffects}), the
 * registry's answers come out. The rules live in `registry.ts`, `epochs.ts`, `proofs.ts` and `groups.ts`; the
 * layout in `state.ts`.
 */
import { type Principal } from '@dfinity/principal';
import * as azle from 'azle';
import {
    canisterCycleBalance,
    canisterSelf,
    certifiedDataSet,
    clearTimer,
    dataCertificate,
    inspectMessage,
    isController,
    msgArgData,
    msgCaller,
    msgMethodName,
    preUpgrade,
    setTimer,
    setTimerInterval,
    StableBTreeMap,
    time
} from 'azle';

import { c, canisterCalls, implement, InterCanisterCallError } from '../../candid';
import { decoder } from '../../candid/wire';
import { usesNativeCrypto } from '../../ic/crypto';
import { type CurveName, precomputeCurve } from '../../ic/keys';
import type { CertifiedResponses } from '../../ic/http/response-certification';
import type { HttpRequest, HttpResponse } from '../../ic/http/interface';
import type { TransferResult } from '../../icrc/interface';
import { tokenService } from '../token/service';
import type {
    AddManufacturerArgs,
    ClaimRewardsResult,
    Device,
    DeviceRef,
    DeviceRegistration,
    DeviceResult,
    EpochSummary,
    HeartbeatResult,
    Manufacturer,
    RegistryConfig,
    RegistryInit,
    RegistryResult,
    RegistryStats,
    RelayedHeartbeat,
    RewardSettings
} from './types';
import { SponsoredCanister } from '../../sponsorship/canister';
import { sponsorshipEndpoints } from '../../sponsorship/endpoints';
import { Sponsorship } from '../../sponsorship/quota';
import { type ByteMap, mapsOf, RAW_BYTES } from '../../ic/stable-maps';
import { DASHBOARD_EPOCHS, DASHBOARD_REFRESH_SECONDS, dashboardResponses, epochRows } from './dashboard';
import { CLOSE_CHUNK, MAX_ARG_BYTES, MAX_MANUFACTURERS_LISTED } from './limits';
import { type Outcome, Registry, type RegistryEffects } from './registry';
import { registryService } from './service';
import { MEMORY, RegistryStore, SPONSORSHIP_MEMORY } from './state';

/** Stable maps with binary keys and values, opened on the memories `state.ts` assigns. */
const openStable = (id: number): ByteMap => new StableBTreeMap<Uint8Array, Uint8Array>(id, RAW_BYTES, RAW_BYTES);

const canisters = canisterCalls(azle);
const CLAIM_MEMO = new TextEncoder().encode('depin rewards');

const effects: RegistryEffects = {
    get self() {
        return canisterSelf();
    },
    now: () => time(),
    isController: (principal) => isController(principal),
    async mint(token, to, amount) {
        let result: TransferResult;
        try {
            result = await canisters.call({
                service: tokenService,
                canister: token,
                method: 'icrc1_transfer',
                args: [{ from_subaccount: [], to, amount, fee: [], memo: [CLAIM_MEMO], created_at_time: [] }]
            });
        } catch (error) {
            if (!(error instanceof InterCanisterCallError)) throw error;
            return { Err: `the token rejected the call: ${error.rejectMessage}` };
        }
        return 'Ok' in result
            ? { Ok: result.Ok }
            : {
                  Err: `the token refused the mint: ${JSON.stringify(result.Err, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`
              };
    }
};

const registry = new Registry(new RegistryStore(mapsOf(MEMORY, openStable)), effects);

/** The wallet's metering of callers: off (nothing metered) until a wallet sets a policy. */
const sponsored = new SponsoredCanister(new Sponsorship(openStable(SPONSORSHIP_MEMORY)), azle);
const sponsorship = sponsored.sponsorship;

/** The controller-only and metered methods `service.ts` declares are checked and metered by `implement`. */
const api = implement(registryService, azle, { meter: sponsored });

let closingTimer: bigint | undefined;

/** Closes ended epochs on a timer, one chunk per message, and chains messages while a closing has work. */
function armClosing(): void {
    if (closingTimer !== undefined) clearTimer(closingTimer);
    const step = () => {
        const closingFrom = registry.core.next_epoch_to_close;
        const { remaining } = registry.closeEpochs(CLOSE_CHUNK);
        if (remaining) setTimer(0, step);
        // closed epochs show at once, not a refresh later
        else if (registry.core.next_epoch_to_close !== closingFrom) setTimer(0, refreshDashboard);
    };
    closingTimer = setTimerInterval(Number(registry.core.epochs.heartbeat_interval_seconds), step);
}

let dashboard: CertifiedResponses | undefined;
let dashboardTimer: bigint | undefined;
/** The registry's id as text, for the dashboard: written once, not at every refresh. */
let selfText: string | undefined;

/** Renders the dashboard's figures and certifies them (a query cannot: certified data changes in updates only). */
function refreshDashboard(): void {
    const stats = registry.stats();
    dashboard = dashboardResponses({
        canister: (selfText ??= canisterSelf().toText()),
        as_of: time(),
        stats,
        epochs: epochRows(registry.store, stats, DASHBOARD_EPOCHS),
        cycle_balance: canisterCycleBalance(),
        metered: sponsorship.meteredTotals
    });
    certifiedDataSet(dashboard.certifiedData);
}

/** Renders the dashboard now, in its own message, and again every refresh interval. */
function armDashboard(): void {
    if (dashboardTimer !== undefined) clearTimer(dashboardTimer);
    setTimer(0, refreshDashboard);
    dashboardTimer = setTimerInterval(DASHBOARD_REFRESH_SECONDS, refreshDashboard);
}

/**
 * Builds each curve's signature table in its own message, so no caller's call pays for it. Only the JS path
 * has tables to build: on the suite's runtime the checks are native.
 */
function warmUpCurves(): void {
    if (usesNativeCrypto) return;
    for (const curve of ['Ed25519', 'Secp256k1', 'P256'] as CurveName[]) setTimer(0, () => precomputeCurve(curve));
}

/**
 * Methods on one device and the roles over it they need (the methods check again, for inter-canister calls):
 * the owner's, or for a status change any role `setStatus` accepts.
 */
const DEVICE_ROLE_METHODS = new Map<string, 'owner' | 'any'>([
    ['transfer_device', 'owner'],
    ['set_beneficiary', 'owner'],
    ['add_delegate', 'owner'],
    ['remove_delegate', 'owner'],
    ['set_device_status', 'any']
]);

/** Each of those methods' argument is a record naming the device (other fields skipped, within the budget). */
const decodeDevice = decoder([c.record({ device: c.principal() })]);

function hasDeviceRole(caller: Principal, needs: 'owner' | 'any'): boolean {
    let device: Principal;
    try {
        [{ device }] = decodeDevice(msgArgData()) as [{ device: Principal }];
    } catch {
        return false; // not even the device can be read: the method would refuse it too
    }
    return needs === 'owner' ? registry.isOwner(caller, device) : registry.roleOver(caller, device) !== undefined;
}

/** The sponsorship methods come from `sponsorshipEndpoints` (`src/sponsorship/endpoints.ts`). */
export default class RegistryCanister extends sponsorshipEndpoints(sponsored, azle) {
    @api.init()
    init(arg: RegistryInit): void {
        registry.initialize(arg);
        sponsored.start();
        armClosing();
        armDashboard();
        warmUpCurves();
    }

    /** Keeps the metered totals the dashboard shows (counted on the heap) across the upgrade. */
    @preUpgrade
    preUpgrade(): void {
        sponsorship.checkpoint();
    }

    @api.postUpgrade()
    postUpgrade(): void {
        registry.forgetCache();
        sponsored.start();
        armClosing();
        armDashboard();
        warmUpCurves();
    }

    /**
     * Refuses, before they cost the registry cycles, ingress that could only fail: unknown methods, oversized
     * arguments, heartbeats from principals that are not active devices, relays from non-gateways,
     * registrations from non-manufacturers, controller methods from others, and callers over their sponsorship
     * quota. Every method repeats its own checks: inspection does not run for inter-canister calls.
     */
    @inspectMessage({ manual: true })
    inspect(): boolean {
        const method = msgMethodName();
        const caller = msgCaller();
        if (!api.inspect(method, caller) || msgArgData().length > MAX_ARG_BYTES) return false;
        if (method === 'heartbeat' && !registry.isActiveDevice(caller)) return false;
        if (method === 'relay_heartbeats' && !registry.isGateway(caller)) return false;
        if ((method === 'register_device' || method === 'register_devices') && !registry.isActiveManufacturer(caller))
            return false;
        if (!sponsored.mayCall(caller, method)) return false;
        const needs = DEVICE_ROLE_METHODS.get(method);
        if (needs !== undefined && !hasDeviceRole(caller, needs)) return false;
        return sponsorship.check(caller, method, time()) === undefined;
    }

    // --- controllers ---

    @api.update('add_manufacturer')
    add_manufacturer(args: AddManufacturerArgs): Outcome<Principal> {
        return registry.addManufacturer(args);
    }

    @api.update('revoke_manufacturer')
    revoke_manufacturer(args: { manufacturer: Principal; reason: string }): RegistryResult {
        return registry.revokeManufacturer(args.manufacturer, args.reason);
    }

    @api.update('set_gateway')
    set_gateway(args: { gateway: Principal; allowed: boolean }): RegistryResult {
        return registry.setGateway(args.gateway, args.allowed);
    }

    @api.update('set_reward_settings')
    set_reward_settings(rewards: RewardSettings): RegistryResult {
        return registry.setRewards(rewards);
    }

    @api.update('set_token')
    set_token(token: [] | [Principal]): RegistryResult {
        return registry.setToken(token[0]);
    }

    /** Closes ended epochs now (a timer does it too), one chunk of devices per call. */
    @api.update('close_epochs')
    close_epochs(): { credited: number; remaining: boolean } {
        return registry.closeEpochs(CLOSE_CHUNK);
    }

    // --- manufacturers ---

    @api.update('register_device')
    register_device(registration: DeviceRegistration): DeviceResult {
        const outcome = registry.register(msgCaller(), [registration]);
        return 'Err' in outcome ? outcome : (outcome.Ok[0] as DeviceResult);
    }

    @api.update('register_devices')
    register_devices(registrations: DeviceRegistration[]): Outcome<DeviceResult[]> {
        return registry.register(msgCaller(), registrations);
    }

    // --- devices and gateways ---

    @api.update('heartbeat')
    heartbeat(args: { location: [] | [bigint] }): HeartbeatResult {
        return registry.heartbeat(msgCaller(), args.location[0]);
    }

    @api.update('relay_heartbeats')
    relay_heartbeats(heartbeats: RelayedHeartbeat[]): Outcome<HeartbeatResult[]> {
        return registry.relay(msgCaller(), heartbeats);
    }

    // --- owners ---

    @api.update('claim_device')
    claim_device(args: {
        device: Principal;
        proof: { nonce: bigint; expires_at: bigint; signature: Uint8Array };
    }): RegistryResult {
        return registry.claimDevice(msgCaller(), args.device, args.proof);
    }

    @api.update('transfer_device')
    transfer_device(args: { device: Principal; to: Principal }): RegistryResult {
        return registry.transfer(msgCaller(), args.device, args.to);
    }

    @api.update('set_beneficiary')
    set_beneficiary(args: {
        device: Principal;
        beneficiary: [] | [{ owner: Principal; subaccount: [] | [Uint8Array] }];
    }): RegistryResult {
        return registry.setBeneficiary(msgCaller(), args.device, args.beneficiary[0]);
    }

    @api.update('add_delegate')
    add_delegate(args: { device: Principal; delegate: Principal; expires_at: bigint }): RegistryResult {
        return registry.addDelegate(msgCaller(), args.device, args.delegate, args.expires_at);
    }

    @api.update('remove_delegate')
    remove_delegate(args: { device: Principal; delegate: Principal }): RegistryResult {
        return registry.removeDelegate(msgCaller(), args.device, args.delegate);
    }

    @api.update('set_device_status')
    set_device_status(args: { device: Principal; status: Device['status']['kind']; reason: string }): RegistryResult {
        return registry.setStatus(msgCaller(), args.device, args.status, args.reason);
    }

    @api.update('claim_rewards')
    async claim_rewards(args: { devices: Principal[] }): Promise<ClaimRewardsResult> {
        return registry.claimRewards(msgCaller(), args.devices);
    }

    // --- queries ---

    @api.query('get_device')
    get_device(ref: DeviceRef): [] | [Device] {
        const device = 'Id' in ref ? registry.device(ref.Id) : registry.deviceByKey(ref.Key);
        return device === undefined ? [] : [device];
    }

    @api.query('list_devices')
    list_devices(args: Parameters<Registry['listDevices']>[0]): Outcome<Device[]> {
        return registry.listDevices(args);
    }

    @api.query('get_manufacturer')
    get_manufacturer(id: Principal): [] | [Manufacturer] {
        const manufacturer = registry.manufacturer(id);
        return manufacturer === undefined ? [] : [manufacturer];
    }

    @api.query('list_manufacturers')
    list_manufacturers(): Manufacturer[] {
        return registry.manufacturers(MAX_MANUFACTURERS_LISTED);
    }

    @api.query('get_epoch')
    get_epoch(epoch: bigint): [] | [EpochSummary] {
        const summary = registry.epochSummary(epoch);
        return summary === undefined ? [] : [summary];
    }

    @api.query('get_config')
    get_config(): RegistryConfig {
        return registry.config();
    }

    @api.query('get_stats')
    get_stats(): RegistryStats {
        return registry.stats();
    }

    // --- the dashboard (dashboard.ts) ---

    /** The HTTP gateway's entry: the dashboard page, its figures, or a 404, each certified. */
    @api.query('http_request')
    http_request(request: HttpRequest): HttpResponse {
        if (dashboard === undefined) return { status_code: 503, headers: [['retry-after', '1']], body: new Uint8Array(0) };
        return dashboard.serve(request, dataCertificate());
    }
}
