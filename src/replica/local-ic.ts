/**
 * `LocalIc`: an Internet Computer in the test process. It runs real canister wasm with the IC's execution
 * semantics and has the API of `PocketIc` from @dfinity/pic 0.23 (same method names, options and results),
 * so a test runs on either by swapping the factory (see `test/support/ic.ts`).
 *
 * This file is the facade: each method hands off to the part that does the work. The subnet's state is in
 * `subnet.ts`, how messages run in `scheduling.ts`, installs in `installs.ts`, the management canister in
 * `management/` (its handlers, and `dispatch.ts` for calls to it), every price in `costs.ts`.
 */
import { Principal } from '@dfinity/principal';

import { type Actor, type ActorInterface, createActor, type InterfaceFactory } from './actor';
import type { CanisterLogRecord } from './canister';
import type { HashTree } from './certificates';
import { DEFAULT_PROVISIONAL_CYCLES } from './costs';
import { install, installCodeArgs } from './installs';
import { settingsArg } from '../ic/management';
import { ManagementDispatch } from './management/dispatch';
import { managementHandlers } from './management/handlers';
import { type CallOptions, type IngressOutcome, Scheduler } from './scheduling';
import { MANAGEMENT_CANISTER_ID, Subnet } from './subnet';

export { executionCost } from './costs';
export type { CallOptions, IngressOutcome } from './scheduling';
export { MANAGEMENT_CANISTER_ID };

export type LocalIcOptions = {
    /** Seeds `raw_rand`: the same seed gives the same random bytes. */
    readonly seed?: string;
    /** Start time; the wall clock by default. */
    readonly time?: Date | number;
    /** Print canister logs (debug_print) to the console as they happen. */
    readonly showCanisterLogs?: boolean;
};

export type CreateCanisterOptions = {
    sender?: Principal;
    cycles?: bigint;
    controllers?: Principal[];
    computeAllocation?: bigint;
    freezingThreshold?: bigint;
    memoryAllocation?: bigint;
    reservedCyclesLimit?: bigint;
    wasmMemoryLimit?: bigint;
    wasmMemoryThreshold?: bigint;
    targetCanisterId?: Principal;
};
export type InstallCodeOptions = { canisterId: Principal; wasm: Uint8Array | string; arg?: Uint8Array; sender?: Principal };
export type UpgradeCanisterOptions = InstallCodeOptions & {
    upgradeModeOptions?: {
        skip_pre_upgrade: [] | [boolean];
        wasm_memory_persistence?: [] | [{ keep: null } | { replace: null }];
    };
};
export type SetupCanisterOptions = CreateCanisterOptions & {
    idlFactory: InterfaceFactory;
    wasm: Uint8Array | string;
    arg?: Uint8Array;
};
export type CanisterFixture<T extends ActorInterface<T>> = { actor: Actor<T>; canisterId: Principal };
export type UpdateCanisterSettingsOptions = Omit<CreateCanisterOptions, 'cycles' | 'targetCanisterId'> & {
    canisterId: Principal;
};

/** A canister as the certified state tree shows it. */
export type CanisterStateView = {
    readonly moduleHash: Uint8Array | undefined;
    readonly controllers: Principal[];
    /** A public custom section `icp:public <name>` of its module (`candid:service`, for one). */
    readonly metadata: (name: string) => Uint8Array | undefined;
};

export class LocalIc {
    private readonly subnet: Subnet;
    private readonly management: ManagementDispatch;
    private readonly scheduler: Scheduler;

    private constructor(options: LocalIcOptions) {
        this.subnet = new Subnet({
            seed: options.seed,
            startNs: toNanos(options.time ?? Date.now()),
            showCanisterLogs: options.showCanisterLogs
        });
        this.management = new ManagementDispatch(
            managementHandlers({
                canister: (id) => this.subnet.find(id),
                createCanister: (o) => this.subnet.newCanister(o.controllers, o.cycles, o.specifiedId),
                deleteCanister: (id) => this.subnet.delete(id),
                installCode: (request) => install(request),
                randomBytes: () => this.subnet.randomBytes(),
                time: () => this.subnet.now
            })
        );
        this.scheduler = new Scheduler(this.subnet, this.management);
    }

    static async create(options: LocalIcOptions = {}): Promise<LocalIc> {
        return new LocalIc(options);
    }

    async tearDown(): Promise<void> {
        this.subnet.canisters.clear();
        this.scheduler.clear();
    }

