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
 * The device's secret key is the SHA-256 of `--device`. Without `--curve`, a demo device ("demo device 0" to
 * "demo device 999") takes the curve the demo gave it (scripts/lib/demo-fleet.ts), and any other name the curve
 * its key is registered with, asked of the registry. A device that is not registered yet gets its id and key
 * printed, for its manufacturer to register. Times print as dates, rewards in the token's symbol and decimals.
 */
import { sha256 } from '@noble/hashes/sha2';

import {
    errorText,
    formatIcTime,
    formatTokens,
    integerFlag,
    parseCommandLine,
    principalFlag,
    runTool,
    type TokenUnits,
    UsageError
} from '../scripts/lib/cli';
import { demoDeviceCurve, demoDeviceIndex } from '../scripts/lib/demo-fleet';
import { registryService } from '../src/canisters/registry/service';
import type { CurveName } from '../src/ic/keys';
import { DeviceSigner } from '../src/canisters/registry/device-signer';
import type { Device, HeartbeatResult } from '../src/canisters/registry/types';
import { actorOf, canisterOf, rewardToken, targetOf } from './lib/client';

export type SimulatorOptions = {
    readonly device: string;
    /** The device's curve; when absent, inferred (a demo device's, or the one the registry knows its key by). */
    readonly curve: CurveName | undefined;
    readonly beats: number;
    readonly everySeconds: number;
    readonly location: bigint | undefined;
    readonly network: string;
    readonly registry: string | undefined;
    /** Where the network file and canister_ids.json are; the working directory by default. */
    readonly root?: string;
};

const CURVES: readonly CurveName[] = ['Ed25519', 'Secp256k1', 'P256'];

export const SIMULATOR_USAGE = `usage: npx tsx examples/device-simulator.ts --device NAME [options]

  --device NAME        the device: its secret key is the SHA-256 of NAME ("demo device 0" to "demo device 999")
  --curve CURVE        ${CURVES.join(', ')} (default: a demo device's curve, else the one the registry knows)
  --beats N            heartbeats to send (default 1)
  --every SECONDS      seconds between heartbeats (default 600, the registry's interval)
  --location H3        the H3 cell (hex) the device reports
  --network local|ic   the local network of \`npm start -- --serve\` (default) or mainnet
  --registry ID        the registry's canister id (default: the network file's, or canister_ids.json's)
  -h, --help           this text`;

/** Runs the simulated device; returns what it did, line by line. */
export async function simulateDevice(options: SimulatorOptions, print: (line: string) => void = console.log): Promise<void> {
    const target = targetOf(options.network, options.root);
    const registryId = canisterOf(target, 'registry', options.registry);
    const secret = sha256(new TextEncoder().encode(options.device));
    const signers = curvesToTry(options).map((curve) => new DeviceSigner(curve, secret, registryId));
    const registry = await actorOf(target, registryService, registryId, (signers[0] as DeviceSigner).identity());
    let device = signers[0] as DeviceSigner;
    let known: Device | undefined;
    for (const signer of signers) {
        [known] = await registry.get_device({ Id: signer.id });
        device = signer;
        if (known !== undefined) break;
    }
    const where = `on ${target.network} (${target.host}), registry ${registryId.toText()}`;
    if (known === undefined) {
        print(
            signers.length === 1
                ? `device ${device.id.toText()} (${device.curve}) ${where}`
                : `device "${options.device}" ${where}, tried on every curve (--curve picks one)`
        );
        print('not registered: its manufacturer registers it with this key (register_device), then it can send heartbeats');
        for (const signer of signers)
            print(
                `  key (${signer.curve}, hex): ${Buffer.from(signer.publicKey).toString('hex')}, device id ${signer.id.toText()}`
            );
        return;
    }
    print(`device ${device.id.toText()} (${device.curve}${options.curve === undefined ? ', inferred' : ''}) ${where}`);
    const { units } = await rewardToken(target, registry, device.identity());
    const asDevice = await actorOf(target, registryService, registryId, device.identity());
    print(`registered by ${known.manufacturer.toText()}; ${describe(known, units)}`);
    for (let beat = 1; beat <= options.beats; beat++) {
        if (beat > 1) await new Promise((resolve) => setTimeout(resolve, options.everySeconds * 1_000));
        const result: HeartbeatResult = await asDevice.heartbeat({
            location: options.location === undefined ? [] : [options.location]
        });
        const outcome =
            'Ok' in result
                ? `counted in epoch ${result.Ok.epoch}; the next counts from ${formatIcTime(result.Ok.next_interval_at)}`
                : `refused: ${errorText(result.Err)}`;
        print(`heartbeat ${beat}/${options.beats}: ${outcome}`);
    }
    const [after] = await registry.get_device({ Id: device.id });
    if (after !== undefined) print(describe(after, units));
}

/** The curve given, a demo device's, or every curve (the registry then says which one it knows). */
function curvesToTry(options: SimulatorOptions): readonly CurveName[] {
    if (options.curve !== undefined) return [options.curve];
    const demo = demoDeviceIndex(options.device);
    return demo === undefined ? CURVES : [demoDeviceCurve(demo)];
}

function describe(device: Device, units: TokenUnits): string {
    const owner = device.owner[0]?.toText() ?? 'no owner yet';
    return `${Object.keys(device.status.kind)[0]}, owner ${owner}, ${device.heartbeats} heartbeats counted, rewards earned ${formatTokens(device.rewards_earned, units)} (claimed ${formatTokens(device.rewards_claimed, units)})`;
}

/** The options of a command line, or a usage error saying what is wrong with it. */
export function parseSimulatorCommandLine(argv: string[]): SimulatorOptions {
    const { values } = parseCommandLine({
        args: argv,
        options: {
            device: { type: 'string' },
            curve: { type: 'string' },
            beats: { type: 'string', default: '1' },
            every: { type: 'string', default: '600' },
            location: { type: 'string' },
            network: { type: 'string', default: 'local' },
            registry: { type: 'string' }
        }
    });
    if (values.device === undefined) throw new UsageError('--device NAME is required (its key is derived from it)');
    const curve = values.curve as CurveName | undefined;
    if (curve !== undefined && !CURVES.includes(curve))
        throw new UsageError(`--curve is one of ${CURVES.join(', ')}, not ${curve}`);
    if (values.location !== undefined && !/^[0-9a-fA-F]{1,16}$/.test(values.location))
        throw new UsageError(`--location takes an H3 cell in hex, not ${values.location}`);
    if (values.registry !== undefined) principalFlag('registry', values.registry);
    return {
        device: values.device,
        curve,
        beats: integerFlag('beats', values.beats, { min: 1 }),
        everySeconds: integerFlag('every', values.every),
        location: values.location === undefined ? undefined : BigInt(`0x${values.location}`),
        network: values.network,
        registry: values.registry
    };
}

if (require.main === module) {
    runTool(SIMULATOR_USAGE, (argv) => simulateDevice(parseSimulatorCommandLine(argv)));
}
