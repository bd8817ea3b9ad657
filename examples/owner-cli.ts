/**
 * A device owner's command line, through @dfinity/agent, against the local network or mainnet:
 *
 *   npx tsx examples/owner-cli.ts devices --demo-owner 0       # the owner's devices, paged as ICRC-7 pages
 *   npx tsx examples/owner-cli.ts claim --demo-owner 0         # claim every device's unclaimed rewards
 *   npx tsx examples/owner-cli.ts balance --demo-owner 0       # the owner's token balance
 *   npx tsx examples/owner-cli.ts devices --pem ~/.config/dfx/identity/default/identity.pem --network ic
 *
 * `--demo-owner N` is the demo's owner N (0-49) on the local network; `--pem` is any identity dfx exports.
 * Amounts are in the token's symbol and decimals (its ICRC-1 metadata); `--help` lists every option.
 */
import type { Identity } from '@dfinity/agent';
import type { Principal } from '@dfinity/principal';

import { errorText, formatTokens, integerFlag, parseCommandLine, principalFlag, runTool, UsageError } from '../scripts/lib/cli';
import { DEMO_OWNERS, demoOwner } from '../scripts/lib/demo-fleet';
import { registryService } from '../src/canisters/registry/service';
import type { ActorOf } from '../src/candid';
import type { Device } from '../src/canisters/registry/types';
import { actorOf, canisterOf, identityFromPem, rewardToken, targetOf } from './lib/client';

export type OwnerCommand = 'devices' | 'claim' | 'balance';
export type OwnerOptions = {
    readonly command: OwnerCommand;
    readonly identity: Identity;
    readonly network: string;
    readonly registry?: string;
    readonly token?: string;
    readonly root?: string;
};

export const OWNER_CLI_USAGE = `usage: npx tsx examples/owner-cli.ts <devices|claim|balance> (--demo-owner N | --pem FILE) [options]

  devices              the owner's devices, with their status, heartbeats and unclaimed rewards
  claim                claim every device's unclaimed rewards, paid to the owner
  balance              the owner's token balance

  --demo-owner N       the local demo's owner N (0-${DEMO_OWNERS - 1})
  --pem FILE           an identity as \`dfx identity export\` writes it (Ed25519 or secp256k1)
  --network local|ic   the local network of \`npm start -- --serve\` (default) or mainnet
  --registry ID        the registry's canister id (default: the network file's, or canister_ids.json's)
  --token ID           the token's canister id (default: the registry's token)
  -h, --help           this text`;

/** A page of devices: the registry's maximum is 500. */
const PAGE = 100;

type Registry = ActorOf<typeof registryService.methods>;

/** Runs one command as the owner. */
export async function runOwnerCommand(options: OwnerOptions, print: (line: string) => void = console.log): Promise<void> {
    const target = targetOf(options.network, options.root);
    const owner = options.identity.getPrincipal();
    const registry = await actorOf(target, registryService, canisterOf(target, 'registry', options.registry), options.identity);
    print(`owner ${owner.toText()} on ${target.network} (${target.host})`);
    const override = options.token === undefined ? undefined : principalFlag('token', options.token);
    const { token, units } = await rewardToken(target, registry, options.identity, override);
    if (options.command === 'balance') {
        if (token === undefined) throw new UsageError('the registry pays in no token: pass --token <canister id>');
        print(`balance: ${formatTokens(await token.icrc1_balance_of({ owner, subaccount: [] }), units)}`);
        return;
    }
    const devices = await ownedDevices(registry, owner);
    if (devices.length === 0) {
        print(`${owner.toText()} owns no devices on this registry: nothing to ${options.command === 'claim' ? 'claim' : 'list'}`);
        return;
    }
    if (options.command === 'devices') {
        for (const d of devices) {
            const unclaimed = d.rewards_earned - d.rewards_claimed;
            print(
                `  ${d.id.toText()}  ${Object.keys(d.status.kind)[0]?.padEnd(9)} ${String(d.heartbeats).padStart(5)} heartbeats, ${formatTokens(unclaimed, units)} unclaimed`
            );
        }
        print(`${devices.length} device(s)`);
        return;
    }
    const claimable = devices.filter((d) => d.rewards_earned > d.rewards_claimed).map((d) => d.id);
    if (claimable.length === 0) {
        print('nothing to claim');
        return;
    }
    const result = await registry.claim_rewards({ devices: claimable });
    if ('Err' in result) print(`claim refused: ${errorText(result.Err)}`);
    else
        print(
            `claimed ${formatTokens(result.Ok.amount, units)} for ${claimable.length} device(s), paid to ${result.Ok.to.owner.toText()} in block ${result.Ok.block_index}`
        );
}

/** Every device of the owner, page by page. */
async function ownedDevices(registry: Registry, owner: Principal): Promise<Device[]> {
    const devices: Device[] = [];
    for (;;) {
        const prev = devices.at(-1)?.id;
        const page = await registry.list_devices({
            filter: { Owner: owner },
            prev: prev === undefined ? [] : [prev],
            take: [PAGE]
        });
        if ('Err' in page) throw new Error(`list_devices refused: ${errorText(page.Err)}`);
        devices.push(...page.Ok);
        if (page.Ok.length < PAGE) return devices;
    }
}

/** The options of a command line, or a usage error saying what is wrong with it. */
export function parseOwnerCommandLine(argv: string[]): OwnerOptions {
    const { values, positionals } = parseCommandLine({
        args: argv,
        allowPositionals: true,
        options: {
            'demo-owner': { type: 'string' },
            pem: { type: 'string' },
            network: { type: 'string', default: 'local' },
            registry: { type: 'string' },
            token: { type: 'string' }
        }
    });
    const [command, ...extra] = positionals;
    if (command === undefined) throw new UsageError('which command: devices, claim or balance?');
    if (command !== 'devices' && command !== 'claim' && command !== 'balance')
        throw new UsageError(`unknown command ${JSON.stringify(command)}: devices, claim or balance`);
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (values.pem !== undefined && values['demo-owner'] !== undefined)
        throw new UsageError('--demo-owner and --pem both say who the owner is: give one');
    let identity: Identity;
    if (values.pem !== undefined) identity = identityFromPem(values.pem);
    else if (values['demo-owner'] !== undefined) {
        const n = integerFlag('demo-owner', values['demo-owner']);
        if (n >= DEMO_OWNERS) throw new UsageError(`there is no demo owner ${n}: the demo's owners are 0 to ${DEMO_OWNERS - 1}`);
        identity = demoOwner(n);
    } else throw new UsageError('who is the owner: --demo-owner N (the local demo) or --pem FILE (a dfx identity)?');
    for (const flag of ['registry', 'token'] as const) {
        const text = values[flag];
        if (text !== undefined) principalFlag(flag, text);
    }
    return { command, identity, network: values.network, registry: values.registry, token: values.token };
}

if (require.main === module) {
    runTool(OWNER_CLI_USAGE, (argv) => runOwnerCommand(parseOwnerCommandLine(argv)));
}
