/**
 * The IC's limits and prices the local IC applies, in one place: every cycle charge the local IC makes is
 * priced by a function here, and nothing else in `src/replica/` reads the price table.
 *
 * Sources:
 * - instruction limits: the IC's `rs/config/src/subnet_config.rs` (application subnets) and the resource-limits
 *   page of the developer docs;
 * - system API overheads: `rs/embedders/src/wasmtime_embedder/system_api_complexity.rs`, module `overhead`;
 * - cycle prices: `src/ic/cycle-prices.ts` (canisters estimate their costs from the same table).
 */

/** Instructions one message may execute before it traps. */
export const INSTRUCTION_LIMITS = {
    update: 40_000_000_000n,
    query: 5_000_000_000n,
    /** install, reinstall and upgrade (pre_upgrade and post_upgrade share it) */
    install: 300_000_000_000n,
    inspectMessage: 200_000_000n
} as const;

/** The replica's message when a message runs out of instructions. */
export function instructionLimitMessage(limit: bigint): string {
    return `Canister exceeded the limit of ${limit} instructions for single message execution.`;
}

/** Fixed instruction cost of each ic0 call; calls that copy bytes also pay one instruction per byte. */
export const SYSTEM_API_OVERHEAD: Readonly<Record<string, number>> = {
    accept_message: 500,
    call_cycles_add128: 500,
    call_data_append: 500,
    call_new: 1_500,
    call_on_cleanup: 500,
    call_perform: 5_000,
    call_with_best_effort_response: 500,
    cycles_burn128: 500,
    canister_cycle_balance128: 500,
    canister_liquid_cycle_balance128: 500,
    canister_self_copy: 500,
    canister_self_size: 500,
    canister_status: 500,
    canister_version: 500,
    certified_data_set: 500,
    cost_call: 500,
    data_certificate_copy: 500,
    data_certificate_present: 500,
    data_certificate_size: 500,
    debug_print: 100,
    global_timer_set: 500,
    is_controller: 1_000,
    in_replicated_execution: 500,
    msg_arg_data_copy: 500,
    msg_arg_data_size: 500,
    msg_caller_copy: 500,
    msg_caller_size: 500,
    msg_cycles_accept128: 500,
    msg_cycles_available128: 500,
    msg_cycles_refunded128: 500,
    msg_method_name_copy: 500,
    msg_method_name_size: 500,
    msg_reject_code: 500,
    msg_reject_msg_copy: 500,
    msg_reject_msg_size: 500,
    msg_reject: 500,
    msg_reply_data_append: 500,
    msg_reply: 500,
    performance_counter: 200,
    stable64_grow: 500,
    stable64_read: 20,
    stable64_size: 20,
    stable64_write: 20,
    time: 500,
    trap: 500
};

import { CYCLE_PRICES } from '../ic/cycle-prices';

/** The IC's cost of executing `instructions` in an update-like message. */
export function executionCost(instructions: bigint): bigint {
    return CYCLE_PRICES.updateMessageBase + CYCLE_PRICES.perInstruction * instructions;
}

/** What inducting an ingress message costs the canister it is for: a fee and its method name's and argument's bytes. */
export function ingressCost(methodNameSize: number, argSize: number): bigint {
    return CYCLE_PRICES.ingressMessage + CYCLE_PRICES.ingressByte * BigInt(methodNameSize + argSize);
}

/** What sending an inter-canister call costs its caller (`ic0.cost_call`): a fee and the bytes it carries. */
export function interCanisterCallCost(methodNameSize: bigint, payloadSize: bigint): bigint {
    return CYCLE_PRICES.interCanisterCall + CYCLE_PRICES.interCanisterByte * (methodNameSize + payloadSize);
}

/** Cycles a canister created by `create_canister` must be sent at least: the creation fee. */
export const CANISTER_CREATION_FEE = CYCLE_PRICES.canisterCreation;

/**
 * Storage owed for holding `bytes` for `elapsedNs`, in units of {@link STORAGE_OWED_UNIT} cycles: kept in this
 * fine unit so that many short steps of time add up to what one long step charges.
 */
export function storageOwed(bytes: bigint, elapsedNs: bigint): bigint {
    return bytes * CYCLE_PRICES.storagePerGiBSecond * elapsedNs;
}

/** Units of {@link storageOwed} in one cycle (a GiB-nanosecond at the per-GiB-second price). */
export const STORAGE_OWED_UNIT = 1024n ** 3n * 1_000_000_000n;

/** What holding `bytes` for `seconds` costs (storage; compute allocation is not modelled). */
export function storageCost(bytes: bigint, seconds: bigint): bigint {
    return (bytes * CYCLE_PRICES.storagePerGiBSecond * seconds) / GIB;
}

/** Default canister settings (interface specification, `canister_settings`). */
export const DEFAULT_SETTINGS = {
    /** 30 days. */
    freezingThresholdSeconds: 2_592_000n,
    reservedCyclesLimit: 5_000_000_000_000n,
    wasmMemoryLimit: 3n * 1024n ** 3n,
    /** The canister log's memory (dfinity/ic `DEFAULT_AGGREGATE_LOG_MEMORY_LIMIT`). */
    logMemoryLimit: 4n * 1024n
} as const;

/** Cycles a new canister gets from `provisional_create_canister_with_cycles` without an amount (as PocketIC). */
export const DEFAULT_PROVISIONAL_CYCLES = 1_000_000_000_000_000_000n;

export const GIB = 1024n ** 3n;
