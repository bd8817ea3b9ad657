/**
 * What one message execution sees: its entry point, caller, argument, cycles, the call context a reply goes
 * to, and the calls it makes. The system API (`system-api.ts`) reads and writes it; the canister
 * (`canister.ts`) creates one per message and applies or discards what it collected.
 */
import { IDL } from '@dfinity/candid';

import type { RejectCode } from './errors';

/** An empty Candid argument list (`DIDL\0\0`): what a call or install without an argument sends. */
export const EMPTY_ARGS = new Uint8Array(IDL.encode([], []));

/**
 * The kinds of entry points, as the interface specification names their contexts ("Overview of imports"):
 * `query` is a `canister_query` method run non-replicated (a query call), `replicated_query` the same method
 * run as an update (an update call or an inter-canister call to it), `composite_query` a
 * `canister_composite_query` method, which only query calls reach.
 */
export type EntryKind =
    | 'start'
    | 'init'
    | 'pre_upgrade'
    | 'post_upgrade'
    | 'update'
    | 'query'
    | 'replicated_query'
    | 'composite_query'
    | 'inspect_message'
    | 'reply_callback'
    | 'reject_callback'
    | 'composite_reply_callback'
    | 'composite_reject_callback'
    | 'cleanup'
    | 'timer'
    | 'heartbeat'
    | 'low_memory';

/**
 * A reject as the caller sees it; `errorCode` is the replica's `IC0...` code, which an ingress caller also
 * gets (a canister's reject callback sees only the code and the message).
 */
export type Reject = { code: RejectCode; message: string; errorCode?: string };

/** The answer to a call: a reply's bytes, or a reject. */
export type CallResponse = { reply: Uint8Array } | { reject: Reject };

/**
 * A call context: created by an incoming update (or query), it is answered once, by the method itself or by a
 * callback of one of its outgoing calls.
 */
export class CallContext {
    response: CallResponse | undefined;
    /** Cycles the caller attached that nobody has accepted yet. */
    cyclesAvailable: bigint;
    /** Outgoing calls of this context still waiting for their response. */
    pendingCalls = 0;
    /** Instructions of the messages this context has run so far (performance counter 1). */
    instructions = 0n;

    constructor(
        readonly caller: Uint8Array,
        readonly methodName: string,
        cycles: bigint,
        /** Called with the response, and the unaccepted cycles to refund, when the context is answered. */
        readonly onResponse: (response: CallResponse, refund: bigint) => void,
        /** False for a timer's context: it makes calls, but nobody awaits an answer from it. */
        readonly awaitsResponse = true
    ) {
        this.cyclesAvailable = cycles;
    }
}

/** An outgoing call as the canister builds it with call_new ... call_perform. */
export type OutgoingCall = {
    callee: Uint8Array;
    method: string;
    arg: Uint8Array[];
    cycles: bigint;
    reply: { fn: number; env: number };
    reject: { fn: number; env: number };
    cleanup?: { fn: number; env: number };
};

export type MessageContext = {
    readonly kind: EntryKind;
    readonly methodName: string;
    readonly caller: Uint8Array;
    readonly arg: Uint8Array;
    /** The call context this message may answer, if any (not in init, upgrade hooks, timers). */
    readonly callContext: CallContext | undefined;
    /** For a reject callback: the reject it was given. */
    readonly reject?: { code: RejectCode; message: string };
    /** For a reply or reject callback: the cycles the callee did not accept. */
    readonly cyclesRefunded: bigint;
    readonly instructionLimit: bigint;
    /** A query from ingress gets a data certificate, built when the canister first asks for it (signing is slow). */
    readonly certificate?: () => Uint8Array;
    /** Whether the message runs on every replica (updates) or one (queries). */
    readonly replicated: boolean;
    /** Reply bytes appended so far. */
    replyChunks: Uint8Array[];
    /** The reply or reject this message produced, applied to the call context when it commits. */
    response: CallResponse | undefined;
    /** Cycles accepted from the call context by this message. */
    cyclesAccepted: bigint;
    /** inspect_message called accept_message. */
    accepted: boolean;
    /** The call being built between call_new and call_perform. */
    building: OutgoingCall | undefined;
    /** Calls performed; they are sent only if the message commits. */
    performed: OutgoingCall[];
    /** Cycles burned by cycles_burn128. */
    cyclesBurned: bigint;
};

export function newMessage(fields: {
    kind: EntryKind;
    methodName: string;
    caller: Uint8Array;
    arg: Uint8Array;
    callContext?: CallContext;
    reject?: { code: RejectCode; message: string };
    cyclesRefunded?: bigint;
    instructionLimit: bigint;
    certificate?: () => Uint8Array;
    replicated: boolean;
}): MessageContext {
    // every field written out: an object spread costs microseconds per message on Node 20 (measured)
    return {
        kind: fields.kind,
        methodName: fields.methodName,
        caller: fields.caller,
        arg: fields.arg,
        callContext: fields.callContext,
        reject: fields.reject,
        instructionLimit: fields.instructionLimit,
        certificate: fields.certificate,
        replicated: fields.replicated,
        cyclesRefunded: fields.cyclesRefunded ?? 0n,
        replyChunks: [],
        response: undefined,
        cyclesAccepted: 0n,
        accepted: false,
        building: undefined,
        performed: [],
        cyclesBurned: 0n
    };
}
