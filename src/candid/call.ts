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

function codecOf(spec: MethodSpec): MethodCodec {
    let codec = codecs.get(spec);
    if (codec === undefined) {
        const decodeAll = decoder(spec.ret === undefined ? [] : [spec.ret]);
        codec = { encode: encoder(spec.args), decode: (bytes) => decodeAll(bytes)[0] };
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

    async function callRaw(canister: Principal, method: string, args: Uint8Array, cycles: bigint): Promise<Replied<Uint8Array>> {
        let reply: unknown;
        try {
            reply = await azle.call(canister, method, cycles > 0n ? { raw: true, args, cycles } : { raw: true, args });
        } catch (error) {
            throw callErrorOf(error, refundOf(cycles));
        }
        return { result: reply as Uint8Array, refunded: refundOf(cycles) };
    }

    async function callWithRefund<M extends Methods, K extends keyof M & string>(
        request: CallRequest<M, K>
    ): Promise<Replied<ResultOf<M[K]['ret']>>> {
        const spec: MethodSpec | undefined = request.service.methods[request.method];
        // the types admit only the service's methods; this stops an untyped caller before anything is sent
        if (spec === undefined) throw new TypeError(`the service has no method ${request.method}`);
        const codec = codecOf(spec);
        const replied = await callRaw(request.canister, request.method, codec.encode(request.args), request.cycles ?? 0n);
        return { result: codec.decode(replied.result) as ResultOf<M[K]['ret']>, refunded: replied.refunded };
    }

    return {
        callRaw,
        callWithRefund,
        async call(request) {
            return (await callWithRefund(request)).result;
        }
    };
}
