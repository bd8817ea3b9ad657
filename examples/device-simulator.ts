/**
 * A DePIN device, simulated: it holds its own key (Ed25519, secp256k1 or P-256) and sends heartbeats to the
 * registry as itself, through @dfinity/agent, against the local network or mainnet. The IC checks the
 * device's signature on each call (the registry sees the device's own principal), so no gateway and no
 * signature in the argument are needed.
 *
 *   npm start -- --serve                                    # in another terminal: the suite on a local network
 *   npx tsx examples/device-simulator.ts --device "demo device 0"
 *   npx tsx examples/device-simulator.ts --device "demo device 1" --beats 3 --every 600 --location 8a2a1072b59ffff
 *   npx tsx examples/device-simulator.ts --device "my sensor" --curve P256 --network ic --registry <canister id>
 *
 * The device's secret key is the SHA-256 of `--device` (the demo's devices are "demo device 0" to "demo device
 * 999"; devices 0-11 of every 20 are Ed25519, 12-16 secp256k1, 17-19 P-256). A device that is not registered
 * yet gets its id and key printed, for its manufacturer to register.
 */
import { parseArgs } from 'node:util';

import { sha256 } from '@noble/hashes/sha2';

import { registryService } from '../src/canisters/registry/service';
import type { CurveName } from '../src/ic/keys';
import { DeviceSigner } from '../src/canisters/registry/device-signer';
import type { Device, HeartbeatResult } from '../src/canisters/registry/types';
import { actorOf, canisterOf, errorText, targetOf, UsageError } from './lib/client';

export type SimulatorOptions = {
    readonly device: string;
    readonly curve: CurveName;
    readonly beats: number;
    readonly everySeconds: number;
    readonly location: bigint | undefined;
    readonly network: string;
    readonly registry: string | undefined;
    /** Where the network file and canister_ids.json are; the working directory by default. */
    readonly root?: string;
};

const CURVES: readonly CurveName[] = ['Ed25519', 'Secp256k1', 'P256'];

/** Runs the simulated device; returns what it did, line by line. */
export async function simulateDevice(options: SimulatorOptions, print: (line: string) => void = console.log): Promise<void> {
    const target = targetOf(options.network, options.root);
    const registryId = canisterOf(target, 'registry', options.registry);
    const device = new DeviceSigner(options.curve, sha256(new TextEncoder().encode(options.device)), registryId);
    const registry = await actorOf(target, registryService, registryId, device.identity());
    print(
        `device ${device.id.toText()} (${options.curve}) on ${target.network} (${target.host}), registry ${registryId.toText()}`
    );

    const [known] = await registry.get_device({ Id: device.id });
    if (known === undefined) {
        print('not registered: its manufacturer registers it with this key (register_device), then it can send heartbeats');
        print(`  key (${options.curve}, hex): ${Buffer.from(device.publicKey).toString('hex')}`);
        return;
    }
    print(`registered by ${known.manufacturer.toText()}; ${describe(known)}`);
    for (let beat = 1; beat <= options.beats; beat++) {
        if (beat > 1) await new Promise((resolve) => setTimeout(resolve, options.everySeconds * 1_000));
        const result: HeartbeatResult = await registry.heartbeat({
            location: options.location === undefined ? [] : [options.location]
        });
        print(`heartbeat ${beat}/${options.beats}: ${'Ok' in result ? 'counted' : `refused: ${errorText(result.Err)}`}`);
    }
    const [after] = await registry.get_device({ Id: device.id });
    if (after !== undefined) print(describe(after));
}

function describe(device: Device): string {
    const owner = device.owner[0]?.toText() ?? 'no owner yet';
    return `${Object.keys(device.status.kind)[0]}, owner ${owner}, ${device.heartbeats} heartbeats counted, rewards earned ${device.rewards_earned} (claimed ${device.rewards_claimed})`;
}

function parse(argv: string[]): SimulatorOptions {
    const { values } = parseArgs({
        args: argv,
        options: {
            device: { type: 'string' },
            curve: { type: 'string', default: 'Ed25519' },
            beats: { type: 'string', default: '1' },
            every: { type: 'string', default: '600' },
            location: { type: 'string' },
            network: { type: 'string', default: 'local' },
            registry: { type: 'string' }
        }
    });
    if (values.device === undefined) throw new UsageError('--device <name> is required (its key is derived from it)');
    const curve = values.curve as CurveName;
    if (!CURVES.includes(curve)) throw new UsageError(`--curve is one of ${CURVES.join(', ')}`);
    return {
        device: values.device,
        curve,
        beats: Number(values.beats),
        everySeconds: Number(values.every),
        location: values.location === undefined ? undefined : BigInt(`0x${values.location}`),
        network: values.network as string,
        registry: values.registry
    };
}

if (require.main === module) {
    simulateDevice(parse(process.argv.slice(2))).catch((error: unknown) => {
        console.error(error instanceof UsageError ? error.message : error);
        process.exitCode = 1;
    });
}
