/**
 * The network file: what `npm start -- --serve` writes (relative to the project) so clients find the network:
 * its address, its root key (hex DER) and the suite's canister ids by name.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { Principal } from '@dfinity/principal';

import type { LocalNetwork } from './server';

export const LOCAL_NETWORK_FILE = '.azle/local-network.json';
export type LocalNetworkFile = { url: string; rootKey: string; canisters: Record<string, string> };

/** Writes the network file of `network` under `root`, naming `canisters`; returns its path. */
export async function writeNetworkFile(
    root: string,
    network: LocalNetwork,
    canisters: Readonly<Record<string, Principal>>
): Promise<string> {
    const file: LocalNetworkFile = {
        url: network.url,
        rootKey: Buffer.from(await network.ic.getRootKey()).toString('hex'),
        canisters: Object.fromEntries(Object.entries(canisters).map(([name, id]) => [name, id.toText()]))
    };
    const path = join(root, LOCAL_NETWORK_FILE);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    return path;
}
