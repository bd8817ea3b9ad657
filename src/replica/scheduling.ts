/**
 * Scheduling: how messages run on the local IC. Messages run one at a time. An ingress update runs to
 * completion with everything it causes: the calls it makes are queued and delivered as separate messages, and
 * their responses run the callers' callbacks. A round (`tick`) runs each canister's heartbeat, due timer and
 * low-memory hook, then delivers what is queued. Queries run non-replicated and leave no trace; composite
 * queries run their calls depth first.
 */
import { Principal } from '@dfinity/principal';

import type { Canister, SnapshotContent } from './canister';
import { certifiedDataTree } from './certificates';
import { executionCost, INSTRUCTION_LIMITS, ingressCost } from './costs';
import { CallRejectedError, RejectCode } from './errors';
import type { ManagementDispatch } from './management/dispatch';
import { CallContext, type CallResponse, EMPTY_ARGS, newMessage, type OutgoingCall, type Reject } from './message';
import { isManagementCanister, keyOf, MANAGEMENT_CANISTER_ID, type Subnet } from './subnet';

export type CallOptions = { canisterId: Principal; method: string; arg?: Uint8Array; sender?: Principal };

/** How an ingress update ended (see {@link Scheduler.ingress}). */
export type IngressOutcome =
    | { kind: 'replied'; reply: Uint8Array }
    | { kind: 'rejected'; error: CallRejectedError }
    | { kind: 'refused'; error: CallRejectedError };

type Delivery =
    | { kind: 'request'; from: Canister; context: CallContext; call: OutgoingCall }
    | { kind: 'response'; to: Canister; context: CallContext; call: OutgoingCall; response: CallResponse; refund: bigint };

/** Deliveries processed per tick at most, so a canister that calls itself forever cannot hang a test. */
const MAX_DELIVERIES_PER_ROUND = 100_000;

/** How a message's code is entered: an export by name, or a callback from the canister's function table. */
type Invoke = (exports: WebAssembly.Exports, table: WebAssembly.Table | undefined) => void;

export class Scheduler {
    private readonly queue: Delivery[] = [];

    constructor(
        private readonly subnet: Subnet,
        private readonly management: ManagementDispatch
    ) {}

    /** Forgets every queued message. */
    clear(): void {
        this.queue.length = 0;
    }

    /** One round: time moves on 1 ns, due system tasks run in every canister, then queued messages are delivered. */
    round(): void {
        this.subnet.moveTimeTo(this.subnet.now + 1n); // each round takes time, as on the IC (1 ns, as PocketIC)
        for (const canister of this.subnet.canisters.values()) {
            this.runHeartbeat(canister);
            this.fireTimer(canister);
            this.runLowMemoryHook(canister);
        }
        this.drainQueue();
    }

