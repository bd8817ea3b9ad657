/**
 * Inter-canister calls through the callee's service description, as viem's `readContract` reads a contract
 * through its ABI: the one place a call is encoded, made, decoded and its failure mapped.
 *
 * ```ts
 * import * as azle from 'azle';
 * const canisters = canisterCalls(azle);
 * const result = await canisters.call({ service: tokenService, canister: token, method: 'icrc1_transfer', args: [arg] });
 * ```
 *
 * The method name is checked against the service, the arguments against its argument types and the result is
 * the method's result type, so a call site needs no cast. The arguments are encoded and the reply decoded with
 * the suite's codec (`wire.ts`), compiled once per method at its first call, and the call is made raw, so Azle's
 * `IDL.encode`/`IDL.decode` never run. Every failed call becomes an {@link InterCanisterCallError} with the
 * reject code, the reject message and the cycles refunded.
 *
 * Azle's exports come in as a parameter, as in `implement.ts`, so this module loads in Node too.
 */
import type { Principal } from '@dfinity/principal';

import type { AnySchema } from './node';
import type { ArgsOf, Methods, MethodSpec, ResultOf, Service } from './service';
import { decoder, encoder } from './wire';

/** The part of Azle's exports a call needs (`import * as azle from 'azle'` has it). */
export type CallAzle = {
    readonly call: (
        canister: Principal,
        method: string,
        options: { raw: true; args: Uint8Array; cycles?: bigint }
    ) => Promise<unknown>;
    /** The cycles the callee did not accept, readable after the call's await. */
    readonly msgCyclesRefunded: () => bigint;
};

/**
 * A call that did not get a reply: the callee rejected it or trapped (`rejectCode` 1–6, the IC's codes, and its
 * message), or the call could not be made (code 0, and why: `CallPerformFailed` when the IC refused to enqueue
 * it, `InsufficientLiquidCycleBalance` when the cycles to attach were not there). `refunded` is what came back of
 * the cycles attached.
 */
export class InterCanisterCallError extends Error {
    override readonly name = 'InterCanisterCallError';
    constructor(
        readonly rejectCode: number,
        readonly rejectMessage: string,
        readonly refunded: bigint
    ) {
        super(rejectMessage);
    }
}

/**
 * Reads what Azle threw for a failed call (a `CallRejected`, `CallPerformFailed`, `CleanupCallback` or
 * `InsufficientLiquidCycleBalance` object, or an `Error`) as an {@link InterCanisterCallError}.
 */
export function callErrorOf(error: unknown, refunded: bigint): InterCanisterCallError {
    if (error instanceof InterCanisterCallError) return error;
    const thrown = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
    const code = typeof thrown.rejectCode === 'number' ? thrown.rejectCode : 0;
    let message: string;
    if (typeof thrown.rejectMessage === 'string') message = thrown.rejectMessage;
    else if (typeof thrown.type === 'string') message = thrown.type;
    else message = error instanceof Error ? error.message : String(error);
    return new InterCanisterCallError(code, message, refunded);
}

/** A typed call: a method of `service` on `canister`, with its arguments and the cycles to attach (none if absent). */
export type CallRequest<M extends Methods, K extends keyof M & string> = {
    readonly service: Service<M, readonly AnySchema[]>;
    readonly canister: Principal;
    readonly method: K;
    readonly args: ArgsOf<M[K]['args']>;
    readonly cycles?: bigint;
};

/** A reply and the cycles refunded with it (0 when none were attached). */
export type Replied<T> = { readonly result: T; readonly refunded: bigint };

/** A method's argument encoder and result decoder. */
type MethodCodec = {
    readonly encode: (values: readonly unknown[]) => Uint8Array;
    readonly decode: (bytes: Uint8Array) => unknown;
};

/** Compiled at a method's first call: a canister that never calls a method of a service pays nothing for it. */
const codecs = new WeakMap<MethodSpec, MethodCodec>();

/**
 * A method's result decoder. A method without a result is not decoded: Candid lets a caller ignore values it does
 * not expect, so its reply has nothing to check.
 */
