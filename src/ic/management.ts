/**
 * The management canister (`aaaaa-aa`): the methods of the official `ic-management.did` (interface
 * specification, "The IC management canister") that the local IC serves and the suite's canisters call, with
 * the official types. A test checks that each one serves clients of the `.did` that `@icp-sdk/canisters` ships.
 * The settings and the status also carry what the replica has added since, which icp-cli 1.5 (its
 * ic-management-canister-types) decodes and requires: the log's memory limit and size, who may read the
 * status, and the fewest cycles an incoming call must carry.
 */
import type { Principal } from '@dfinity/principal';
import * as z from 'zod/mini';

import { c, defineService, query, update } from '../candid';

const CanisterId = c.named('canister_id', c.principal());
const SenderCanisterVersion = c.opt(c.nat64());

const Visibility = c.variant({ controllers: c.null(), public: c.null(), allowed_viewers: c.vec(c.principal()) });
const EnvironmentVariable = c.named('environment_variable', c.record({ name: c.text(), value: c.text() }));

export const CanisterSettings = c.named(
    'canister_settings',
    c.record({
        controllers: c.opt(c.vec(c.principal())),
        compute_allocation: c.opt(c.nat()),
        memory_allocation: c.opt(c.nat()),
        freezing_threshold: c.opt(c.nat()),
        reserved_cycles_limit: c.opt(c.nat()),
        log_visibility: c.opt(c.named('log_visibility', Visibility)),
        log_memory_limit: c.opt(c.nat()),
        snapshot_visibility: c.opt(c.named('snapshot_visibility', Visibility)),
        status_visibility: c.opt(c.named('status_visibility', Visibility)),
        minimum_incoming_canister_call_cycles: c.opt(c.nat()),
        wasm_memory_limit: c.opt(c.nat()),
        wasm_memory_threshold: c.opt(c.nat()),
        environment_variables: c.opt(c.vec(EnvironmentVariable))
    })
);

export const DefiniteCanisterSettings = c.named(
    'definite_canister_settings',
    c.record({
        controllers: c.vec(c.principal()),
        compute_allocation: c.nat(),
        memory_allocation: c.nat(),
        freezing_threshold: c.nat(),
        reserved_cycles_limit: c.nat(),
        log_visibility: c.named('log_visibility', Visibility),
        log_memory_limit: c.nat(),
        snapshot_visibility: c.named('snapshot_visibility', Visibility),
        status_visibility: c.named('status_visibility', Visibility),
        minimum_incoming_canister_call_cycles: c.nat(),
        wasm_memory_limit: c.nat(),
        wasm_memory_threshold: c.nat(),
        environment_variables: c.vec(EnvironmentVariable)
    })
);

export const InstallMode = c.named(
    'canister_install_mode',
    c.variant({
        install: c.null(),
        reinstall: c.null(),
        upgrade: c.opt(
            c.record({
                skip_pre_upgrade: c.opt(c.bool()),
                wasm_memory_persistence: c.opt(c.variant({ keep: c.null(), replace: c.null() }))
            })
        )
    })
);

const ChunkHash = c.named('chunk_hash', c.record({ hash: c.blob() }));
const CanisterIdArgs = (name: string) => c.named(name, c.record({ canister_id: CanisterId }));

export const CanisterStatusResult = c.named(
    'canister_status_result',
    c.record({
        status: c.variant({ running: c.null(), stopping: c.null(), stopped: c.null() }),
        ready_for_migration: c.bool(),
        version: c.nat64(),
        settings: DefiniteCanisterSettings,
        module_hash: c.opt(c.blob()),
        memory_size: c.nat(),
        memory_metrics: c.record({
            wasm_memory_size: c.nat(),
            stable_memory_size: c.nat(),
            global_memory_size: c.nat(),
            wasm_binary_size: c.nat(),
            custom_sections_size: c.nat(),
            canister_history_size: c.nat(),
            wasm_chunk_store_size: c.nat(),
            snapshots_size: c.nat(),
            log_memory_store_size: c.nat()
        }),
        cycles: c.nat(),
        reserved_cycles: c.nat(),
        idle_cycles_burned_per_day: c.nat(),
        query_stats: c.record({
            num_calls_total: c.nat(),
            num_instructions_total: c.nat(),
            request_payload_bytes_total: c.nat(),
            response_payload_bytes_total: c.nat()
        })
    })
);

const SnapshotId = c.named('snapshot_id', c.blob());
export const Snapshot = c.named('snapshot', c.record({ id: SnapshotId, taken_at_timestamp: c.nat64(), total_size: c.nat64() }));