    /**
     * A query call: a `canister_query` or `canister_composite_query` method, run non-replicated; the canister's
     * state is left as it was. Resolves with the reply, rejects with a CallRejectedError.
     */
    query({ canisterId, method, arg = EMPTY_ARGS, sender = Principal.anonymous() }: CallOptions): Uint8Array {
        if (isManagementCanister(canisterId)) return this.management.raw(sender, method, arg, 0n);
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
        const message = queryMessage('query', method, arg, caller, context, certificate);
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
        const message = queryMessage('composite_query', method, arg, caller, context, certificate);
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
    private runComposite(canister: Canister, message: ReturnType<typeof newMessage>, invoke: Invoke, path: Set<string>): boolean {
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
            const { callback, cleanup } = callbackMessages(call, context, result, 'composite');
            const ok = this.runComposite(canister, callback.message, callback.invoke, path);
            if (!ok && cleanup !== undefined) this.runComposite(canister, cleanup.message, cleanup.invoke, path);
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
            (certificate ??= this.subnet.key.certify(
                certifiedDataTree(canister.selfId, canister.certifiedData, this.subnet.now)
            ));
    }

    /**
     * An ingress update as the IC's HTTP interface sees it: `refused` when it never entered the IC (no such
     * canister or method, refused by `canister_inspect_message`, no cycles to pay for it), which a client hears
     * uncertified; otherwise it ran to completion and its reply or reject is certified in `request_status`.
     */
    ingress({ canisterId, method, arg = EMPTY_ARGS, sender = Principal.anonymous() }: CallOptions): IngressOutcome {
        if (isManagementCanister(canisterId)) {
            try {
                return { kind: 'replied', reply: this.management.raw(sender, method, arg, 0n) };
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

    /** The canister and how it exports `method`, if it can take a call now; otherwise the IC's reject. */
    private callable(id: Principal, method: string, asked: 'query' | 'update'): { canister: Canister; exported: MethodKind } {
        const canister = this.subnet.canister(id);
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
        const cost = ingressCost(method.length, arg.length);
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
        invoke: Invoke,
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
                const reply = this.management.raw(from.id, call.method, arg, call.cycles, (amount) => (accepted += amount));
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
        if (!this.subnet.has(to.id) || !to.hasModule) return;
        to.cycles += refund;
        context.pendingCalls--;
        const { callback, cleanup } = callbackMessages(call, context, response, 'replicated', refund);
        const ok = this.execute(to, callback.message, callback.invoke);
        if (!ok && cleanup !== undefined) this.execute(to, cleanup.message, cleanup.invoke);
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
        if (canister.globalTimer === 0n || canister.globalTimer > this.subnet.now || !canister.hasExport('canister_global_timer'))
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
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
    return new Uint8Array(Buffer.concat(chunks));
}

/** A query or composite query method's message: non-replicated, under the query limit, in its own call context. */
function queryMessage(
    kind: 'query' | 'composite_query',
    method: string,
    arg: Uint8Array,
    caller: Uint8Array,
    context: CallContext,
    certificate: (() => Uint8Array) | undefined
): ReturnType<typeof newMessage> {
    return newMessage({
        kind,
        methodName: method,
        caller,
        arg,
        callContext: context,
        instructionLimit: INSTRUCTION_LIMITS.query,
        replicated: false,
        certificate
    });
}

/** A message to run and how its code is entered. */
type Runnable = { message: ReturnType<typeof newMessage>; invoke: Invoke };

/**
 * The messages a call's response runs in its caller: the reply or reject callback, and the cleanup callback
 * that runs if the first traps (interface specification, "Callback invocation"). A composite query's run
 * non-replicated under the query limit, in the query's call context; a replicated response's under the update
 * limit with the refund it brought, its cleanup outside the call context (a cleanup can neither answer nor
 * make calls; the caller settles the context after it).
 */
function callbackMessages(
    call: OutgoingCall,
    context: CallContext,
    response: CallResponse,
    mode: 'composite' | 'replicated',
    refund?: bigint
): { callback: Runnable; cleanup: Runnable | undefined } {
    const isReply = 'reply' in response;
    const composite = mode === 'composite';
    const entry = isReply ? call.reply : call.reject;
    const instructionLimit = composite ? INSTRUCTION_LIMITS.query : INSTRUCTION_LIMITS.update;
    const callback = {
        message: newMessage({
            kind: composite
                ? isReply
                    ? 'composite_reply_callback'
                    : 'composite_reject_callback'
                : isReply
                  ? 'reply_callback'
                  : 'reject_callback',
            methodName: context.methodName,
            caller: context.caller,
            arg: isReply ? response.reply : new Uint8Array(),
            callContext: context,
            reject: isReply ? undefined : response.reject,
            cyclesRefunded: refund,
            instructionLimit,
            replicated: !composite
        }),
        invoke: (_: WebAssembly.Exports, table: WebAssembly.Table | undefined) => callTable(table, entry.fn, entry.env)
    };
    const onCleanup = call.cleanup;
    if (onCleanup === undefined) return { callback, cleanup: undefined };
    const cleanup = {
        message: newMessage({
            kind: 'cleanup',
            methodName: context.methodName,
            caller: context.caller,
            arg: new Uint8Array(),
            callContext: composite ? context : undefined,
            instructionLimit,
            replicated: !composite
        }),
        invoke: (_: WebAssembly.Exports, table: WebAssembly.Table | undefined) => callTable(table, onCleanup.fn, onCleanup.env)
    };
    return { callback, cleanup };
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

export function trapReject(canister: Canister, reason: string, errorCode: string): CallRejectedError {
    const { code, message } = trapRejectBody(canister, reason, errorCode);
    return new CallRejectedError(code, message, errorCode);
}

export function rejectOf(error: unknown): Reject {
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
