/**
 * The local IC: real canister wasm in Node with the IC's execution semantics and a pic-js-shaped API.
 * See docs/local-ic.md for what it models and what it does not.
 */
export { type Actor, type ActorInterface, type InterfaceFactory } from './actor';
export { executionCost } from './costs';
export { CallRejectedError, RejectCode } from './errors';
export {
    type CanisterFixture,
    type CreateCanisterOptions,
    type InstallCodeOptions,
    LocalIc,
    type LocalIcOptions,
    MANAGEMENT_CANISTER_ID,
    type SetupCanisterOptions,
    type UpgradeCanisterOptions
} from './local-ic';
export { managementService } from '../ic/management';
