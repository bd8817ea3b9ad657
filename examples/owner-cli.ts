/**
 * A device owner's command line, through @dfinity/agent, against the local network or mainnet:
 *
 *   npx tsx examples/owner-cli.ts devices --demo-owner 0       # the owner's devices, paged as ICRC-7 pages
 *   npx tsx examples/owner-cli.ts claim --demo-owner 0         # claim every device's unclaimed rewards
 *   npx tsx examples/owner-cli.ts balance --demo-owner 0       # the owner's token balance
 *   npx tsx examples/owner-cli.ts devices --pem ~/.config/dfx/identity/default/identity.pem --network ic
 *
 * `--demo-owner N` is the demo's owner N (0-49) on the local network; `--pem` is any identity dfx exports.
 */
import { parseArgs } from 'node:util';

import type { Identity } from '@dfinity/agent';
import type { Principal } from '@dfinity/principal';

import { seededIdentity } from '../scripts/lib/identities';
import { registryService } from '../src/canisters/registry/service';
import { tokenService } from '../src/canisters/token/service';
import type { ActorOf } from '../src/candid';
import type { Device } from '../src/canisters/registry/types';
import { actorOf, canisterOf, errorText, identityFromPem, targetOf, UsageError } from './lib/client';

export type OwnerCommand = 'devices' | 'claim' | 'balance';
export type OwnerOptions = {
    readonly command: OwnerCommand;
    readonly identity: Identity;
    readonly network: string;
    readonly registry?: string;
    readonly token?: string;
    readonly root?: string;
};

/** The demo's owners are seeded identities 0x40 to 0x71 (scripts/lib/demo.ts). */
const DEMO_OWNER_SEED = 0x40;
/** A page of devices: the registry's maximum is 500. */
const PAGE = 100;

/** Runs one command as the owner. */
export async function runOwnerCommand(options: OwnerOptions, print: (line: string) => void = console.log): Promise<void> {
    const target = targetOf(options.network, options.root);
    const owner = options.identity.getPrincipal();
    const registry = await actorOf(target, registryService, canisterOf(target, 'registry', options.registry), options.identity);
    print(`owner ${owner.toText()} on ${target.network} (${target.host})`);
    if (options.command === 'balance') {
        const token = await actorOf(target, tokenService, canisterOf(target, 'token', options.token), options.identity);
        const [balance, symbol, decimals] = await Promise.all([
            token.icrc1_balance_of({ owner, subaccount: [] }),
            token.icrc1_symbol(),
            token.icrc1_decimals()
        ]);
        print(`balance: ${formatUnits(balance, decimals)} ${symbol}`);
        return;
    }
    const devices = await ownedDevices(registry, owner);
    if (options.command === 'devices') {
        for (const d of devices) {
            const unclaimed = d.rewards_earned - d.rewards_claimed;
            print(
                `  ${d.id.toText()}  ${Object.keys(d.status.kind)[0]?.padEnd(9)} ${String(d.heartbeats).padStart(5)} heartbeats, ${unclaimed} unclaimed`
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
            `claimed ${result.Ok.amount} for ${claimable.length} device(s), paid to ${result.Ok.to.owner.toText()} in block ${result.Ok.block_index}`
        );
}

/** Every device of the owner, page by page. */
async function ownedDevices(registry: ActorOf<typeof registryService.methods>, owner: Principal): Promise<Device[]> {
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

function formatUnits(amount: bigint, decimals: number): string {
    const scale = 10n ** BigInt(decimals);
    const fraction = (amount % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
    return `${amount / scale}${fraction.length > 0 ? `.${fraction}` : ''}`;
}

function parse(argv: string[]): OwnerOptions {
    const { values, positionals } = parseArgs({
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
    const [command] = positionals;
    if (command !== 'devices' && command !== 'claim' && command !== 'balance') {
        throw new UsageError('usage: owner-cli.ts <devices|claim|balance> (--demo-owner N | --pem FILE) [--network local|ic]');
    }
    let identity: Identity;
    if (values.pem !== undefined) identity = identityFromPem(values.pem);
    else if (values['demo-owner'] !== undefined) identity = seededIdentity(DEMO_OWNER_SEED + Number(values['demo-owner']));
    else throw new UsageError('--demo-owner N (the local demo) or --pem FILE (a dfx identity) says who the owner is');
    return { command, identity, network: values.network as string, registry: values.registry, token: values.token };
}

if (require.main === module) {
    runOwnerCommand(parse(process.argv.slice(2))).catch((error: unknown) => {
        console.error(error instanceof UsageError ? error.message : error);
        process.exitCode = 1;
    });
}
