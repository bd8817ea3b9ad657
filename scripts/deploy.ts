/**
 * `npm run deploy -- --network local|ic [--pem FILE]`: deploys the suite through @dfinity/agent, wired as
 * `npm start` wires it (the wallet controls, funds and meters the canisters deploy.config.ts's `wiring` names;
 * the registry is the token's minting account), to the local network (`npm start -- --serve`) or to mainnet. See docs/deploy.md.
 *
 * Canister ids: on mainnet, from dfx's `canister_ids.json` (create the canisters first, with cycles, as
 * docs/deploy.md shows); on the local network, created with the provisional API and kept in
 * `.azle/local-canister-ids.json`. Each canister is installed with its init arguments from deploy.config.ts
 * when empty, upgraded when its module changed, and left alone when its module is the one built. What is
 * installed is the module `npm run check-wasm` checked: with its public `candid:service` metadata, gzipped
 * (about 1.2 MB, under the 2 MiB ingress limit); a module that fails the checks is not deployed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { Actor, type Identity } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import config, {
    type CanisterDeploy,
    type DeployConfig,
    type DeployContext,
    type SuiteWiring,
    wiring as configuredWiring
} from '../deploy.config';
import { agentOf, identityFromPem, type Target, targetOf } from '../examples/lib/client';
import { walletService } from '../src/canisters/wallet/service';
import type { ActorOf, AnySchema } from '../src/candid';
import { managementService, settingsArg } from '../src/ic/management';
import { type CanisterInfo, readCanisters, ROOT } from './lib/canisters';
import { parseCommandLine, runTool, ToolError, UsageError } from './lib/cli';
import { seededIdentity } from './lib/identities';
import { describeWired, sponsoredService, wireSuite } from './lib/wiring';
import { checkCanister } from './check-wasm';
import { loadService } from './generate';

const T = 1_000_000_000_000n;
/** Cycles a canister gets when created on the local network; the wallet holds the suite's treasury. */
const LOCAL_CYCLES: Record<string, bigint> = { wallet: 100n * T };
const DEFAULT_LOCAL_CYCLES = 10n * T;
/** The local network's deployer when no identity is given. */
const LOCAL_DEPLOYER_SEED = 0xde;

type Management = ActorOf<typeof managementService.methods>;

export type DeployOptions = {
    readonly network: string;
    readonly identity: Identity;
    /** Where the network file and the canister id files are; the project root by default. */
    readonly root?: string;
    /** What the wallet controls, funds and meters: deploy.config.ts's `wiring` by default. */
    readonly wiring?: SuiteWiring;
    /** Say what would change (created, installed, upgraded, wired) and change nothing. */
    readonly dryRun?: boolean;
};

/** Deploys (or upgrades) every canister of dfx.json and wires the suite; returns what it did, line by line. */
export async function deploySuite(
    options: DeployOptions,
    print: (line: string) => void = console.log
): Promise<Map<string, Principal>> {
    const root = options.root ?? ROOT;
    const wiring = options.wiring ?? configuredWiring;
    const target = targetOf(options.network, root);
    const deployer = options.identity.getPrincipal();
    const agent = await agentOf(target, options.identity);
    const management = Actor.createActor(managementService.idlFactory as never, {
        agent,
        canisterId: Principal.managementCanister(),
        // the management canister's calls go to the subnet of the canister they are about
        callTransform: (_method: string, args: unknown[]) => ({ effectiveCanisterId: effectiveCanisterOf(args) }),
        queryTransform: (_method: string, args: unknown[]) => ({ effectiveCanisterId: effectiveCanisterOf(args) })
    }) as unknown as Management;
    print(`deploying as ${deployer.toText()} to ${target.network} (${target.host})`);

    const canisters = readCanisters();
    const dryRun = options.dryRun === true;
    if (dryRun) print('dry run: nothing is created, installed or wired');
    const ids = await canisterIds(
        target,
        root,
        canisters.map((c) => c.name),
        management,
        print,
        dryRun
    );
    const ctx = { deployer, canister: (name: keyof DeployConfig) => ids.get(name) as Principal };
    for (const canister of canisters) {
        const check = await checkCanister(canister, 'suite');
        if (check.problems.length > 0) {
            throw new ToolError(`${canister.name} fails the module checks, not deployed:\n  ${check.problems.join('\n  ')}`);
        }
        const gzipped = new Uint8Array(readFileSync(check.artifactPath));
        const wasm = new Uint8Array(gunzipSync(gzipped));
        const canisterId = ids.get(canister.name);
        if (canisterId === undefined) {
            print(`  ${canister.name}: would be created and installed`);
            continue;
        }
        const status = await management.canister_status({ canister_id: canisterId });
        const [installed] = status.module_hash;
        // the IC names a module by the hash of what was installed: the wasm, or its gzipped form
        if (
            installed !== undefined &&
            [sha256(wasm), sha256(gzipped)].some((h) => Buffer.compare(Buffer.from(installed), h) === 0)
        ) {
            print(`  ${canister.name} ${canisterId.toText()}: unchanged`);
            continue;
        }
        const upgrading = installed !== undefined;
        const arg = installArg(canister, upgrading, ctx);
        if (dryRun) {
            const from = upgrading ? `, replacing ${shortHex(installed)}` : '';
            print(
                `  ${canister.name} ${canisterId.toText()}: would be ${upgrading ? 'upgraded' : 'installed'} (module ${shortHex(sha256(wasm))}${from})`
            );
            continue;
        }
        await management.install_code({
            mode: upgrading ? { upgrade: [] } : { install: null },
            canister_id: canisterId,
            wasm_module: gzipped,
            arg,
            sender_canister_version: []
        } as never);
        print(`  ${canister.name} ${canisterId.toText()}: ${upgrading ? 'upgraded' : 'installed'}`);
    }
    if (dryRun) {
        const sponsored = Object.keys(wiring.sponsored).join(', ');
        print(
            `  wiring: the wallet would control, fund and meter ${sponsored} (deploy.config.ts's wiring), keeping other controllers`
        );
        return ids;
    }

    const wired = await wireSuite(
        {
            ids,
            wallet: (canisterId) => Actor.createActor(walletService.idlFactory as never, { agent, canisterId }) as never,
            sponsored: (canisterId) => Actor.createActor(sponsoredService.idlFactory as never, { agent, canisterId }) as never,
            controllersOf: async (canisterId) =>
                (await management.canister_status({ canister_id: canisterId })).settings.controllers,
            setControllers: async (canisterId, controllers) => {
                await management.update_settings({
                    canister_id: canisterId,
                    settings: settingsArg({ controllers }),
                    sender_canister_version: []
                } as never);
            }
        },
        deployer,
        wiring
    );
    if (wired.length > 0) print(`  wired: the wallet ${ids.get(wiring.wallet)?.toText()} controls and funds`);
    wired.forEach((w) => print(`    ${describeWired(w)}`));
    return ids;
}