    // --- canisters (pic: createCanister, installCode, reinstallCode, upgradeCanister, setupCanister) ---

    async createCanister(options: CreateCanisterOptions = {}): Promise<Principal> {
        const sender = options.sender ?? Principal.anonymous();
        const { canister_id } = this.management.call(sender, 'provisional_create_canister_with_cycles', 0n, {
            amount: [options.cycles ?? DEFAULT_PROVISIONAL_CYCLES],
            settings: [settingsArg({ ...options, controllers: options.controllers ?? [sender] })],
            specified_id: options.targetCanisterId === undefined ? [] : [options.targetCanisterId],
            sender_canister_version: []
        });
        return canister_id;
    }

    async installCode({ canisterId, wasm, arg, sender }: InstallCodeOptions): Promise<void> {
        this.installThroughManagement(sender, installCodeArgs('install', canisterId, wasm, arg));
    }

    async reinstallCode({ canisterId, wasm, arg, sender }: InstallCodeOptions): Promise<void> {
        this.installThroughManagement(sender, installCodeArgs('reinstall', canisterId, wasm, arg));
    }

    async upgradeCanister({ canisterId, wasm, arg, sender, upgradeModeOptions }: UpgradeCanisterOptions): Promise<void> {
        const flags = {
            skip_pre_upgrade: upgradeModeOptions?.skip_pre_upgrade ?? [],
            wasm_memory_persistence: upgradeModeOptions?.wasm_memory_persistence ?? []
        };
        this.installThroughManagement(sender, installCodeArgs('upgrade', canisterId, wasm, arg, flags));
    }

    async setupCanister<T extends ActorInterface<T>>(options: SetupCanisterOptions): Promise<CanisterFixture<T>> {
        const canisterId = await this.createCanister(options);
        await this.installCode({ canisterId, wasm: options.wasm, arg: options.arg, sender: options.sender });
        return { canisterId, actor: this.createActor<T>(options.idlFactory, canisterId) };
    }

    createActor<T extends ActorInterface<T>>(idlFactory: InterfaceFactory, canisterId: Principal): Actor<T> {
        return createActor<T>(idlFactory, canisterId, {
            query: (o) => this.queryCall(o),
            update: (o) => this.updateCall(o)
        });
    }

    // --- settings and status ---

    async updateCanisterSettings(options: UpdateCanisterSettingsOptions): Promise<void> {
        this.management.call(options.sender ?? Principal.anonymous(), 'update_settings', 0n, {
            canister_id: options.canisterId,
            settings: settingsArg(options),
            sender_canister_version: []
        });
    }

    async canisterStatus({ canisterId, sender }: { canisterId: Principal; sender?: Principal }) {
        const status = this.management.call(sender ?? Principal.anonymous(), 'canister_status', 0n, { canister_id: canisterId });
        return {
            status: status.status,
            settings: status.settings,
            moduleHash: status.module_hash[0] ?? null,
            memorySize: status.memory_size,
            cycles: status.cycles,
            reservedCycles: status.reserved_cycles,
            idleCyclesBurnedPerDay: status.idle_cycles_burned_per_day
        };
    }

    async startCanister({ canisterId, sender }: { canisterId: Principal; sender?: Principal }): Promise<void> {
        this.management.call(sender ?? Principal.anonymous(), 'start_canister', 0n, { canister_id: canisterId });
    }

    async stopCanister({ canisterId, sender }: { canisterId: Principal; sender?: Principal }): Promise<void> {
        this.management.call(sender ?? Principal.anonymous(), 'stop_canister', 0n, { canister_id: canisterId });
    }

    async getControllers(canisterId: Principal): Promise<Principal[]> {
        return [...this.subnet.canister(canisterId).settings.controllers];
    }

    // --- cycles and stable memory ---

    async getCyclesBalance(canisterId: Principal): Promise<bigint> {
        return this.subnet.canister(canisterId).cycles;
    }

    /** Adds cycles out of nowhere, as PocketIC's `add_cycles` (no price: nobody pays for them). */
    async addCycles(canisterId: Principal, amount: bigint): Promise<bigint> {
        const canister = this.subnet.canister(canisterId);
        canister.cycles += amount;
        return canister.cycles;
    }

    async getStableMemory(canisterId: Principal): Promise<Uint8Array> {
        return this.subnet.canister(canisterId).stable.snapshot();
    }

    async setStableMemory(canisterId: Principal, stableMemory: Uint8Array): Promise<void> {
        this.subnet.canister(canisterId).stable.restore(stableMemory);
    }

