/**
 * `LocalIc`: an Internet Computer in the test process. It runs real canister wasm with the IC's execution
 * semantics and has the API of `PocketIc` from @dfinity/pic 0.23 (same method names, options and results),
 * so a test runs on either by swapping the factory (see `test/support/ic.ts`).
 *
 * Messages run one at a time. An ingress update runs to completion with everything it causes: the calls it
 * makes are queued and delivered as separate messages, and their responses run the callers' callbacks.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { checkArgs } from '../candid';
import { type Actor, type ActorInterface, createActor, type InterfaceFactory } from './actor';
import { Canister, type CanisterLogRecord, type SnapshotContent } from './canister';
import { certifiedDataTree, type HashTree, SubnetKey } from './certificates';
import { CYCLE_PRICES, DEFAULT_PROVISIONAL_CYCLES, INSTRUCTION_LIMITS } from './costs';
import { CallRejectedError, RejectCode } from './errors';
import {
    type InstallMode,
    type InstallRequest,
    type ManagementHandlers,
    managementHandlers,
    type ManagementMethod,
    wasmBytes
} from './management/handlers';
import { type InstallModeArg, managementService, settingsArg } from '../ic/management';
import { CallContext, type CallResponse, type EntryKind, newMessage, type OutgoingCall, type Reject } from './message';
import { loadModule } from './modules';
import { providedSystemApi } from './system-api';

export const MANAGEMENT_CANISTER_ID = Principal.fromText('aaaaa-aa');

/** An empty Candid argument list (`DIDL\0\0`): what a call or install without an argument sends. */
const EMPTY_ARGS = new Uint8Array(IDL.encode([], []));

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
/** The flags of install_code's `upgrade` mode, as the management canister takes them. */
type UpgradeFlags = NonNullable<Extract<InstallModeArg, { upgrade: unknown }>['upgrade'][0]>;

export type SetupCanisterOptions = CreateCanisterOptions & {
    idlFactory: InterfaceFactory;
    wasm: Uint8Array | string;
    arg?: Uint8Array;
};
export type CanisterFixture<T extends ActorInterface<T>> = { actor: Actor<T>; canisterId: Principal };
export type CallOptions = { canisterId: Principal; method: string; arg?: Uint8Array; sender?: Principal };
export type UpdateCanisterSettingsOptions = Omit<CreateCanisterOptions, 'cycles' | 'targetCanisterId'> & {
    canisterId: Principal;
};

/** How an ingress update ended (see {@link LocalIc.ingress}). */
export type IngressOutcome =
    | { kind: 'replied'; reply: Uint8Array }
    | { kind: 'rejected'; error: CallRejectedError }
    | { kind: 'refused'; error: CallRejectedError };

/** A canister as the certified state tree shows it. */
export type CanisterStateView = {
    readonly moduleHash: Uint8Array | undefined;
    readonly controllers: Principal[];
    /** A public custom section `icp:public <name>` of its module (`candid:service`, for one). */
    readonly metadata: (name: string) => Uint8Array | undefined;
};

type Delivery =
    | { kind: 'request'; from: Canister; context: CallContext; call: OutgoingCall }
    | { kind: 'response'; to: Canister; context: CallContext; call: OutgoingCall; response: CallResponse; refund: bigint };

/** Deliveries processed per tick at most, so a canister that calls itself forever cannot hang a test. */
const MAX_DELIVERIES_PER_ROUND = 100_000;

export class LocalIc {
    private readonly canisters = new Map<string, Canister>();
    private readonly queue: Delivery[] = [];
    private readonly management: ManagementHandlers;
    private readonly managementTypes = managementService.idlFactory({ IDL });
    private nowNs: bigint;
    private readonly subnetKey: SubnetKey;
    private nextCanisterIndex = 0n;
    private randomCounter = 0;

    private constructor(private readonly options: LocalIcOptions) {
        this.nowNs = toNanos(options.time ?? Date.now());
        this.subnetKey = SubnetKey.forSeed(options.seed ?? 'local-ic');
        this.management = managementHandlers({
            canister: (id) => this.canisters.get(keyOf(id)),
            createCanister: (o) => this.newCanister(o.controllers, o.cycles, o.specifiedId),
            deleteCanister: (id) => this.canisters.delete(keyOf(id)),
            installCode: (request) => this.install(request),
            randomBytes: () => this.randomBytes(),
            time: () => this.nowNs
        });
    }

    static async create(options: LocalIcOptions = {}): Promise<LocalIc> {
        return new LocalIc(options);
    }

    async tearDown(): Promise<void> {
        this.canisters.clear();
        this.queue.length = 0;
    }

    // --- canisters (pic: createCanister, installCode, reinstallCode, upgradeCanister, setupCanister) ---

    async createCanister(options: CreateCanisterOptions = {}): Promise<Principal> {
        const sender = options.sender ?? Principal.anonymous();
        const { canister_id } = this.callManagement(sender, 'provisional_create_canister_with_cycles', 0n, {
            amount: [options.cycles ?? DEFAULT_PROVISIONAL_CYCLES],
            settings: [settingsArg({ ...options, controllers: options.controllers ?? [sender] })],
            specified_id: options.targetCanisterId === undefined ? [] : [options.targetCanisterId],
            sender_canister_version: []
        });
        return canister_id;
    }

