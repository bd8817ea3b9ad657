/**
 * Calls to the management canister: typed, from the local IC's own API, or as Candid bytes, from ingress and
 * from canisters. The bytes are decoded with the management interface's types, checked against its schemas
 * (`src/ic/management.ts`), run by the handlers and the result encoded.
 */
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

import { checkArgs } from '../../candid';
import { managementService } from '../../ic/management';
import { CallRejectedError, RejectCode } from '../errors';
import type { ManagementHandlers, ManagementMethod } from './handlers';

export class ManagementDispatch {
    private readonly types = managementService.idlFactory({ IDL });

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

    /** A management call as bytes (ingress or inter-canister): decode and check the argument, run, encode. */
    raw(
        caller: Principal,
        method: string,
        arg: Uint8Array,
        cycles: bigint,
        accept: (amount: bigint) => void = () => undefined
    ): Uint8Array {
        const func = this.types._fields.find(([name]) => name === method)?.[1];
        const spec = (
            managementService.methods as Record<string, (typeof managementService.methods)[ManagementMethod] | undefined>
        )[method];
        if (func === undefined || spec === undefined) {
            throw new CallRejectedError(RejectCode.DestinationInvalid, `Management canister has no method '${method}'`, 'IC0536');
        }
        let decoded: unknown[];
        try {
            decoded = IDL.decode(func.argTypes, arg);
        } catch (error) {
            throw new CallRejectedError(
                RejectCode.CanisterError,
                `Error decoding the argument of ${method}: ${(error as Error).message}`,
                'IC0503'
            );
        }
        const checked = checkArgs(spec.args, decoded);
        if (!checked.ok)
            throw new CallRejectedError(RejectCode.CanisterError, `Invalid argument to ${method}: ${checked.reason}`, 'IC0503');
        const handler = this.handlers[method as ManagementMethod] as (call: unknown, ...a: unknown[]) => unknown;
        const result = handler({ caller, cycles, accept }, ...checked.value);
        return new Uint8Array(IDL.encode(func.retTypes, func.retTypes.length === 0 ? [] : [result]));
    }
}
