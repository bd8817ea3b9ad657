/**
 * The template's state layout: which stable map holds what, and how each key and value is written. Never
 * renumber a memory or change a layout in place: an upgrade reads what the previous version wrote.
 *
 * | memory | map     | key                                          | value                 |
 * | ------ | ------- | -------------------------------------------- | --------------------- |
 * | 0      | latest  | device principal (length-prefixed) ‖ metric  | Reading (Candid)      |
 * | 1      | counts  | device principal                             | u64 BE readings count |
 * | 2      | payouts | device principal                             | Account (Candid)      |
 * | 3      | (sponsorship module's own map)                         |                       |
 */
import type { Principal } from '@dfinity/principal';

import { valueCodec } from '../../src/candid/wire';
import { Account } from '../../src/icrc/interface';
import { Reading } from './service';

/** Stable memory ids: each map owns one for the life of the canister (never reuse or renumber). */
export const MEMORY = { latest: 0, counts: 1, payouts: 2 } as const;
/** The sponsorship module's own map. */
export const SPONSORSHIP_MEMORY = 3;

export const readingCodec = valueCodec<Reading>(Reading);
export const accountCodec = valueCodec<Account>(Account);
const utf8 = new TextEncoder();

/** A latest-reading key: the device's principal (length-prefixed, so no key is a prefix of another's) and the metric. */
export function readingKey(device: Principal, metric: string): Uint8Array {
    const id = device.toUint8Array();
    const name = utf8.encode(metric);
    const key = new Uint8Array(1 + id.length + name.length);
    key[0] = id.length;
    key.set(id, 1);
    key.set(name, 1 + id.length);
    return key;
}