    async installCode({ canisterId, wasm, arg, sender }: InstallCodeOptions): Promise<void> {
        this.installVia('install', canisterId, wasm, arg, sender);
    }

    async reinstallCode({ canisterId, wasm, arg, sender }: InstallCodeOptions): Promise<void> {
        this.installVia('reinstall', canisterId, wasm, arg, sender);
    }

    async upgradeCanister({ canisterId, wasm, arg, sender, upgradeModeOptions }: UpgradeCanisterOptions): Promise<void> {
        this.installVia('upgrade', canisterId, wasm, arg, sender, {
            skip_pre_upgrade: upgradeModeOptions?.skip_pre_upgrade ?? [],
            wasm_memory_persistence: upgradeModeOptions?.wasm_memory_persistence ?? []
        });
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
        this.callManagement(options.sender ?? Principal.anonymous(), 'update_settings', 0n, {
            canister_id: options.canisterId,
            settings: settingsArg(options),
            sender_canister_version: []
        });
    }

    async canisterStatus({ canisterId, sender }: { canisterId: Principal; sender?: Principal }) {
        const status = this.callManagement(sender ?? Principal.anonymous(), 'canister_status', 0n, { canister_id: canisterId });
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
        this.callManagement(sender ?? Principal.anonymous(), 'start_canister', 0n, { canister_id: canisterId });
    }

    async stopCanister({ canisterId, sender }: { canisterId: Principal; sender?: Principal }): Promise<void> {
        this.callManagement(sender ?? Principal.anonymous(), 'stop_canister', 0n, { canister_id: canisterId });
    }

    async getControllers(canisterId: Principal): Promise<Principal[]> {
        return [...this.canister(canisterId).settings.controllers];
    }

    // --- cycles and stable memory ---

    async getCyclesBalance(canisterId: Principal): Promise<bigint> {
        return this.canister(canisterId).cycles;
    }

    async addCycles(canisterId: Principal, amount: bigint): Promise<bigint> {
        const canister = this.canister(canisterId);
        canister.cycles += amount;
        return canister.cycles;
    }

    async getStableMemory(canisterId: Principal): Promise<Uint8Array> {
        return this.canister(canisterId).stable.snapshot();
    }

    async setStableMemory(canisterId: Principal, stableMemory: Uint8Array): Promise<void> {
        this.canister(canisterId).stable.restore(stableMemory);
    }

    // --- time ---

    /** The IC's time in milliseconds, as pic-js returns it. */
    async getTime(): Promise<number> {
        return Number(this.nowNs / 1_000_000n);
    }

    async setTime(time: Date | number): Promise<void> {
        this.moveTimeTo(toNanos(time));
    }

    async resetTime(): Promise<void> {
        this.moveTimeTo(toNanos(Date.now()));
    }

    async advanceTime(durationMs: number): Promise<void> {
        this.moveTimeTo(this.nowNs + BigInt(Math.round(durationMs * 1_000_000)));
    }

    /** Executes rounds: timers that are due fire, and queued messages are delivered. */
    async tick(times = 1): Promise<void> {
        for (let i = 0; i < times; i++) {
            this.moveTimeTo(this.nowNs + 1n); // each round takes time, as on the IC (1 ns, as PocketIC)
            for (const canister of this.canisters.values()) {
                this.runHeartbeat(canister);
                this.fireTimer(canister);
                this.runLowMemoryHook(canister);
            }
            this.drainQueue();
        }
    }

    // --- calls ---

    /**
     * A query call: a `canister_query` or `canister_composite_query` method, run non-replicated; the canister's
     * state is left as it was. Resolves with the reply, rejects with a CallRejectedError.
     */
    async queryCall({ canisterId, method, arg = EMPTY_ARGS, sender = Principal.anonymous() }: CallOptions): Promise<Uint8Array> {
        if (isManagementCanister(canisterId)) return this.managementRaw(sender, method, arg, 0n);
        const { canister, exported } = this.callable(canisterId, method, 'query');
        // a query call reaches query and composite query methods only (interface specification, "Nomenclature")
        if (exported === 'update') throw noMethod(canister, 'query', method);
        const caller = sender.toUint8Array();
        const certificate = this.certificateOf(canister);
        const response =
            exported === 'composite_query'
                ? this.compositeQuery(canister, method, arg, caller, new Set(), certificate)
                : this.plainQuery(canister, method, arg, caller, certificate);
        return unwrap(response, canister);
    }

    /** A query method run non-replicated, all its changes undone; its answer (none if it gave none). */
    private plainQuery(
        canister: Canister,
        method: string,
        arg: Uint8Array,
        caller: Uint8Array,
        certificate?: () => Uint8Array
    ): CallResponse | undefined {
        let response: CallResponse | undefined;
        const context = new CallContext(caller, method, 0n, (r) => (response = r));
        const message = newMessage({
            kind: 'query',
            methodName: method,
            caller,
            arg,
            callContext: context,
            instructionLimit: INSTRUCTION_LIMITS.query,
            replicated: false,
            certificate
        });
        const entry = exportName('query', method);
        const outcome = canister.run(message, (exports) => (exports[entry] as () => void)(), 'always');
        if (outcome.trap !== undefined) return { reject: trapRejectBody(canister, outcome.trap.reason, outcome.trap.errorCode) };
        if (message.response !== undefined) answer(context, message.response);
        return response;
    }

