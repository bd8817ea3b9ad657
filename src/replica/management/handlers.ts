/**
 * What the management canister does for each method. Arguments arrive decoded and checked against
 * `managementService`; a handler returns its result or throws a {@link CallRejectedError}.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import type { Principal } from '@dfinity/principal';

import type { ArgsOf, ResultOf } from '../../shared/candid';
import type { Canister, CanisterSettings } from '../canister';
import { CYCLE_PRICES, DEFAULT_PROVISIONAL_CYCLES } from '../costs';
import { CallRejectedError, RejectCode } from '../errors';
import type { CanisterSettingsArg, CanisterStatusResultValue, InstallModeArg, managementService } from '../../shared/management';

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
}

/** Cycles a canister created by `create_canister` must be sent at least: the creation fee. */
const CREATION_FEE = CYCLE_PRICES.canisterCreation;

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
    const modeOf = (mode: InstallModeArg): { mode: InstallMode; skipPreUpgrade: boolean } => {
        if ('install' in mode) return { mode: 'install', skipPreUpgrade: false };
        if ('reinstall' in mode) return { mode: 'reinstall', skipPreUpgrade: false };
        const flags = mode.upgrade[0];
        return { mode: 'upgrade', skipPreUpgrade: flags?.skip_pre_upgrade[0] ?? false };
    };

    return {
        create_canister: ({ caller, cycles, accept }, { settings }) => {
            if (cycles < CREATION_FEE) {
                reject(
                    RejectCode.CanisterError,
                    `Creating a canister requires at least ${CREATION_FEE} cycles, but ${cycles} were attached.`,
                    'IC0504'
                );
            }
            accept(cycles);
            const canister = host.createCanister({ controllers: [caller], cycles: cycles - CREATION_FEE });
            applySettings(canister.settings, settings[0]);
            return { canister_id: canister.id };
        },
        provisional_create_canister_with_cycles: ({ caller }, { amount, settings, specified_id }) => {
            const canister = host.createCanister({
                controllers: [caller],
                cycles: amount[0] ?? DEFAULT_PROVISIONAL_CYCLES,
                specifiedId: specified_id[0]
            });
            applySettings(canister.settings, settings[0]);
            return { canister_id: canister.id };
        },
        provisional_top_up_canister: (_, { canister_id, amount }) => {
            target(canister_id).cycles += amount;
        },
        update_settings: ({ caller }, { canister_id, settings }) => {
            applySettings(controlled(canister_id, caller, 'update_settings').settings, settings);
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
            const canister = controlled(canister_id, caller, 'uninstall_code');
            canister.uninstall();
            canister.stable.clear();
            canister.version += 1n;
        },
        start_canister: ({ caller }, { canister_id }) => {
            controlled(canister_id, caller, 'start_canister').status = 'running';
        },
        stop_canister: ({ caller }, { canister_id }) => {
            controlled(canister_id, caller, 'stop_canister').status = 'stopped';
        },
        canister_status: ({ caller }, { canister_id }) => {
            const canister = target(canister_id);
            if (canister.id.toText() !== caller.toText()) controlled(canister_id, caller, 'canister_status');
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
        raw_rand: () => host.randomBytes()
    };
}

function applySettings(settings: CanisterSettings, update: CanisterSettingsArg | undefined): void {
    if (update === undefined) return;
    const [controllers] = update.controllers;
    if (controllers !== undefined) {
        if (controllers.length > 10) reject(RejectCode.CanisterError, 'A canister can have at most 10 controllers.', 'IC0503');
        settings.controllers = controllers;
    }
    settings.computeAllocation = update.compute_allocation[0] ?? settings.computeAllocation;
    settings.memoryAllocation = update.memory_allocation[0] ?? settings.memoryAllocation;
    settings.freezingThreshold = update.freezing_threshold[0] ?? settings.freezingThreshold;
    settings.reservedCyclesLimit = update.reserved_cycles_limit[0] ?? settings.reservedCyclesLimit;
    settings.wasmMemoryLimit = update.wasm_memory_limit[0] ?? settings.wasmMemoryLimit;
    const [visibility] = update.log_visibility;
    if (visibility !== undefined) settings.logVisibility = 'public' in visibility ? 'public' : 'controllers';
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
            log_visibility: s.logVisibility === 'public' ? { public: null } : { controllers: null },
            snapshot_visibility: { controllers: null },
            wasm_memory_limit: s.wasmMemoryLimit,
            wasm_memory_threshold: 0n,
            environment_variables: []
        },
        module_hash: canister.module === undefined ? [] : [canister.module.hash],
        memory_size: memory,
        memory_metrics: {
            wasm_memory_size: memory - stable,
            stable_memory_size: stable,
            global_memory_size: 0n,
            wasm_binary_size: 0n,
            custom_sections_size: 0n,
            canister_history_size: 0n,
            wasm_chunk_store_size: BigInt([...canister.chunkStore.values()].reduce((n, c) => n + c.length, 0)),
            snapshots_size: 0n
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