function resultDecoder(ret: AnySchema | undefined): (bytes: Uint8Array) => unknown {
    if (ret === undefined) return () => undefined;
    const decodeAll = decoder([ret]);
    return (bytes) => decodeAll(bytes)[0];
}

function codecOf(spec: MethodSpec): MethodCodec {
    let codec = codecs.get(spec);
    if (codec === undefined) {
        codec = { encode: encoder(spec.args), decode: resultDecoder(spec.ret) };
        codecs.set(spec, codec);
    }
    return codec;
}

/** Inter-canister calls made with these Azle exports. */
export type CanisterCalls = {
    /**
     * Calls a method of a service; resolves to its decoded result. A failed call rejects with an
     * {@link InterCanisterCallError}; a reply that is not the method's result type rejects with the codec's
     * `CandidDecodeError` (the call went through: the callee ran).
     */
    call<M extends Methods, K extends keyof M & string>(request: CallRequest<M, K>): Promise<ResultOf<M[K]['ret']>>;
    /** {@link CanisterCalls.call} for a call with cycles attached: the result and the cycles refunded. */
    callWithRefund<M extends Methods, K extends keyof M & string>(
        request: CallRequest<M, K>
    ): Promise<Replied<ResultOf<M[K]['ret']>>>;
    /** A call whose arguments and reply stay Candid bytes (a forwarded call); fails as {@link CanisterCalls.call}. */
    callRaw(canister: Principal, method: string, args: Uint8Array, cycles: bigint): Promise<Replied<Uint8Array>>;
};

/** The inter-canister calls of a canister, made through its Azle exports. */
export function canisterCalls(azle: CallAzle): CanisterCalls {
    // The refund is read only when cycles were attached: without, it is 0 and the system call is saved.
    const refundOf = (cycles: bigint) => (cycles > 0n ? azle.msgCyclesRefunded() : 0n);

    /**
     * Makes the call and hands its reply to `answer`. Written with `then`, not as an async function, so that the
     * caller's await is the only one between Azle's promise and the answer.
     */
    function made<T>(
        canister: Principal,
        method: string,
        args: Uint8Array,
        cycles: bigint,
        answer: (reply: Uint8Array) => T
    ): Promise<T> {
        let sent: Promise<unknown>;
        try {
            sent = azle.call(canister, method, cycles > 0n ? { raw: true, args, cycles } : { raw: true, args });
        } catch (error) {
            return Promise.reject(callErrorOf(error, refundOf(cycles)));
        }
        return sent.then(
            (reply) => answer(reply as Uint8Array),
            (error: unknown) => {
                throw callErrorOf(error, refundOf(cycles));
            }
        );
    }

    /** Encodes a typed request, makes it and hands the decoded result and the cycles attached to `answer`. */
    function typed<M extends Methods, K extends keyof M & string, T>(
        request: CallRequest<M, K>,
        answer: (result: ResultOf<M[K]['ret']>, cycles: bigint) => T
    ): Promise<T> {
        const spec: MethodSpec | undefined = request.service.methods[request.method];
        // the types admit only the service's methods; this stops an untyped caller before anything is sent
        if (spec === undefined) return Promise.reject(new TypeError(`the service has no method ${request.method}`));
        const codec = codecOf(spec);
        let args: Uint8Array;
        try {
            args = codec.encode(request.args);
        } catch (error) {
            return Promise.reject(error as Error);
        }
        const cycles = request.cycles ?? 0n;
        return made(request.canister, request.method, args, cycles, (reply) =>
            answer(codec.decode(reply) as ResultOf<M[K]['ret']>, cycles)
        );
    }

    return {
        call: (request) => typed(request, (result) => result),
        callWithRefund: (request) => typed(request, (result, cycles) => ({ result, refunded: refundOf(cycles) })),
        callRaw: (canister, method, args, cycles) =>
            made(canister, method, args, cycles, (reply) => ({ result: reply, refunded: refundOf(cycles) }))
    };
}