/**
 * The install or upgrade argument of a canister, from deploy.config.ts, encoded with its init types (Azle
 * decodes `post_upgrade`'s argument with them too).
 */
function installArg(canister: CanisterInfo, upgrading: boolean, ctx: DeployContext): Uint8Array {
    const service = loadService(canister);
    const entry = (config as Partial<Record<string, CanisterDeploy<readonly AnySchema[]>>>)[canister.name];
    const make = upgrading ? entry?.upgrade : entry?.init;
    if (make === undefined && service.init.length > 0)
        throw new ToolError(`deploy.config.ts has no ${upgrading ? 'upgrade' : 'init'} argument for ${canister.name}`);
    return service.encodeInit(IDL, (make?.(ctx) ?? []) as never);
}

/**
 * The ids of the canisters: mainnet's from canister_ids.json, the local network's created when missing (in a
 * dry run, left missing).
 */
async function canisterIds(
    target: Target,
    root: string,
    names: string[],
    management: Management,
    print: (line: string) => void,
    dryRun: boolean
): Promise<Map<string, Principal>> {
    const ids = new Map<string, Principal>();
    if (target.network === 'ic') {
        for (const name of names) {
            const id = target.canisters[name];
            if (id === undefined) {
                throw new ToolError(`canister_ids.json has no mainnet id for ${name}: create it first (docs/deploy.md)`);
            }
            ids.set(name, Principal.fromText(id));
        }
        return ids;
    }
    const file = join(root, '.azle', 'local-canister-ids.json');
    const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
    for (const name of names) {
        let id = known[name] === undefined ? undefined : Principal.fromText(known[name]);
        if (id !== undefined) {
            try {
                await management.canister_status({ canister_id: id });
            } catch {
                id = undefined; // a network that restarted does not have it any more
            }
        }
        if (id === undefined && dryRun) continue;
        if (id === undefined) {
            const created = await management.provisional_create_canister_with_cycles({
                amount: [LOCAL_CYCLES[name] ?? DEFAULT_LOCAL_CYCLES],
                settings: [],
                specified_id: [],
                sender_canister_version: []
            });
            id = created.canister_id;
            print(`  ${name}: created ${id.toText()}`);
        }
        ids.set(name, id);
    }
    if (dryRun) return ids;
    writeFileSync(file, `${JSON.stringify(Object.fromEntries([...ids].map(([n, id]) => [n, id.toText()])), null, 2)}\n`);
    return ids;
}

function effectiveCanisterOf(args: unknown[]): Principal {
    const [first] = args as [{ canister_id?: Principal } | undefined];
    // provisional creation names no canister: any id of the subnet's range routes it
    return first?.canister_id ?? Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai');
}

/** The start of a module hash, as a person compares two of them. */
function shortHex(hash: Uint8Array | number[]): string {
    return `${Buffer.from(hash).toString('hex').slice(0, 16)}…`;
}

function sha256(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha256').update(bytes).digest());
}

const USAGE = `usage: npm run deploy -- [--network local|ic] [--pem FILE] [--dry-run]

  --network local   the local network of \`npm start -- --serve\` (default)
  --network ic      mainnet: the canisters of canister_ids.json, as --pem's identity (docs/deploy.md)
  --pem FILE        the deployer, as \`dfx identity export\` writes it (local default: a fixed test identity)
  --dry-run         say what would be created, installed, upgraded and wired, and change nothing
  -h, --help        this text`;

/** The options of a command line, or a usage error saying what is wrong with it. */
export function parseDeployCommandLine(argv: string[]): DeployOptions {
    const { values } = parseCommandLine({
        args: argv,
        options: {
            network: { type: 'string', default: 'local' },
            pem: { type: 'string' },
            'dry-run': { type: 'boolean', default: false }
        }
    });
    const network = values.network;
    if (network !== 'local' && network !== 'ic') throw new UsageError(`--network is local or ic, not ${network}`);
    if (network === 'ic' && values.pem === undefined)
        throw new UsageError('--network ic needs --pem FILE: the identity that controls the canisters');
    const identity = values.pem === undefined ? seededIdentity(LOCAL_DEPLOYER_SEED) : identityFromPem(values.pem);
    return { network, identity, dryRun: values['dry-run'] };
}

if (require.main === module) runTool(USAGE, async (argv) => void (await deploySuite(parseDeployCommandLine(argv))));
