/**
 * The `ic0` system API (interface specification, "Canister interface (System API)") that Azle's wasm imports.
 *
 * Each function charges the replica's fixed overhead (`SYSTEM_API_OVERHEAD`) and, for calls that copy bytes,
 * one instruction per byte. Where the specification forbids a call in the current context, the call traps
 * with a message that names the function, as the replica's does.
 */
import { SYSTEM_API_OVERHEAD } from './costs';
import { CanisterTrap, RejectCode } from './errors';
import type { StableMemory } from './memory';
import type { EntryKind, MessageContext } from './message';
import { WASM_PAGE } from './wasm/instrument';

/** What the system API needs from the canister that runs the message. */
export interface SystemApiHost {
    readonly selfId: Uint8Array;
    readonly message: MessageContext;
    readonly stable: StableMemory;
    /** The heap as it is now (its buffer changes when it grows). */
    heap(): Uint8Array;
    /** Writes into the heap on the canister's behalf, journaling the pages first. */
    writeHeap(address: number, bytes: Uint8Array): void;
    /** Deducts instructions from the message's budget; traps when it is exhausted. */
    charge(instructions: number | bigint): void;
    instructionsExecuted(): bigint;
    time(): bigint;
    /** The balance as this message sees it (accepted cycles in, attached and burned cycles out). */
    cycleBalance(): bigint;
    /** The balance above the freezing threshold. */
    liquidCycleBalance(): bigint;
    isController(principal: Uint8Array): boolean;
    canisterVersion(): bigint;
    setCertifiedData(data: Uint8Array): void;
    /** Sets the global timer (ns since epoch, 0 = none); returns the previous value. */
    setGlobalTimer(ns: bigint): bigint;
    debugPrint(text: string): void;
    /** Cycles a call with this method name and payload size costs the caller. */
    costCall(methodNameSize: bigint, payloadSize: bigint): bigint;
}

/** Local copies, read on every call: an imported binding is a getter call where the test runner compiles to CommonJS. */
const OVERHEAD = SYSTEM_API_OVERHEAD;
const PAGE_BYTES = WASM_PAGE;
const MAX_CERTIFIED_DATA = 32;
/**
 * The most a replicated message may put in a reply or an inter-canister call's argument: 2 MiB (interface
 * specification, "Responding" and "Inter-canister method calls", which defer to the resource limits page;
 * dfinity/ic `MAX_INTER_CANISTER_PAYLOAD_IN_BYTES`). Query calls are not held to it here (their replies travel
 * to the client directly, under a limit the local IC does not model).
 */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;
const UTF8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The contexts in which each restricted call is allowed (interface specification, "Overview of imports"). A
 * query run as an update (`replicated_query`, RQ there) may answer but not call, certify or set the timer: the
 * specification's `query_as_update` keeps none of its state, calls or certified data ("Message execution").
 */
const ANSWERING: readonly EntryKind[] = [
    'update',
    'query',
    'replicated_query',
    'composite_query',
    'reply_callback',
    'reject_callback',
    'composite_reply_callback',
    'composite_reject_callback'
];
/** Where a call's cycles can be seen and taken: the call's own method and the callbacks ("U RQ Rt Ry"). */
const CYCLES_RECEIVING: readonly EntryKind[] = ['update', 'replicated_query', 'reply_callback', 'reject_callback'];
const CALLING: readonly EntryKind[] = [
    'update',
    'composite_query',
    'reply_callback',
    'reject_callback',
    'composite_reply_callback',
    'composite_reject_callback',
    'timer',
    'heartbeat',
    'low_memory'
];
const TIMER_SETTING: readonly EntryKind[] = [
    'init',
    'post_upgrade',
    'pre_upgrade',
    'update',
    'reply_callback',
    'reject_callback',
    'cleanup',
    'timer',
    'heartbeat',
    'low_memory'
];
const CERTIFYING: readonly EntryKind[] = [
    'init',
    'post_upgrade',
    'update',
    'reply_callback',
    'reject_callback',
    'timer',
    'heartbeat',
    'low_memory',
    'pre_upgrade'
];

/** How the replica names each context in a trap's message (dfinity/ic `ic_system_api::ApiType`). */
const MODE_NAMES: Readonly<Record<EntryKind, string>> = {
    start: 'start',
    init: 'init',
    pre_upgrade: 'pre upgrade',
    post_upgrade: 'init',
    update: 'update',
    query: 'non replicated query',
    replicated_query: 'replicated query',
    composite_query: 'composite query',
    inspect_message: 'inspect message',
    reply_callback: 'reply callback',
    reject_callback: 'reject callback',
    composite_reply_callback: 'composite reply callback',
    composite_reject_callback: 'composite reject callback',
    cleanup: 'cleanup',
    timer: 'global timer',
    heartbeat: 'heartbeat',
    low_memory: 'on low Wasm memory'
};