    /**
     * A composite query method, with the query calls it makes (interface specification, "Nomenclature": to
     * query and composite query methods, on the same subnet). Its messages (the method, then each callback)
     * keep their changes from one to the next, as the IC keeps them for the length of the query; at the end
     * the canister is put back as it was. Calls run depth first, each to completion before its callback; a
     * canister already on the path is refused as a loop, as the replica refuses it (IC0517).
     */
    private compositeQuery(
        canister: Canister,
        method: string,
        arg: Uint8Array,
        caller: Uint8Array,
        path: Set<string>,
        certificate?: () => Uint8Array
    ): CallResponse | undefined {
        const before = canister.snapshotContent() as SnapshotContent; // callable() found its module
        const cycles = canister.cycles;
        let response: CallResponse | undefined;
        const context = new CallContext(caller, method, 0n, (r) => (response = r));
        const entry = exportName('composite_query', method);
        const message = newMessage({
            kind: 'composite_query',
            methodName: method,
            caller,
            arg,
            callContext: context,
            instructionLimit: INSTRUCTION_LIMITS.query,
            replicated: false,
            certificate
        });
        path.add(keyOf(canister.id));
        try {
            this.runComposite(canister, message, (exports) => (exports[entry] as () => void)(), path);
        } finally {
            path.delete(keyOf(canister.id));
            canister.loadSnapshotContent(before);
            canister.cycles = cycles;
        }
        return response;
    }

    /** Runs one message of a composite query, then each call it made and that call's callback; false if it trapped. */
    private runComposite(
        canister: Canister,
        message: ReturnType<typeof newMessage>,
        invoke: (e: WebAssembly.Exports, t: WebAssembly.Table | undefined) => void,
        path: Set<string>
    ): boolean {
        const context = message.callContext as CallContext;
        const outcome = canister.run(message, invoke);
        if (outcome.trap !== undefined) {
            if (context.response === undefined && message.kind !== 'cleanup') {
                answer(context, { reject: trapRejectBody(canister, outcome.trap.reason, outcome.trap.errorCode) });
            }
            return false;
        }
        if (message.response !== undefined) answer(context, message.response);
        for (const call of message.performed) {
            const result = this.compositeCallee(canister, call, path);
            const isReply = 'reply' in result;
            const callback = isReply ? call.reply : call.reject;
            const next = newMessage({
                kind: isReply ? 'composite_reply_callback' : 'composite_reject_callback',
                methodName: context.methodName,
                caller: context.caller,
                arg: isReply ? result.reply : new Uint8Array(),
                callContext: context,
                reject: isReply ? undefined : result.reject,
                instructionLimit: INSTRUCTION_LIMITS.query,
                replicated: false
            });
            const ok = this.runComposite(canister, next, (_, table) => callTable(table, callback.fn, callback.env), path);
            if (!ok && call.cleanup !== undefined) {
                const cleanup = call.cleanup;
                const cleanupMessage = newMessage({
                    kind: 'cleanup',
                    methodName: context.methodName,
                    caller: context.caller,
                    arg: new Uint8Array(),
                    callContext: context,
                    instructionLimit: INSTRUCTION_LIMITS.query,
                    replicated: false
                });
                this.runComposite(canister, cleanupMessage, (_, table) => callTable(table, cleanup.fn, cleanup.env), path);
            }
        }
        return true;
    }

    /** What a composite query's call answers: the callee's query or composite query, or the IC's reject. */
    private compositeCallee(from: Canister, call: OutgoingCall, path: Set<string>): CallResponse {
        const calleeId = Principal.fromUint8Array(call.callee);
        try {
            if (isManagementCanister(calleeId)) {
                throw new CallRejectedError(
                    RejectCode.DestinationInvalid,
                    `Management canister has no query method '${call.method}' a composite query can call`,
                    'IC0536'
                );
            }
            if (path.has(keyOf(calleeId))) {
                throw new CallRejectedError(
                    RejectCode.CanisterError,
                    'Loop detected.  MVP version of composite queries does not allow loops in the call graph.',
                    'IC0517'
                );
            }
            const { canister, exported } = this.callable(calleeId, call.method, 'query');
            if (exported === 'update') throw noMethod(canister, 'query', call.method);
            const arg = concat(call.arg);
            const response =
                exported === 'composite_query'
                    ? this.compositeQuery(canister, call.method, arg, from.selfId, path)
                    : this.plainQuery(canister, call.method, arg, from.selfId);
            return response ?? { reject: noResponse(canister) };
        } catch (error) {
            return { reject: rejectOf(error) };
        }
    }