/** The IC's limit on one uploaded chunk: 1 MiB. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

export const managementService = defineService({
    methods: {
        create_canister: update(
            [
                c.named(
                    'create_canister_args',
                    c.record({ settings: c.opt(CanisterSettings), sender_canister_version: SenderCanisterVersion })
                )
            ],
            c.named('create_canister_result', c.record({ canister_id: CanisterId }))
        ),
        provisional_create_canister_with_cycles: update(
            [
                c.named(
                    'provisional_create_canister_with_cycles_args',
                    c.record({
                        amount: c.opt(c.nat()),
                        settings: c.opt(CanisterSettings),
                        specified_id: c.opt(CanisterId),
                        sender_canister_version: SenderCanisterVersion
                    })
                )
            ],
            c.named('provisional_create_canister_with_cycles_result', c.record({ canister_id: CanisterId }))
        ),
        provisional_top_up_canister: update([
            c.named('provisional_top_up_canister_args', c.record({ canister_id: CanisterId, amount: c.nat() }))
        ]),
        update_settings: update([
            c.named(
                'update_settings_args',
                c.record({ canister_id: CanisterId, settings: CanisterSettings, sender_canister_version: SenderCanisterVersion })
            )
        ]),
        install_code: update([
            c.named(
                'install_code_args',
                c.record({
                    mode: InstallMode,
                    canister_id: CanisterId,
                    wasm_module: c.named('wasm_module', c.blob()),
                    arg: c.blob(),
                    sender_canister_version: SenderCanisterVersion
                })
            )
        ]),
        upload_chunk: update(
            [
                c.named(
                    'upload_chunk_args',
                    c.record({
                        canister_id: CanisterId,
                        chunk: c.blob().check(z.maxLength(MAX_CHUNK_BYTES, { error: 'a chunk is at most 1 MiB' }))
                    })
                )
            ],
            c.named('upload_chunk_result', ChunkHash)
        ),
        install_chunked_code: update([
            c.named(
                'install_chunked_code_args',
                c.record({
                    mode: InstallMode,
                    target_canister: CanisterId,
                    store_canister: c.opt(CanisterId),
                    chunk_hashes_list: c.vec(ChunkHash),
                    wasm_module_hash: c.blob(),
                    arg: c.blob(),
                    sender_canister_version: SenderCanisterVersion
                })
            )
        ]),
        clear_chunk_store: update([CanisterIdArgs('clear_chunk_store_args')]),
        stored_chunks: update([CanisterIdArgs('stored_chunks_args')], c.named('stored_chunks_result', c.vec(ChunkHash))),
        uninstall_code: update([
            c.named('uninstall_code_args', c.record({ canister_id: CanisterId, sender_canister_version: SenderCanisterVersion }))
        ]),
        start_canister: update([CanisterIdArgs('start_canister_args')]),
        stop_canister: update([CanisterIdArgs('stop_canister_args')]),
        canister_status: query([CanisterIdArgs('canister_status_args')], CanisterStatusResult),
        delete_canister: update([CanisterIdArgs('delete_canister_args')]),
        deposit_cycles: update([CanisterIdArgs('deposit_cycles_args')]),
        raw_rand: update([], c.named('raw_rand_result', c.blob())),
        take_canister_snapshot: update(
            [
                c.named(
                    'take_canister_snapshot_args',
                    c.record({
                        canister_id: CanisterId,
                        replace_snapshot: c.opt(SnapshotId),
                        uninstall_code: c.opt(c.bool()),
                        sender_canister_version: SenderCanisterVersion
                    })
                )
            ],
            c.named('take_canister_snapshot_result', Snapshot)
        ),
        load_canister_snapshot: update([
            c.named(
                'load_canister_snapshot_args',
                c.record({ canister_id: CanisterId, snapshot_id: SnapshotId, sender_canister_version: SenderCanisterVersion })
            )
        ]),
        list_canister_snapshots: update(
            [CanisterIdArgs('list_canister_snapshots_args')],
            c.named('list_canister_snapshots_result', c.vec(Snapshot))
        ),
        delete_canister_snapshot: update([
            c.named('delete_canister_snapshot_args', c.record({ canister_id: CanisterId, snapshot_id: SnapshotId }))
        ])
    }
});

export type CanisterSettingsArg = z.infer<typeof CanisterSettings>;
export type Visibility = z.infer<typeof Visibility>;
export type EnvironmentVariable = z.infer<typeof EnvironmentVariable>;
export type InstallModeArg = z.infer<typeof InstallMode>;
export type CanisterStatusResultValue = z.infer<typeof CanisterStatusResult>;
export type SnapshotValue = z.infer<typeof Snapshot>;

/** The settings a caller may give, in the camel case of pic-js's options; what is absent stays as it is. */
export type SettingsOptions = {
    readonly controllers?: Principal[];
    readonly computeAllocation?: bigint;
    readonly memoryAllocation?: bigint;
    readonly freezingThreshold?: bigint;
    readonly reservedCyclesLimit?: bigint;
    readonly wasmMemoryLimit?: bigint;
    readonly wasmMemoryThreshold?: bigint;
};

/** The management canister's `canister_settings` for these options (every other field left unset). */
export function settingsArg(o: SettingsOptions): CanisterSettingsArg {
    const opt = <T>(v: T | undefined): [] | [T] => (v === undefined ? [] : [v]);
    return {
        controllers: opt(o.controllers),
        compute_allocation: opt(o.computeAllocation),
        memory_allocation: opt(o.memoryAllocation),
        freezing_threshold: opt(o.freezingThreshold),
        reserved_cycles_limit: opt(o.reservedCyclesLimit),
        log_visibility: [],
        log_memory_limit: [],
        snapshot_visibility: [],
        status_visibility: [],
        minimum_incoming_canister_call_cycles: [],
        wasm_memory_limit: opt(o.wasmMemoryLimit),
        wasm_memory_threshold: opt(o.wasmMemoryThreshold),
        environment_variables: []
    };
}
