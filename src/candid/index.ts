/**
 * The Zod → Candid layer: schemas written once (`c.*`), from which the IDL types, the `.did`, the TypeScript
 * types and the runtime checks of every canister boundary are derived.
 */
export { c, type FuncRef, isPrincipal, type Kinded, MAX_PRINCIPAL_BYTES } from './builders';
export {
    type CallAzle,
    callErrorOf,
    type CallRequest,
    canisterCalls,
    type CanisterCalls,
    InterCanisterCallError,
    type Replied
} from './call';
export { withValidation } from './client';
export { DidWriter } from './did';
export { IdlConverter, type IdlNamespace, type IdlType, toIdl } from './idl';
export { type AzleApi, type Implementation, implement, type MethodCodec, methodCodec } from './implement';
export { type AnySchema, CandidSchemaError, candidNodeOf, type CandidNode } from './node';
export {
    type ActorOf,
    type ArgsOf,
    defineService,
    type IdlFactory,
    type MethodSpec,
    query,
    type ResultOf,
    Service,
    update
} from './service';
export { check, checkArgs, type Checked, formatIssues, InvalidArgumentError } from './validate';
