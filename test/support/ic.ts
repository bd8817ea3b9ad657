/**
 * The IC a canister test runs on: the local IC by default, or a real PocketIC (through @dfinity/pic) when
 * `POCKET_IC_BIN` names a PocketIC binary. Both have the API the tests use; `localOnly` marks the checks that
 * need what only the local IC offers (instruction counts, captured logs).
 */
import type * as Pic from '@dfinity/pic';

import { LocalIc } from '../../src/replica';

/** The methods both ICs have, with the local IC's types. */
export type TestIc = Pick<
    LocalIc,
    | 'setupCanister'
    | 'createCanister'
    | 'installCode'
    | 'reinstallCode'
    | 'upgradeCanister'
    | 'createActor'
    | 'queryCall'
    | 'updateCall'
    | 'tick'
    | 'advanceTime'
    | 'setTime'
    | 'getTime'
    | 'getCyclesBalance'
    | 'addCycles'
    | 'getStableMemory'
    | 'setStableMemory'
    | 'canisterStatus'
    | 'updateCanisterSettings'
    | 'startCanister'
    | 'stopCanister'
    | 'getControllers'
    | 'tearDown'
>;

/** The PocketIC binary to test on, if `POCKET_IC_BIN` names one (read when an IC is created). */
function pocketIcBin(): string | undefined {
    const bin = process.env.POCKET_IC_BIN;
    return bin === undefined || bin === '' ? undefined : bin;
}

export async function createIc(): Promise<TestIc> {
    const binPath = pocketIcBin();
    if (binPath === undefined) return LocalIc.create();
    // require, not import(): Jest runs these tests as CommonJS, where import() is unavailable; @dfinity/pic
    // ships CommonJS. It is loaded only here, so the default path never needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PocketIc, PocketIcServer } = require('@dfinity/pic') as typeof Pic;
    const server = await PocketIcServer.start({ binPath });
    const pic = await PocketIc.create(server.getUrl());
    const tearDown = pic.tearDown.bind(pic);
    return Object.assign(pic, {
        tearDown: async () => {
            await tearDown();
            await server.stop();
        }
    }) as unknown as TestIc;
}

/** The local IC, for checks that only it can make; undefined on PocketIC. */
export function localOnly(ic: TestIc): LocalIc | undefined {
    return ic instanceof LocalIc ? ic : undefined;
}