function u128(high: bigint, low: bigint): bigint {
    return (BigInt.asUintN(64, high) << 64n) | BigInt.asUintN(64, low);
}

function u128Bytes(value: bigint): Uint8Array {
    const out = new Uint8Array(16);
    let v = value;
    for (let i = 0; i < 16; i++) {
        out[i] = Number(v & 0xffn);
        v >>= 8n;
    }
    return out;
}

let provided: ReadonlySet<string> | undefined;

/**
 * The `ic0` functions the local IC provides. The specification lists more ("Overview of imports": for example
 * `msg_deadline`, `subnet_self_*`, `canister_status`, `env_var_*`); a module that imports one of those is
 * refused at install with a message naming it, rather than failing to link.
 */
export function providedSystemApi(): ReadonlySet<string> {
    // the functions are closures over the host, which none of them touches until it is called
    return (provided ??= new Set(Object.keys(systemApi(undefined as unknown as SystemApiHost))));
}

export function systemApi(host: SystemApiHost): WebAssembly.ModuleImports {
    const trap = (message: string): never => {
        throw new CanisterTrap(message);
    };
    const charge = (name: string, bytes = 0) => host.charge((OVERHEAD[name] ?? 0) + bytes);
    const notIn = (name: string): never => trap(`"ic0_${name}" cannot be executed in ${MODE_NAMES[host.message.kind]} mode`);
    const allowedIn = (name: string, kinds: readonly EntryKind[]) => {
        if (!kinds.includes(host.message.kind)) notIn(name);
    };
    /** Heap bytes the canister passes, as a view: for a callee that copies them before the canister runs again. */
    const view = (name: string, src: number, size: number): Uint8Array => {
        const heap = host.heap();
        if (src < 0 || size < 0 || src + size > heap.length) {
            trap(`ic0.${name}: src=${src} + length=${size} exceeds the slice size=${heap.length}`);
        }
        return heap.subarray(src, src + size);
    };
    const read = (name: string, src: number, size: number): Uint8Array => view(name, src, size).slice();
    const copyOut = (name: string, dst: number, source: Uint8Array, offset: number, size: number) => {
        charge(name, size);
        if (offset < 0 || size < 0 || offset + size > source.length) {
            trap(`ic0.${name}: offset=${offset} + length=${size} exceeds the data size=${source.length}`);
        }
        if (dst < 0 || dst + size > host.heap().length) {
            trap(`ic0.${name}: dst=${dst} + length=${size} exceeds the heap size=${host.heap().length}`);
        }
        host.writeHeap(dst, source.subarray(offset, offset + size));
    };
    const writeU128 = (dst: number, value: bigint) => host.writeHeap(dst, u128Bytes(value));
    /** Traps when appending `size` bytes to `chunks` would pass the payload limit. */
    const withinPayload = (name: string, what: string, chunks: readonly Uint8Array[], size: number) => {
        const total = chunks.reduce((n, c) => n + c.length, size);
        if (total > MAX_PAYLOAD_BYTES) {
            trap(`ic0.${name}: the ${what} would be ${total} bytes, more than the IC's limit of ${MAX_PAYLOAD_BYTES} (2 MiB)`);
        }
    };
    /** Charges a stable memory read or write and checks its range; returns its length. */
    const stableAccess = (name: string, offset: bigint, size: bigint): number => {
        const n = Number(size);
        charge(name, n);
        if (!host.stable.inBounds(Number(offset), n)) {
            trap(
                `ic0.${name}: offset=${offset} + length=${size} exceeds the stable memory size=${host.stable.sizeInPages * PAGE_BYTES}`
            );
        }
        return n;
    };
    const callContext = (name: string) => {
        const context = host.message.callContext;
        if (context === undefined) return notIn(name);
        return context;
    };
    const answer = (name: string) => {
        allowedIn(name, ANSWERING);
        const context = callContext(name);
        if (context.response !== undefined || host.message.response !== undefined) {
            trap(`ic0.${name}: the call is already replied`);
        }
    };
    const rejectInfo = (name: string) => {
        const reject = host.message.reject;
        if (reject === undefined) return notIn(name);
        return reject;
    };
    const building = (name: string) => {
        const call = host.message.building;
        if (call === undefined) return trap(`ic0.${name}: no call is being built (call_new was not called)`);
        return call;
    };

    return {
        msg_arg_data_size: () => (charge('msg_arg_data_size'), host.message.arg.length),
        msg_arg_data_copy: (dst: number, offset: number, size: number) =>
            copyOut('msg_arg_data_copy', dst, host.message.arg, offset, size),
        msg_caller_size: () => (charge('msg_caller_size'), host.message.caller.length),
        msg_caller_copy: (dst: number, offset: number, size: number) =>
            copyOut('msg_caller_copy', dst, host.message.caller, offset, size),
        msg_method_name_size: () => (charge('msg_method_name_size'), new TextEncoder().encode(host.message.methodName).length),
        msg_method_name_copy: (dst: number, offset: number, size: number) =>
            copyOut('msg_method_name_copy', dst, new TextEncoder().encode(host.message.methodName), offset, size),
        msg_reject_code: () => {
            charge('msg_reject_code');
            return host.message.reject?.code ?? 0;
        },
        msg_reject_msg_size: () => (
            charge('msg_reject_msg_size'),
            new TextEncoder().encode(rejectInfo('msg_reject_msg_size').message).length
        ),
        msg_reject_msg_copy: (dst: number, offset: number, size: number) =>
            copyOut(
                'msg_reject_msg_copy',
                dst,
                new TextEncoder().encode(rejectInfo('msg_reject_msg_copy').message),
                offset,
                size
            ),
        msg_reply_data_append: (src: number, size: number) => {
            charge('msg_reply_data_append', size);
            answer('msg_reply_data_append');
            const chunks = host.message.replyChunks;
            if (host.message.replicated) withinPayload('msg_reply_data_append', 'reply', chunks, size);
            chunks.push(read('msg_reply_data_append', src, size));
        },
        msg_reply: () => {
            charge('msg_reply');
            answer('msg_reply');
            const total = host.message.replyChunks.reduce((n, c) => n + c.length, 0);
            const reply = new Uint8Array(total);
            let at = 0;
            for (const chunk of host.message.replyChunks) {
                reply.set(chunk, at);
                at += chunk.length;
            }
            host.message.response = { reply };
        },
        msg_reject: (src: number, size: number) => {
            charge('msg_reject', size);
            answer('msg_reject');
            host.message.response = {
                reject: { code: RejectCode.CanisterReject, message: UTF8.decode(read('msg_reject', src, size)) }
            };
        },
        msg_cycles_available128: (dst: number) => {
            charge('msg_cycles_available128');
            allowedIn('msg_cycles_available128', CYCLES_RECEIVING);
            writeU128(dst, host.message.callContext?.cyclesAvailable ?? 0n);
        },
        msg_cycles_refunded128: (dst: number) => {
            charge('msg_cycles_refunded128');
            writeU128(dst, host.message.cyclesRefunded);
        },
        msg_cycles_accept128: (maxHigh: bigint, maxLow: bigint, dst: number) => {
            charge('msg_cycles_accept128');
            allowedIn('msg_cycles_accept128', CYCLES_RECEIVING);
            const context = host.message.callContext;
            const available = context?.cyclesAvailable ?? 0n;
            const wanted = u128(maxHigh, maxLow);
            const accepted = wanted < available ? wanted : available;
            if (context !== undefined && accepted > 0n) {
                context.cyclesAvailable -= accepted;
                host.message.cyclesAccepted += accepted;
            }
            writeU128(dst, accepted);
        },
        accept_message: () => {
            charge('accept_message');
            if (host.message.kind !== 'inspect_message') notIn('accept_message');
            if (host.message.accepted) trap('ic0.accept_message: the message was already accepted');
            host.message.accepted = true;
        },
        canister_self_size: () => (charge('canister_self_size'), host.selfId.length),
        canister_self_copy: (dst: number, offset: number, size: number) =>
            copyOut('canister_self_copy', dst, host.selfId, offset, size),
        canister_cycle_balance128: (dst: number) => {
            charge('canister_cycle_balance128');
            writeU128(dst, host.cycleBalance());
        },
        canister_liquid_cycle_balance128: (dst: number) => {
            charge('canister_liquid_cycle_balance128');
            writeU128(dst, host.liquidCycleBalance());
        },
        canister_version: () => (charge('canister_version'), host.canisterVersion()),
        is_controller: (src: number, size: number) => {
            charge('is_controller');
            if (size > 29) trap(`ic0.is_controller: the principal is ${size} bytes, longer than 29`);
            return host.isController(read('is_controller', src, size)) ? 1 : 0;
        },
        in_replicated_execution: () => (charge('in_replicated_execution'), host.message.replicated ? 1 : 0),
        time: () => (charge('time'), host.time()),
        global_timer_set: (timestamp: bigint) => {
            charge('global_timer_set');
            allowedIn('global_timer_set', TIMER_SETTING);
            return host.setGlobalTimer(BigInt.asUintN(64, timestamp));
        },
        performance_counter: (type: number) => {
            charge('performance_counter');
            if (type !== 0 && type !== 1) trap(`ic0.performance_counter: unknown counter type ${type}`);
            // 0: this message's instructions; 1: the call context's, across the messages it ran (the awaits)
            const before = type === 1 ? (host.message.callContext?.instructions ?? 0n) : 0n;
            return before + host.instructionsExecuted();
        },
        certified_data_set: (src: number, size: number) => {
            charge('certified_data_set');
            allowedIn('certified_data_set', CERTIFYING);
            if (size > MAX_CERTIFIED_DATA)
                trap(`ic0.certified_data_set: the data is ${size} bytes, longer than ${MAX_CERTIFIED_DATA}`);
            host.setCertifiedData(read('certified_data_set', src, size));
        },
        data_certificate_present: () => (charge('data_certificate_present'), host.message.certificate === undefined ? 0 : 1),
        data_certificate_size: () => {
            charge('data_certificate_size');
            const certificate = host.message.certificate ?? trap('ic0.data_certificate_size: no certificate is present');
            return certificate().length;
        },
        data_certificate_copy: (dst: number, offset: number, size: number) => {
            const certificate = host.message.certificate ?? trap('ic0.data_certificate_copy: no certificate is present');
            copyOut('data_certificate_copy', dst, certificate(), offset, size);
        },
        cycles_burn128: (high: bigint, low: bigint, dst: number) => {
            charge('cycles_burn128');
            const wanted = u128(high, low);
            const liquid = host.liquidCycleBalance();
            const burned = wanted < liquid ? wanted : liquid;
            host.message.cyclesBurned += burned;
            writeU128(dst, burned);
        },
        cost_call: (methodNameSize: bigint, payloadSize: bigint, dst: number) => {
            charge('cost_call');
            writeU128(dst, host.costCall(methodNameSize, payloadSize));
        },
        call_new: (
            calleeSrc: number,
            calleeSize: number,
            nameSrc: number,
            nameSize: number,
            replyFn: number,
            replyEnv: number,
            rejectFn: number,
            rejectEnv: number
        ) => {
            charge('call_new');
            allowedIn('call_new', CALLING);
            host.message.building = {
                callee: read('call_new', calleeSrc, calleeSize),
                method: UTF8.decode(read('call_new', nameSrc, nameSize)),
                arg: [],
                cycles: 0n,
                reply: { fn: replyFn, env: replyEnv },
                reject: { fn: rejectFn, env: rejectEnv }
            };
        },
        call_on_cleanup: (fn: number, env: number) => {
            charge('call_on_cleanup');
            const call = building('call_on_cleanup');
            if (call.cleanup !== undefined) trap('ic0.call_on_cleanup: the cleanup callback is already set');
            call.cleanup = { fn, env };
        },
        call_data_append: (src: number, size: number) => {
            charge('call_data_append', size);
            const arg = building('call_data_append').arg;
            withinPayload('call_data_append', 'argument', arg, size);
            arg.push(read('call_data_append', src, size));
        },
        call_cycles_add128: (high: bigint, low: bigint) => {
            charge('call_cycles_add128');
            const call = building('call_cycles_add128');
            const amount = u128(high, low);
            if (amount > host.liquidCycleBalance()) {
                trap(
                    `ic0.call_cycles_add128: the canister cannot attach ${amount} cycles: only ${host.liquidCycleBalance()} are liquid`
                );
            }
            call.cycles += amount;
        },
        call_with_best_effort_response: () => {
            charge('call_with_best_effort_response');
            building('call_with_best_effort_response');
        },
        call_perform: () => {
            charge('call_perform');
            const call = building('call_perform');
            host.message.building = undefined;
            host.message.performed.push(call);
            return 0;
        },
        stable64_size: () => (charge('stable64_size'), BigInt(host.stable.sizeInPages)),
        stable64_grow: (pages: bigint) => {
            charge('stable64_grow');
            return BigInt(host.stable.grow(Number(pages)));
        },
        stable64_write: (offset: bigint, src: bigint, size: bigint) => {
            const n = stableAccess('stable64_write', offset, size);
            host.stable.write(Number(offset), view('stable64_write', Number(src), n));
        },
        stable64_read: (dst: bigint, offset: bigint, size: bigint) => {
            const n = stableAccess('stable64_read', offset, size);
            if (Number(dst) + n > host.heap().length)
                trap(`ic0.stable64_read: dst=${dst} + length=${size} exceeds the heap size`);
            host.writeHeap(Number(dst), host.stable.view(Number(offset), n));
        },
        debug_print: (src: number, size: number) => {
            charge('debug_print', size);
            host.debugPrint(UTF8.decode(read('debug_print', src, size)));
        },
        trap: (src: number, size: number) => {
            charge('trap', size);
            trap(`Canister called \`ic0.trap\` with message: '${UTF8.decode(read('trap', src, size))}'`);
        }
    };
}