    // --- time ---

    /** The IC's time in milliseconds, as pic-js returns it. */
    async getTime(): Promise<number> {
        return Number(this.subnet.now / 1_000_000n);
    }

    async setTime(time: Date | number): Promise<void> {
        this.subnet.moveTimeTo(toNanos(time));
    }

    async resetTime(): Promise<void> {
        this.subnet.moveTimeTo(toNanos(Date.now()));
    }

    async advanceTime(durationMs: number): Promise<void> {
        this.subnet.moveTimeTo(this.subnet.now + BigInt(Math.round(durationMs * 1_000_000)));
    }

    /** Executes rounds: timers that are due fire, and queued messages are delivered. */
    async tick(times = 1): Promise<void> {
        for (let i = 0; i < times; i++) this.scheduler.round();
    }

    // --- calls ---

    /**
     * A query call: a `canister_query` or `canister_composite_query` method, run non-replicated; the canister's
     * state is left as it was. Resolves with the reply, rejects with a CallRejectedError.
     */
    async queryCall(options: CallOptions): Promise<Uint8Array> {
        return this.scheduler.query(options);
    }

    /** An ingress update call, run to completion (with the calls it makes). */
    async updateCall(options: CallOptions): Promise<Uint8Array> {
        const outcome = this.ingress(options);
        if (outcome.kind === 'replied') return outcome.reply;
        throw outcome.error;
    }

    /**
     * An ingress update as the IC's HTTP interface sees it: `refused` when it never entered the IC (no such
     * canister or method, refused by `canister_inspect_message`, no cycles to pay for it), which a client hears
     * uncertified; otherwise it ran to completion and its reply or reject is certified in `request_status`.
     */
    ingress(options: CallOptions): IngressOutcome {
        return this.scheduler.ingress(options);
    }

    // --- beyond pic ---

    /** The root key certificates verify with, DER-encoded (what an agent gets from /api/v2/status). */
    async getRootKey(): Promise<Uint8Array> {
        return this.subnet.key.derPublicKey;
    }

    /** Signs a state tree with the instance's subnet key: a certificate that verifies with {@link getRootKey}. */
    certify(tree: HashTree): Uint8Array {
        return this.subnet.key.certify(tree);
    }

    /** The IC's time in nanoseconds, as certificates and ingress expiry use it. */
    get timeNs(): bigint {
        return this.subnet.now;
    }

    /**
     * What the state tree shows of a canister (`/canister/<id>/...`): its module hash, controllers and the
     * public metadata sections of its wasm; undefined for a canister that does not exist.
     */
    canisterState(canisterId: Principal): CanisterStateView | undefined {
        const canister = this.subnet.find(canisterId);
        if (canister === undefined) return undefined;
        return {
            moduleHash: canister.module?.hash,
            controllers: [...canister.settings.controllers],
            metadata: (name) => {
                const compiled = canister.module?.compiled;
                if (compiled === undefined) return undefined;
                const [section] = WebAssembly.Module.customSections(compiled, `icp:public ${name}`);
                return section === undefined ? undefined : new Uint8Array(section);
            }
        };
    }

    /** Instructions the canister's last message executed. */
    lastInstructions(canisterId: Principal): bigint {
        return this.subnet.canister(canisterId).lastInstructions;
    }

    /**
     * Instructions of every message the canister has run that could change it (all but queries and
     * inspections): the difference across a call counts all its messages, the callbacks after each await too.
     */
    totalInstructions(canisterId: Principal): bigint {
        return this.subnet.canister(canisterId).totalInstructions;
    }

    /** What the canister printed with debug_print (console.log in Azle), oldest first. */
    canisterLogs(canisterId: Principal): readonly CanisterLogRecord[] {
        return this.subnet.canister(canisterId).logs;
    }

    /** The ids of the canisters that exist, in creation order. */
    canisterIds(): Principal[] {
        return [...this.subnet.canisters.values()].map((c) => c.id);
    }

    /** Installs through the management canister's `install_code`, as the sender (anonymous by default). */
    private installThroughManagement(sender: Principal | undefined, args: ReturnType<typeof installCodeArgs>): void {
        this.management.call(sender ?? Principal.anonymous(), 'install_code', 0n, args);
    }
}

function toNanos(time: Date | number): bigint {
    const ms = time instanceof Date ? time.getTime() : time;
    return BigInt(Math.round(ms)) * 1_000_000n;
}
