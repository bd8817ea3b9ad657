/**
 * What the management canister does for each method. Arguments arrive decoded and checked against
 * `managementService`; a handler returns its result or throws a {@link CallRejectedError}.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import { Principal } from '@dfinity/principal';

import type { ArgsOf, ResultOf } from '../../candid';
import type { Canister, CanisterSettings, StoredSnapshot } from '../canister';
import { CANISTER_CREATION_FEE, DEFAULT_PROVISIONAL_CYCLES } from '../costs';
import { CallRejectedError, RejectCode } from '../errors';
import type {
    CanisterSettingsArg,
    CanisterStatusResultValue,
    EnvironmentVariable,
    InstallModeArg,
    managementService,
    SnapshotValue,
    Visibility
} from '../../ic/management';

type Methods = typeof managementService.methods;
export type ManagementMethod = keyof Methods;
type Handler<K extends ManagementMethod> = (
    call: { caller: Principal; cycles: bigint; accept: (amount: bigint) => void },
    ...args: ArgsOf<Methods[K]['args']>
) => ResultOf<Methods[K]['ret']>;
export type ManagementHandlers = { [K in ManagementMethod]: Handler<K> };

export type InstallMode = 'install' | 'reinstall' | 'upgrade';

/** An install_code request, once decoded and authorised. */
export type InstallRequest = {
    readonly canister: Canister;
    readonly mode: InstallMode;
    readonly wasm: Uint8Array;
    readonly arg: Uint8Array;
    readonly caller: Principal;
    readonly skipPreUpgrade: boolean;
};

/** What the handlers need from the IC they run on. */
export interface ManagementHost {
    canister(id: Principal): Canister | undefined;
    createCanister(options: { controllers: Principal[]; cycles: bigint; specifiedId?: Principal }): Canister;
    deleteCanister(id: Principal): void;
    /** Installs code with the IC's semantics; throws a reject when a hook traps (the canister is unchanged). */
    installCode(request: InstallRequest): void;
    randomBytes(): Uint8Array;
    /** The IC's time in nanoseconds (a snapshot's `taken_at_timestamp`). */
    time(): bigint;
}

/**
 * Snapshots one canister may keep (dfinity/ic `rs/config/src/execution_environment.rs`,
 * `MAX_NUMBER_OF_SNAPSHOTS_PER_CANISTER`; the specification's `MAX_SNAPSHOTS`).
 */
export const MAX_SNAPSHOTS = 10;

function reject(code: RejectCode, message: string, errorCode?: string): never {
    throw new CallRejectedError(code, message, errorCode);
}

