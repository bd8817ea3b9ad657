/**
 * Calls to the management canister: typed, from the local IC's own API, or as Candid bytes, from ingress and
 * from canisters. The bytes are served as the canisters' methods are (`src/candid/implement.ts`'s codec, from
 * the management interface's schemas in `src/ic/management.ts`): decoded, checked, run by the handlers and the
 * result encoded.
 */
import type { Principal } from '@dfinity/principal';

import { type MethodCodec, methodCodec } from '../../candid/implement';
import type { MethodSpec } from '../../candid/service';
import { CandidDecodeError } from '../../candid/wire';
import { managementService } from '../../ic/management';
import { CallRejectedError, RejectCode } from '../errors';
import type { ManagementHandlers, ManagementMethod } from './handlers';

export class ManagementDispatch {
    private readonly codecs = new Map<string, MethodCodec>();

    constructor(private readonly handlers: ManagementHandlers) {}

    /** Calls a management method with typed arguments (for the local IC's own API). */
    call<K extends ManagementMethod>(
        caller: Principal,
        method: K,
        cycles: bigint,
        ...args: Parameters<ManagementHandlers[K]> extends [unknown, ...infer A] ? A : never
    ): ReturnType<ManagementHandlers[K]> {
        const handler = this.handlers[method] as (call: unknown, ...a: unknown[]) => ReturnType<ManagementHandlers[K]>;
        return handler({ caller, cycles, accept: () => undefined }, ...args);
    }

    /**
     * A management call as bytes (ingress or inter-canister), served through the same Candid layer as the
     * canisters' methods (`methodCodec`): decode and check the argument, run, encode.
     */
    raw(
        caller: Principal,
        method: string,
        arg: Uint8Array,
        cycles: bigint,
        accept: (amount: bigint) => void = () => undefined
    ): Uint8Array {
        const codec = this.codecOf(method);
        let decoded: unknown[];
        try {
            decoded = codec.decode(arg);
        } catch (error) {
            if (!(error instanceof CandidDecodeError)) throw error;
            throw new CallRejectedError(
                RejectCode.CanisterError,
                `Error decoding the argument of ${method}: ${error.message}`,
                'IC0503'
            );
        }
        const checked = codec.check(decoded);
        if (!checked.ok)
            throw new CallRejectedError(RejectCode.CanisterError, `Invalid argument to ${method}: ${checked.reason}`, 'IC0503');
        const handler = this.handlers[method as ManagementMethod] as (call: unknown, ...a: unknown[]) => unknown;
        const result = handler({ caller, cycles, accept }, ...checked.value);
        return codec.encode(codec.returns ? [result] : []);
    }

    /** The method's codec, made on its first call; the management canister's reject for a method it lacks. */
    private codecOf(method: string): MethodCodec {
        const known = this.codecs.get(method);
        if (known !== undefined) return known;
        const spec = Object.hasOwn(managementService.methods, method)
            ? (managementService.methods as Record<string, MethodSpec>)[method]
            : undefined;
        if (spec === undefined) {
            throw new CallRejectedError(RejectCode.DestinationInvalid, `Management canister has no method '${method}'`, 'IC0536');
        }
        const codec = methodCodec(spec);
        this.codecs.set(method, codec);
        return codec;
    }
}