    /** The data certificate a query call from ingress can read, signed when the canister first asks for it. */
    private certificateOf(canister: Canister): () => Uint8Array {
        let certificate: Uint8Array | undefined;
        return () =>
            (certificate ??= this.subnetKey.certify(certifiedDataTree(canister.selfId, canister.certifiedData, this.nowNs)));
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
    ingress({ canisterId, method, arg = EMPTY_ARGS, sender = Principal.anonymous() }: CallOptions): IngressOutcome {
        if (isManagementCanister(canisterId)) {
            try {
                return { kind: 'replied', reply: this.managementRaw(sender, method, arg, 0n) };
            } catch (error) {
                if (error instanceof CallRejectedError) return { kind: 'rejected', error };
                throw error;
            }
        }
        let canister: Canister;
        let exported: MethodKind;
        try {
            ({ canister, exported } = this.callable(canisterId, method, 'update'));
            this.inspect(canister, method, arg, sender);
            this.chargeIngress(canister, method, arg);
        } catch (error) {
            if (error instanceof CallRejectedError) return { kind: 'refused', error };
            throw error;
        }
        let response: CallResponse | undefined;
        const context = new CallContext(sender.toUint8Array(), method, 0n, (r) => (response = r));
        this.executeCall(canister, exported, context, method, arg);
        this.drainQueue();
        if (response === undefined && this.queue.length > 0) {
            throw new Error(
                `the call to ${method} is still waiting after ${MAX_DELIVERIES_PER_ROUND} inter-canister messages ` +
                    `(canisters calling each other without end?); tick() delivers more`
            );
        }
        try {
            return { kind: 'replied', reply: unwrap(response, canister) };
        } catch (error) {
            if (error instanceof CallRejectedError) return { kind: 'rejected', error };
            throw error;
        }
    }

    // --- beyond pic ---

    /** The root key certificates verify with, DER-encoded (what an agent gets from /api/v2/status). */
    async getRootKey(): Promise<Uint8Array> {
        return this.subnetKey.derPublicKey;
    }

    /** Signs a state tree with the instance's subnet key: a certificate that verifies with {@link getRootKey}. */
    certify(tree: HashTree): Uint8Array {
        return this.subnetKey.certify(tree);
    }

    /** The IC's time in nanoseconds, as certificates and ingress expiry use it. */
    get timeNs(): bigint {
        return this.nowNs;
    }

    /**
     * What the state tree shows of a canister (`/canister/<id>/...`): its module hash, controllers and the
     * public metadata sections of its wasm; undefined for a canister that does not exist.
     */
    canisterState(canisterId: Principal): CanisterStateView | undefined {
        const canister = this.canisters.get(keyOf(canisterId));
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
        return this.canister(canisterId).lastInstructions;
    }

    /**
     * Instructions of every message the canister has run that could change it (all but queries and
     * inspections): the difference across a call counts all its messages, the callbacks after each await too.
     */
    totalInstructions(canisterId: Principal): bigint {
        return this.canister(canisterId).totalInstructions;
    }

    /** What the canister printed with debug_print (console.log in Azle), oldest first. */
    canisterLogs(canisterId: Principal): readonly CanisterLogRecord[] {
        return this.canister(canisterId).logs;
    }

    /** The ids of the canisters that exist, in creation order. */
    canisterIds(): Principal[] {
        return [...this.canisters.values()].map((c) => c.id);
    }

    // --- internals ---

    /** Moves the clock; time that passes is paid for by every canister's storage. */
    private moveTimeTo(ns: bigint): void {
        const elapsed = ns - this.nowNs;
        this.nowNs = ns;
        if (elapsed <= 0n) return;
        for (const canister of this.canisters.values()) {
            // out of cycles: the IC uninstalls the code and clears the canister's memories, and its snapshots go
            // too (interface specification, "IC method delete_canister_snapshot")
            if (!canister.chargeStorage(elapsed)) {
                canister.snapshots.clear();
                if (canister.hasModule) {
                    canister.uninstall();
                    canister.stable.clear();
                }
            }
        }
    }

    private canister(id: Principal): Canister {
        const canister = this.canisters.get(keyOf(id));
        if (canister === undefined)
            throw new CallRejectedError(RejectCode.DestinationInvalid, `Canister ${id.toText()} not found`, 'IC0301');
        return canister;
    }

    private newCanister(controllers: Principal[], cycles: bigint, specifiedId?: Principal): Canister {
        let id = specifiedId;
        if (id === undefined) {
            do id = canisterIdFromIndex(this.nextCanisterIndex++);
            while (this.canisters.has(keyOf(id)));
        } else if (this.canisters.has(keyOf(id))) {
            throw new CallRejectedError(RejectCode.CanisterError, `Canister ${id.toText()} already exists.`, 'IC0515');
        }
        const canister = new Canister(id, controllers, cycles, {
            time: () => this.nowNs,
            log: (c, text) => {
                if (this.options.showCanisterLogs === true) console.log(`[${c.id.toText()}] ${text}`);
            }
        });
        this.canisters.set(keyOf(id), canister);
        return canister;
    }

    /** The canister and how it exports `method`, if it can take a call now; otherwise the IC's reject. */
    private callable(id: Principal, method: string, asked: 'query' | 'update'): { canister: Canister; exported: MethodKind } {
        const canister = this.canister(id);
        if (canister.status !== 'running') {
            throw new CallRejectedError(RejectCode.CanisterError, `Canister ${id.toText()} is ${canister.status}`, 'IC0508');
        }
        if (!canister.hasModule) {
            throw new CallRejectedError(RejectCode.DestinationInvalid, `Canister ${id.toText()} has no wasm module`, 'IC0537');
        }
        const exported = METHOD_KINDS.find((kind) => canister.hasExport(exportName(kind, method)));
        if (exported === undefined) throw noMethod(canister, asked, method);
        return { canister, exported };
    }

    /** canister_inspect_message: runs for ingress updates only, on one replica; it leaves no trace. */
    private inspect(canister: Canister, method: string, arg: Uint8Array, sender: Principal): void {
        if (!canister.hasExport('canister_inspect_message')) return;
        const message = newMessage({
            kind: 'inspect_message',
            methodName: method,
            caller: sender.toUint8Array(),
            arg,
            instructionLimit: INSTRUCTION_LIMITS.inspectMessage,
            replicated: false
        });
        const outcome = canister.run(message, (exports) => (exports['canister_inspect_message'] as () => void)(), 'always');
        if (outcome.trap !== undefined) throw trapReject(canister, outcome.trap.reason, outcome.trap.errorCode);
        if (!message.accepted) {
            throw new CallRejectedError(
                RejectCode.CanisterReject,
                `Canister ${canister.id.toText()} rejected the message`,
                'IC0406'
            );
        }
    }

    /** Ingress induction is paid by the canister; a canister that cannot pay above its freezing threshold refuses. */
    private chargeIngress(canister: Canister, method: string, arg: Uint8Array): void {
        const cost = CYCLE_PRICES.ingressMessage + CYCLE_PRICES.ingressByte * BigInt(arg.length + method.length);
        this.requireCycles(canister, cost + executionCost(INSTRUCTION_LIMITS.update));
        canister.cycles -= cost;
    }

    private requireCycles(canister: Canister, needed: bigint): void {
        const available = canister.cycles - canister.freezingReserve();
        if (available < needed) {
            throw new CallRejectedError(
                RejectCode.SysTransient,
                `Canister ${canister.id.toText()} is out of cycles: please top up the canister with at least ${needed - available} additional cycles`,
                'IC0207'
            );
        }
    }

    /**
     * Runs a call (ingress or inter-canister) to a method in replicated mode, in a call context. An update
     * method keeps its effects. A query method runs as the specification's `query_as_update` ("Message
     * execution"): paid and limited as an update, its reply kept, everything else it did discarded (the system
     * API traps its calls, timers and certified data). A composite query cannot run replicated at all: the
     * call is rejected as the replica rejects it (`execution/replicated_query.rs`, IC0527).
     */
    private executeCall(canister: Canister, exported: MethodKind, context: CallContext, method: string, arg: Uint8Array): void {
        if (exported === 'composite_query') {
            answer(context, {
                reject: {
                    code: RejectCode.CanisterError,
                    message: 'Composite query cannot be called in replicated mode',
                    errorCode: 'IC0527'
                }
            });
            return;
        }
        const message = newMessage({
            kind: exported === 'update' ? 'update' : 'replicated_query',
            methodName: method,
            caller: context.caller,
            arg,
            callContext: context,
            instructionLimit: INSTRUCTION_LIMITS.update,
            replicated: true
        });
        const entry = exportName(exported, method);
        this.execute(
            canister,
            message,
            (exports) => (exports[entry] as () => void)(),
            exported === 'update' ? 'on-trap' : 'always'
        );
    }

    /** Executes a replicated message, pays for it, and applies its response and calls (or the trap). */
    private execute(
        canister: Canister,
        message: ReturnType<typeof newMessage>,
        invoke: (e: WebAssembly.Exports, t: WebAssembly.Table | undefined) => void,
        rollback: 'on-trap' | 'always' = 'on-trap'
    ): boolean {
        const outcome = canister.run(message, invoke, rollback);
        canister.cycles -= executionCost(outcome.instructions);
        const context = message.callContext;
        if (outcome.trap !== undefined) {
            const answersItself = message.kind === 'update' || message.kind === 'replicated_query';
            if (context !== undefined && context.response === undefined && answersItself) {
                answer(context, { reject: trapRejectBody(canister, outcome.trap.reason, outcome.trap.errorCode) });
            }
            this.settleIfAbandoned(canister, context);
            return false;
        }
        // a message that keeps its changes moves the canister's version on (interface specification, "Canister
        // version"); a query run as an update keeps none, and its version stays (`query_as_update`)
        if (rollback === 'on-trap' && message.kind !== 'cleanup') canister.version += 1n;
        for (const call of message.performed) {
            canister.cycles -= canister.costCall(BigInt(call.method.length), BigInt(call.arg.reduce((n, a) => n + a.length, 0)));
            if (context !== undefined) context.pendingCalls++;
            this.queue.push({ kind: 'request', from: canister, context: context as CallContext, call });
        }
        if (context !== undefined && message.response !== undefined) answer(context, message.response);
        this.settleIfAbandoned(canister, context);
        return true;
    }

    /** A call context with no response and no outstanding call will never be answered: the IC rejects it. */
    private settleIfAbandoned(canister: Canister, context: CallContext | undefined): void {
        if (context === undefined || !context.awaitsResponse || context.response !== undefined || context.pendingCalls > 0)
            return;
        answer(context, {
            reject: { code: RejectCode.CanisterError, message: `Canister ${canister.id.toText()} did not produce a response` }
        });
    }

    private drainQueue(): void {
        for (let n = 0; n < MAX_DELIVERIES_PER_ROUND && this.queue.length > 0; n++) {
            this.deliver(this.queue.shift() as Delivery);
        }
    }

    private deliver(delivery: Delivery): void {
        if (delivery.kind === 'request') this.deliverRequest(delivery);
        else this.deliverResponse(delivery);
    }

    private deliverRequest({ from, context, call }: Extract<Delivery, { kind: 'request' }>): void {
        const respond = (response: CallResponse, refund: bigint) =>
            this.queue.push({ kind: 'response', to: from, context, call, response, refund });
        const callee = Principal.fromUint8Array(call.callee);
        const arg = concat(call.arg);
        if (isManagementCanister(callee)) {
            let accepted = 0n;
            try {
                const reply = this.managementRaw(from.id, call.method, arg, call.cycles, (amount) => (accepted += amount));
                respond({ reply }, call.cycles - accepted);
            } catch (error) {
                respond({ reject: rejectOf(error) }, call.cycles);
            }
            return;
        }
        let target: Canister;
        let exported: MethodKind;
        try {
            ({ canister: target, exported } = this.callable(callee, call.method, 'update'));
            this.requireCycles(target, executionCost(INSTRUCTION_LIMITS.update));
        } catch (error) {
            respond({ reject: rejectOf(error) }, call.cycles);
            return;
        }
        const calleeContext = new CallContext(from.selfId, call.method, call.cycles, respond);
        this.executeCall(target, exported, calleeContext, call.method, arg);
    }

    private deliverResponse({ to, context, call, response, refund }: Extract<Delivery, { kind: 'response' }>): void {
        if (!this.canisters.has(keyOf(to.id)) || !to.hasModule) return;
        to.cycles += refund;
        context.pendingCalls--;
        const isReply = 'reply' in response;
        const callback = isReply ? call.reply : call.reject;
        const message = newMessage({
            kind: isReply ? 'reply_callback' : 'reject_callback',
            methodName: context.methodName,
            caller: context.caller,
            arg: isReply ? response.reply : new Uint8Array(),
            callContext: context,
            reject: isReply ? undefined : response.reject,
            cyclesRefunded: refund,
            instructionLimit: INSTRUCTION_LIMITS.update,
            replicated: true
        });
        const ok = this.execute(to, message, (_, table) => callTable(table, callback.fn, callback.env));
        if (!ok && call.cleanup !== undefined) {
            const cleanup = call.cleanup;
            const cleanupMessage = newMessage({
                kind: 'cleanup',
                methodName: context.methodName,
                caller: context.caller,
                arg: new Uint8Array(),
                instructionLimit: INSTRUCTION_LIMITS.update,
                replicated: true
            });
            this.execute(to, cleanupMessage, (_, table) => callTable(table, cleanup.fn, cleanup.env));
        }
        this.settleIfAbandoned(to, context);
    }

    /** Runs the canister's heartbeat: the IC schedules `canister_heartbeat` in every round (PocketIC: every tick). */
    private runHeartbeat(canister: Canister): void {
        if (canister.hasExport('canister_heartbeat')) this.runSystemTask(canister, 'heartbeat', 'canister_heartbeat');
    }

    /**
     * Runs `canister_on_low_wasm_memory` once each time the memory left under `wasm_memory_limit` falls below
     * `wasm_memory_threshold` (interface specification, "On Low Wasm Memory"). The condition is read at the
     * start of each round, so the hook runs in the round after the message or settings change that met it.
     */
    private runLowMemoryHook(canister: Canister): void {
        if (!canister.hasExport('canister_on_low_wasm_memory')) return;
        const { wasmMemoryLimit: limit, wasmMemoryThreshold: threshold } = canister.settings;
        const low = limit > 0n && limit - canister.wasmMemorySize() < threshold;
        if (!low) canister.lowMemoryHook = 'condition_not_satisfied';
        else if (canister.lowMemoryHook === 'condition_not_satisfied') canister.lowMemoryHook = 'ready';
        if (canister.lowMemoryHook !== 'ready') return;
        this.runSystemTask(canister, 'low_memory', 'canister_on_low_wasm_memory', () => (canister.lowMemoryHook = 'executed'));
    }

    /** Fires the canister's global timer if it is due. */
    private fireTimer(canister: Canister): void {
        if (canister.globalTimer === 0n || canister.globalTimer > this.nowNs || !canister.hasExport('canister_global_timer'))
            return;
        this.runSystemTask(canister, 'timer', 'canister_global_timer', () => (canister.globalTimer = 0n));
    }

    /**
     * Runs a system task (interface specification, "Heartbeat", "Global timer", "On Low Wasm Memory"): only in a running canister
     * that can pay for it above its freezing threshold (a frozen canister runs none), with the management
     * canister as its caller ("Method arguments"); nobody awaits an answer, but it may make calls. `starting`
     * runs just before the task, once it is certain to run (a timer is deactivated when it is scheduled).
     * Returns whether it ran.
     */
    private runSystemTask(
        canister: Canister,
        kind: 'heartbeat' | 'timer' | 'low_memory',
        entry: string,
        starting?: () => void
    ): boolean {
        if (canister.status !== 'running') return false;
        if (canister.cycles - canister.freezingReserve() < executionCost(INSTRUCTION_LIMITS.update)) return false;
        starting?.();
        const caller = MANAGEMENT_CANISTER_ID.toUint8Array();
        const context = new CallContext(caller, `<${kind}>`, 0n, () => undefined, false);
        const message = newMessage({
            kind,
            methodName: `<${kind}>`,
            caller,
            arg: new Uint8Array(),
            callContext: context,
            instructionLimit: INSTRUCTION_LIMITS.update,
            replicated: true
        });
        this.execute(canister, message, (exports) => (exports[entry] as () => void)());
        return true;
    }

    private installVia(
        mode: InstallMode,
        canisterId: Principal,
        wasm: Uint8Array | string,
        arg: Uint8Array | undefined,
        sender: Principal | undefined,
        upgradeOptions?: UpgradeFlags
    ): void {
        const bytes = typeof wasm === 'string' ? new Uint8Array(readFileSync(wasm)) : wasm;
        this.callManagement(sender ?? Principal.anonymous(), 'install_code', 0n, {
            mode:
                mode === 'upgrade'
                    ? { upgrade: [upgradeOptions ?? { skip_pre_upgrade: [], wasm_memory_persistence: [] }] }
                    : ({ [mode]: null } as { install: null }),
            canister_id: canisterId,
            wasm_module: bytes,
            arg: arg ?? EMPTY_ARGS,
            sender_canister_version: []
        });
    }

    /**
     * install_code: install, reinstall or upgrade with pre_upgrade and post_upgrade (sharing one instruction
     * budget). If a hook traps, the canister is left exactly as it was.
     */
    private install({ canister, mode, wasm, arg, caller, skipPreUpgrade }: InstallRequest): void {
        if (mode === 'install' && canister.hasModule) {
            throw new CallRejectedError(
                RejectCode.CanisterError,
                `Canister ${canister.id.toText()} cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead.`,
                'IC0538'
            );
        }
        const module = loadModule(wasmBytes(wasm));
        const missing = WebAssembly.Module.imports(module.compiled).filter(
            (i) => i.kind === 'function' && (i.module !== 'ic0' || !providedSystemApi().has(i.name))
        );
        if (missing.length > 0) {
            // the replica refuses imports it does not know (IC0505); those it knows but the local IC lacks are
            // refused the same way, named, so a canister never fails differently later
            throw new CallRejectedError(
                RejectCode.CanisterError,
                `Canister ${canister.id.toText()}: Wasm module has an invalid import section: it imports ${missing
                    .map((i) => `'${i.name}' from '${i.module}'`)
                    .join(', ')}, which the local IC does not provide (docs/local-ic.md).`,
                'IC0505'
            );
        }
        const before = canister.snapshot();
        let budget = INSTRUCTION_LIMITS.install;
        const hook = (kind: EntryKind, entry: string, rollback: 'on-trap' | 'heap') => {
            if (!canister.hasExport(entry)) return;
            const message = newMessage({
                kind,
                methodName: entry,
                caller: caller.toUint8Array(),
                arg,
                instructionLimit: budget,
                replicated: true
            });
            const outcome = canister.run(message, (exports) => (exports[entry] as () => void)(), rollback);
            canister.cycles -= executionCost(outcome.instructions);
            budget -= outcome.instructions;
            if (outcome.trap !== undefined) throw trapReject(canister, outcome.trap.reason, outcome.trap.errorCode);
        };
        try {
            if (mode === 'upgrade' && canister.hasModule && !skipPreUpgrade) hook('pre_upgrade', 'canister_pre_upgrade', 'heap');
            if (mode !== 'upgrade') canister.stable.clear();
            canister.instantiate(module);
            canister.certifiedData = new Uint8Array();
            canister.globalTimer = 0n;
            // pre_upgrade sees the old version, post_upgrade (and init) the new one ("Canister version")
            canister.version += 1n;
            if (module.instrumented.hasStart) hook('start', 'canister_start', 'on-trap');
            if (mode === 'upgrade') hook('post_upgrade', 'canister_post_upgrade', 'on-trap');
            else hook('init', 'canister_init', 'on-trap');
        } catch (error) {
            canister.restore(before);
            throw error;
        }
    }

    /** Calls a management method with typed arguments (for this class's own API). */
    private callManagement<K extends ManagementMethod>(
        caller: Principal,
        method: K,
        cycles: bigint,
        ...args: Parameters<ManagementHandlers[K]> extends [unknown, ...infer A] ? A : never
    ): ReturnType<ManagementHandlers[K]> {
        const handler = this.management[method] as (call: unknown, ...a: unknown[]) => ReturnType<ManagementHandlers[K]>;
        return handler({ caller, cycles, accept: () => undefined }, ...args);
    }

    /** A management call as bytes (ingress or inter-canister): decode and check the argument, run, encode. */
    private managementRaw(
        caller: Principal,
        method: string,
        arg: Uint8Array,
        cycles: bigint,
        accept: (amount: bigint) => void = () => undefined
    ): Uint8Array {
        const func = this.managementTypes._fields.find(([name]) => name === method)?.[1];
        const spec = (
            managementService.methods as Record<string, (typeof managementService.methods)[ManagementMethod] | undefined>
        )[method];
        if (func === undefined || spec === undefined) {
            throw new CallRejectedError(RejectCode.DestinationInvalid, `Management canister has no method '${method}'`, 'IC0536');
        }
        let decoded: unknown[];
        try {
            decoded = IDL.decode(func.argTypes, arg);
        } catch (error) {
            throw new CallRejectedError(
                RejectCode.CanisterError,
                `Error decoding the argument of ${method}: ${(error as Error).message}`,
                'IC0503'
            );
        }
        const checked = checkArgs(spec.args, decoded);
        if (!checked.ok)
            throw new CallRejectedError(RejectCode.CanisterError, `Invalid argument to ${method}: ${checked.reason}`, 'IC0503');
        const handler = this.management[method as ManagementMethod] as (call: unknown, ...a: unknown[]) => unknown;
        const result = handler({ caller, cycles, accept }, ...checked.value);
        return new Uint8Array(IDL.encode(func.retTypes, func.retTypes.length === 0 ? [] : [result]));
    }

    private randomBytes(): Uint8Array {
        const seed = this.options.seed ?? 'local-ic';
        return new Uint8Array(createHash('sha256').update(`${seed}/${this.randomCounter++}`).digest());
    }
}

/** The IC's cost of executing `instructions` in an update-like message. */
export function executionCost(instructions: bigint): bigint {
    return CYCLE_PRICES.updateMessageBase + CYCLE_PRICES.perInstruction * instructions;
}

/** Canister ids are a 64-bit index followed by 0x01 0x01 (interface specification, "Principals"). */
function canisterIdFromIndex(index: bigint): Principal {
    const bytes = new Uint8Array(10);
    new DataView(bytes.buffer).setBigUint64(0, index);
    bytes[8] = 1;
    bytes[9] = 1;
    return Principal.fromUint8Array(bytes);
}

function toNanos(time: Date | number): bigint {
    const ms = time instanceof Date ? time.getTime() : time;
    return BigInt(Math.round(ms)) * 1_000_000n;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
    return new Uint8Array(Buffer.concat(chunks));
}

function callTable(table: WebAssembly.Table | undefined, fn: number, env: number): void {
    const callback = table?.get(fn) as ((env: number) => void) | null | undefined;
    if (typeof callback !== 'function') throw new WebAssembly.RuntimeError(`callback ${fn} is not in the table`);
    callback(env);
}

function answer(context: CallContext, response: CallResponse): void {
    context.response = response;
    const refund = context.cyclesAvailable;
    context.cyclesAvailable = 0n;
    context.onResponse(response, refund);
}

function trapRejectBody(canister: Canister, reason: string, errorCode: string): Reject {
    return { code: RejectCode.CanisterError, message: `Error from Canister ${canister.id.toText()}: ${reason}`, errorCode };
}

function trapReject(canister: Canister, reason: string, errorCode: string): CallRejectedError {
    const { code, message } = trapRejectBody(canister, reason, errorCode);
    return new CallRejectedError(code, message, errorCode);
}

function rejectOf(error: unknown): Reject {
    if (error instanceof CallRejectedError)
        return { code: error.rejectCode, message: error.rejectMessage, errorCode: error.errorCode };
    throw error;
}

function unwrap(response: CallResponse | undefined, canister: Canister): Uint8Array {
    const answered = response ?? { reject: noResponse(canister) };
    if ('reply' in answered) return answered.reply;
    throw new CallRejectedError(answered.reject.code, answered.reject.message, answered.reject.errorCode);
}

/** The reject of a call the callee never answered. */
function noResponse(canister: Canister): Reject {
    return {
        code: RejectCode.CanisterError,
        message: `Canister ${canister.id.toText()} did not produce a response`,
        errorCode: 'IC0506'
    };
}

/** How a canister exports a public method (interface specification, "Public methods"). */
type MethodKind = 'update' | 'query' | 'composite_query';
const METHOD_KINDS: readonly MethodKind[] = ['update', 'query', 'composite_query'];

function exportName(kind: MethodKind, method: string): string {
    return `canister_${kind} ${method}`;
}

function noMethod(canister: Canister, asked: 'query' | 'update', method: string): CallRejectedError {
    return new CallRejectedError(
        RejectCode.DestinationInvalid,
        `Canister ${canister.id.toText()} has no ${asked} method '${method}'`,
        'IC0536'
    );
}

/** The management canister's id is the empty principal. */
function isManagementCanister(id: Principal): boolean {
    return id.toUint8Array().length === 0;
}

const keys = new WeakMap<Principal, string>();
/** A canister id's text, the key of `canisters`; cached per Principal object (a test passes the same id on every call). */
function keyOf(id: Principal): string {
    let key = keys.get(id);
    if (key === undefined) keys.set(id, (key = id.toText()));
    return key;
}