export function sha256(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** A wasm module as install_code receives it: gzipped modules are unpacked first. */
export function wasmBytes(module: Uint8Array): Uint8Array {
    return module[0] === 0x1f && module[1] === 0x8b ? new Uint8Array(gunzipSync(module)) : module;
}

export function managementHandlers(host: ManagementHost): ManagementHandlers {
    const target = (id: Principal): Canister =>
        host.canister(id) ?? reject(RejectCode.DestinationInvalid, `Canister ${id.toText()} not found`, 'IC0301');
    const controlled = (id: Principal, caller: Principal, method: string): Canister => {
        const canister = target(id);
        const callerText = caller.toText();
        const allowed = canister.settings.controllers.some((c) => c.toText() === callerText);
        if (!allowed) {
            reject(
                RejectCode.CanisterError,
                `Only controllers of canister ${id.toText()} can call ic00 method ${method}. Sender ${callerText} is not a controller.`,
                'IC0512'
            );
        }
        return canister;
    };
    /**
     * The snapshot `id` of `canister`, as the replica finds it (`canister_manager.rs`, `get_snapshot`): one that
     * exists but is another canister's is refused as not belonging, one that does not exist as not found.
     */
    const snapshotOf = (canister: Canister, id: Uint8Array): StoredSnapshot => {
        const hex = hexOf(id);
        const own = canister.snapshots.get(hex);
        if (own !== undefined) return own;
        if (foreignSnapshot(id) !== undefined) {
            reject(
                RejectCode.CanisterReject,
                `The snapshot ${hex} does not belong to canister ${canister.id.toText()}.`,
                'IC0406'
            );
        }
        return reject(
            RejectCode.DestinationInvalid,
            `Could not find the snapshot ID ${hex} for canister ${canister.id.toText()}.`,
            'IC0305'
        );
    };
    /** The snapshot and its canister, if `id` names a snapshot some canister has (its id ends with the canister's). */
    const foreignSnapshot = (id: Uint8Array): { owner: Canister; snapshot: StoredSnapshot } | undefined => {
        if (id.length <= SNAPSHOT_LOCAL_ID_BYTES) return undefined;
        const owner = host.canister(Principal.fromUint8Array(id.subarray(SNAPSHOT_LOCAL_ID_BYTES)));
        const snapshot = owner?.snapshots.get(hexOf(id));
        return owner === undefined || snapshot === undefined ? undefined : { owner, snapshot };
    };
    const modeOf = (mode: InstallModeArg): { mode: InstallMode; skipPreUpgrade: boolean } => {
        if ('install' in mode) return { mode: 'install', skipPreUpgrade: false };
        if ('reinstall' in mode) return { mode: 'reinstall', skipPreUpgrade: false };
        const flags = mode.upgrade[0];
        const [persistence] = flags?.wasm_memory_persistence ?? [];
        // keeping the heap across an upgrade needs a module built for enhanced orthogonal persistence (Motoko);
        // the replica refuses the option for any other module, and the local IC runs no such module
        if (persistence !== undefined && 'keep' in persistence) {
            reject(
                RejectCode.CanisterError,
                'Invalid upgrade option: The `wasm_memory_persistence: opt Keep` upgrade option requires that the new canister module supports enhanced orthogonal persistence.',
                'IC0504'
            );
        }
        return { mode: 'upgrade', skipPreUpgrade: flags?.skip_pre_upgrade[0] ?? false };
    };

    return {
        create_canister: ({ caller, cycles, accept }, { settings }) => {
            if (cycles < CANISTER_CREATION_FEE) {
                reject(
                    RejectCode.CanisterError,
                    `Creating a canister requires at least ${CANISTER_CREATION_FEE} cycles, but ${cycles} were attached.`,
                    'IC0504'
                );
            }
            const apply = checkedSettings(settings[0]);
            accept(cycles);
            const canister = host.createCanister({ controllers: [caller], cycles: cycles - CANISTER_CREATION_FEE });
            apply(canister.settings);
            return { canister_id: canister.id };
        },
        provisional_create_canister_with_cycles: ({ caller }, { amount, settings, specified_id }) => {
            const apply = checkedSettings(settings[0]);
            const canister = host.createCanister({
                controllers: [caller],
                cycles: amount[0] ?? DEFAULT_PROVISIONAL_CYCLES,
                specifiedId: specified_id[0]
            });
            apply(canister.settings);
            return { canister_id: canister.id };
        },
        provisional_top_up_canister: (_, { canister_id, amount }) => {
            target(canister_id).cycles += amount;
        },
        update_settings: ({ caller }, { canister_id, settings }) => {
            const canister = controlled(canister_id, caller, 'update_settings');
            checkedSettings(settings)(canister.settings);
            canister.version += 1n;
        },
        install_code: ({ caller }, { mode, canister_id, wasm_module, arg }) => {
            const canister = controlled(canister_id, caller, 'install_code');
            const { mode: kind, skipPreUpgrade } = modeOf(mode);
            host.installCode({ canister, mode: kind, wasm: wasmBytes(wasm_module), arg, caller, skipPreUpgrade });
        },
        upload_chunk: ({ caller }, { canister_id, chunk }) => {
            const canister = controlled(canister_id, caller, 'upload_chunk');
            const hash = sha256(chunk);
            canister.chunkStore.set(Buffer.from(hash).toString('hex'), chunk);
            return { hash };
        },
        install_chunked_code: (
            { caller },
            { mode, target_canister, store_canister, chunk_hashes_list, wasm_module_hash, arg }
        ) => {
            const canister = controlled(target_canister, caller, 'install_chunked_code');
            const store =
                store_canister[0] === undefined ? canister : controlled(store_canister[0], caller, 'install_chunked_code');
            const chunks = chunk_hashes_list.map(({ hash }) => {
                const hex = Buffer.from(hash).toString('hex');
                return (
                    store.chunkStore.get(hex) ??
                    reject(RejectCode.CanisterError, `Chunk ${hex} is not in the chunk store.`, 'IC0531')
                );
            });
            const module = new Uint8Array(Buffer.concat(chunks));
            if (Buffer.compare(sha256(module), wasm_module_hash) !== 0) {
                reject(
                    RejectCode.CanisterError,
                    'The hash of the assembled wasm module does not match wasm_module_hash.',
                    'IC0531'
                );
            }
            const { mode: kind, skipPreUpgrade } = modeOf(mode);
            host.installCode({ canister, mode: kind, wasm: wasmBytes(module), arg, caller, skipPreUpgrade });
        },
        clear_chunk_store: ({ caller }, { canister_id }) => {
            controlled(canister_id, caller, 'clear_chunk_store').chunkStore.clear();
        },
        stored_chunks: ({ caller }, { canister_id }) =>
            [...controlled(canister_id, caller, 'stored_chunks').chunkStore.keys()].map((hex) => ({
                hash: new Uint8Array(Buffer.from(hex, 'hex'))
            })),
        uninstall_code: ({ caller }, { canister_id }) => {
            uninstallCode(controlled(canister_id, caller, 'uninstall_code'));
        },
        // the version moves with every change of status ("Canister version"): a start is one, a stop two
        // (running to stopping, which the local IC passes through at once, then to stopped)
        start_canister: ({ caller }, { canister_id }) => {
            const canister = controlled(canister_id, caller, 'start_canister');
            canister.status = 'running';
            canister.version += 1n;
        },
        stop_canister: ({ caller }, { canister_id }) => {
            const canister = controlled(canister_id, caller, 'stop_canister');
            if (canister.status === 'stopped') return;
            canister.status = 'stopped';
            canister.version += 2n;
        },
        canister_status: ({ caller }, { canister_id }) => {
            const canister = target(canister_id);
            if (canister.id.toText() !== caller.toText() && !mayView(canister.settings.statusVisibility, caller)) {
                controlled(canister_id, caller, 'canister_status');
            }
            return statusOf(canister);
        },
        delete_canister: ({ caller }, { canister_id }) => {
            const canister = controlled(canister_id, caller, 'delete_canister');
            if (canister.status !== 'stopped') {
                reject(
                    RejectCode.CanisterError,
                    `Canister ${canister_id.toText()} must be stopped before it is deleted.`,
                    'IC0510'
                );
            }
            host.deleteCanister(canister_id);
        },
        deposit_cycles: ({ cycles, accept }, { canister_id }) => {
            const canister = target(canister_id);
            accept(cycles);
            canister.cycles += cycles;
        },
        raw_rand: () => host.randomBytes(),
        // Snapshots (interface specification, "IC method take_canister_snapshot" and the three after it). The
        // specification asks controllers to stop a canister before taking or loading one; the replica does not
        // refuse a running canister, and neither does the local IC.
        take_canister_snapshot: ({ caller }, { canister_id, replace_snapshot, uninstall_code }) => {
            const canister = controlled(canister_id, caller, 'take_canister_snapshot');
            const [replaceId] = replace_snapshot;
            const replaced = replaceId === undefined ? undefined : snapshotOf(canister, replaceId);
            if (replaced === undefined && canister.snapshots.size >= MAX_SNAPSHOTS) {
                reject(
                    RejectCode.CanisterReject,
                    `Canister ${canister_id.toText()} has reached the maximum number of snapshots allowed: ${MAX_SNAPSHOTS}.`,
                    'IC0406'
                );
            }
            const content =
                canister.snapshotContent() ??
                reject(
                    RejectCode.CanisterReject,
                    `Failed to create snapshot for empty canister ${canister_id.toText()}:`,
                    'IC0406'
                );
            const id = nextSnapshotId(canister);
            if (replaced !== undefined) canister.snapshots.delete(hexOf(replaced.id));
            const snapshot: StoredSnapshot = { id, takenAtNs: host.time(), size: canister.snapshotSize(content), content };
            canister.snapshots.set(hexOf(id), snapshot);
            if (uninstall_code[0] === true) uninstallCode(canister);
            return listed(snapshot);
        },
        load_canister_snapshot: ({ caller }, { canister_id, snapshot_id }) => {
            const canister = controlled(canister_id, caller, 'load_canister_snapshot');
            // a snapshot of another canister loads too, for a caller that controls both
            const foreign = canister.snapshots.has(hexOf(snapshot_id)) ? undefined : foreignSnapshot(snapshot_id);
            if (foreign !== undefined && !foreign.owner.isController(caller.toUint8Array())) {
                reject(
                    RejectCode.CanisterReject,
                    `Only a controller of the canister that snapshot ${hexOf(snapshot_id)} belongs to can load it on canister ${canister_id.toText()}. Sender: ${caller.toText()}.`,
                    'IC0406'
                );
            }
            const snapshot = foreign?.snapshot ?? snapshotOf(canister, snapshot_id);
            canister.loadSnapshotContent(snapshot.content);
            canister.version += 1n;
        },
        list_canister_snapshots: ({ caller }, { canister_id }) => {
            const canister = target(canister_id);
            if (!canister.isController(caller.toUint8Array()) && !mayView(canister.settings.snapshotVisibility, caller)) {
                controlled(canister_id, caller, 'list_canister_snapshots');
            }
            return [...canister.snapshots.values()].map(listed);
        },
        delete_canister_snapshot: ({ caller }, { canister_id, snapshot_id }) => {
            const canister = controlled(canister_id, caller, 'delete_canister_snapshot');
            canister.snapshots.delete(hexOf(snapshotOf(canister, snapshot_id).id));
        }
    };
}

/**
 * A snapshot id is an 8-byte big-endian number local to the canister followed by the canister's id
 * (dfinity/ic `SnapshotId`), so that it names its canister.
 */
const SNAPSHOT_LOCAL_ID_BYTES = 8;

function nextSnapshotId(canister: Canister): Uint8Array {
    const id = new Uint8Array(SNAPSHOT_LOCAL_ID_BYTES + canister.selfId.length);
    new DataView(id.buffer).setBigUint64(0, canister.snapshotsTaken++);
    id.set(canister.selfId, SNAPSHOT_LOCAL_ID_BYTES);
    return id;
}

function listed(snapshot: StoredSnapshot): SnapshotValue {
    return { id: snapshot.id, taken_at_timestamp: snapshot.takenAtNs, total_size: snapshot.size };
}

function hexOf(bytes: Uint8Array): string {
    return Buffer.from(bytes).toString('hex');
}

/** uninstall_code, and take_canister_snapshot with `uninstall_code`: the code and memories go, snapshots stay. */
function uninstallCode(canister: Canister): void {
    canister.uninstall();
    canister.stable.clear();
    canister.version += 1n;
}

/** A canister has at most this many controllers (interface specification, `canister_settings`). */
export const MAX_CONTROLLERS = 10;
/**
 * The canister log's memory: 0 turns logging off, otherwise 4 KiB to 2 MiB (dfinity/ic
 * `log_memory_store`, MIN/MAX_AGGREGATE_LOG_MEMORY_LIMIT; the default is in `costs.ts`).
 */
export const LOG_MEMORY_LIMITS = { min: 4n * 1024n, max: 2n * 1024n * 1024n } as const;

/**
 * The replica's bounds on environment variables (dfinity/ic `rs/config/src/execution_environment.rs`): at most
 * 20, name and value at most 128 bytes each, "sized to comfortably accommodate the root key". Duplicate names
 * are refused (`canister_settings.rs`).
 */
export const ENVIRONMENT_VARIABLE_LIMITS = { count: 20, nameBytes: 128, valueBytes: 128 } as const;

/**
 * Refuses settings the IC refuses, with its messages, before anything changes; returns what applies them, so
 * settings are never applied unchecked and a refusal comes before a canister is created.
 */
function checkedSettings(update: CanisterSettingsArg | undefined): (settings: CanisterSettings) => void {
    const [controllers] = update?.controllers ?? [];
    if (controllers !== undefined && controllers.length > MAX_CONTROLLERS) {
        reject(
            RejectCode.CanisterError,
            `Invalid settings: 'controllers' length exceeds maximum size allowed of ${MAX_CONTROLLERS}.`,
            'IC0503'
        );
    }
    const [logLimit] = update?.log_memory_limit ?? [];
    if (logLimit !== undefined && logLimit !== 0n) {
        const refuse = (message: string): never => reject(RejectCode.CanisterReject, message, 'IC0406');
        if (logLimit < LOG_MEMORY_LIMITS.min)
            refuse(`The canister log memory limit ${logLimit} is too low. It must be at least ${LOG_MEMORY_LIMITS.min}.`);
        if (logLimit > LOG_MEMORY_LIMITS.max)
            refuse(`The canister log memory limit ${logLimit} is too high. It must be at most ${LOG_MEMORY_LIMITS.max}.`);
    }
    checkVariables(update?.environment_variables[0] ?? []);
    return (settings) => applySettings(settings, update);
}

function checkVariables(variables: readonly EnvironmentVariable[]): void {
    const { count, nameBytes, valueBytes } = ENVIRONMENT_VARIABLE_LIMITS;
    const invalid = (message: string): never => reject(RejectCode.CanisterReject, message, 'IC0408');
    if (variables.length > count) invalid(`Too many environment variables: ${variables.length} (max: ${count})`);
    const names = new Set<string>();
    for (const { name, value } of variables) {
        if (Buffer.byteLength(name) > nameBytes) {
            invalid(`Environment variable name "${name}" exceeds the maximum allowed length of ${nameBytes}.`);
        }
        if (Buffer.byteLength(value) > valueBytes) {
            invalid(`Environment variable value "${value}" exceeds the maximum allowed length of ${valueBytes}.`);
        }
        if (names.has(name)) invalid(`Duplicate environment variable name "${name}".`);
        names.add(name);
    }
}

/** Whether a visibility setting (of the status, of snapshots) lets a caller that is not a controller see. */
function mayView(visibility: Visibility, caller: Principal): boolean {
    if ('public' in visibility) return true;
    return 'allowed_viewers' in visibility && visibility.allowed_viewers.some((viewer) => viewer.compareTo(caller) === 'eq');
}

/** Applies checked settings: what is given replaces the setting, what is absent stays. */
function applySettings(settings: CanisterSettings, update: CanisterSettingsArg | undefined): void {
    if (update === undefined) return;
    settings.controllers = update.controllers[0] ?? settings.controllers;
    settings.computeAllocation = update.compute_allocation[0] ?? settings.computeAllocation;
    settings.memoryAllocation = update.memory_allocation[0] ?? settings.memoryAllocation;
    settings.freezingThreshold = update.freezing_threshold[0] ?? settings.freezingThreshold;
    settings.reservedCyclesLimit = update.reserved_cycles_limit[0] ?? settings.reservedCyclesLimit;
    settings.wasmMemoryLimit = update.wasm_memory_limit[0] ?? settings.wasmMemoryLimit;
    settings.wasmMemoryThreshold = update.wasm_memory_threshold[0] ?? settings.wasmMemoryThreshold;
    settings.logVisibility = update.log_visibility[0] ?? settings.logVisibility;
    settings.logMemoryLimit = update.log_memory_limit[0] ?? settings.logMemoryLimit;
    settings.snapshotVisibility = update.snapshot_visibility[0] ?? settings.snapshotVisibility;
    settings.statusVisibility = update.status_visibility[0] ?? settings.statusVisibility;
    settings.minimumIncomingCallCycles = update.minimum_incoming_canister_call_cycles[0] ?? settings.minimumIncomingCallCycles;
    const [variables] = update.environment_variables;
    // the replica keeps them in a map by name, and reports them in that order
    if (variables !== undefined) settings.environmentVariables = [...variables].sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function statusOf(canister: Canister): CanisterStatusResultValue {
    const s = canister.settings;
    const memory = canister.memorySize();
    const stable = BigInt(canister.stable.sizeInPages) * 65536n;
    return {
        status: { [canister.status]: null } as CanisterStatusResultValue['status'],
        ready_for_migration: false,
        version: canister.version,
        settings: {
            controllers: s.controllers,
            compute_allocation: s.computeAllocation,
            memory_allocation: s.memoryAllocation,
            freezing_threshold: s.freezingThreshold,
            reserved_cycles_limit: s.reservedCyclesLimit,
            log_visibility: s.logVisibility,
            log_memory_limit: s.logMemoryLimit,
            snapshot_visibility: s.snapshotVisibility,
            status_visibility: s.statusVisibility,
            minimum_incoming_canister_call_cycles: s.minimumIncomingCallCycles,
            wasm_memory_limit: s.wasmMemoryLimit,
            wasm_memory_threshold: s.wasmMemoryThreshold,
            environment_variables: s.environmentVariables
        },
        module_hash: canister.module === undefined ? [] : [canister.module.hash],
        memory_size: memory,
        memory_metrics: {
            wasm_memory_size: canister.wasmMemorySize(),
            stable_memory_size: stable,
            global_memory_size: 0n,
            wasm_binary_size: 0n,
            custom_sections_size: 0n,
            canister_history_size: 0n,
            wasm_chunk_store_size: BigInt([...canister.chunkStore.values()].reduce((n, c) => n + c.length, 0)),
            snapshots_size: canister.snapshotsSize(),
            log_memory_store_size: canister.logBytes(s.logMemoryLimit)
        },
        cycles: canister.cycles,
        reserved_cycles: 0n,
        idle_cycles_burned_per_day: canister.idleCyclesPerDay(),
        query_stats: {
            num_calls_total: 0n,
            num_instructions_total: 0n,
            request_payload_bytes_total: 0n,
            response_payload_bytes_total: 0n
        }
    };
}
