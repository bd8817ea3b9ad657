/**
 * Init arguments for each canister of dfx.json, used by `npm start` (and, later, `npm run deploy`). Each entry
 * is type-checked against the canister's service description (its `init` schemas).
 */
import type { counterService } from './examples/counter/service';
import type { ArgsOf } from './src/shared/candid';

export type DeployConfig = {
    counter: { init: ArgsOf<typeof counterService.init> };
};

const config: DeployConfig = {
    counter: { init: [{ max_step: 1_000n }] }
};

export default config;
