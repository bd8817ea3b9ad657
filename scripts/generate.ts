/**
 * `npm run generate [-- --check]`: writes each canister's `.did` from its service description
 * (`<dir of main>/service.ts`, export `*Service`) to `<dir of main>/<name>.did`. With `--check` it writes
 * nothing and fails if a committed `.did` is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { Service } from '../src/candid';
import { type CanisterInfo, readCanisters, ROOT } from './lib/canisters';

/** The service description a canister's `service.ts` exports. */
export function loadService(canister: CanisterInfo): Service<never> {
    // require, not import(): scripts run as CommonJS (tsx, Jest), where require loads TypeScript directly.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(canister.servicePath) as Record<string, unknown>;
    const services = Object.values(module).filter((v): v is Service<never> => v instanceof Service);
    if (services.length !== 1) {
        throw new Error(`${relative(ROOT, canister.servicePath)} must export exactly one service (found ${services.length})`);
    }
    return services[0] as Service<never>;
}

async function main(): Promise<void> {
    const check = process.argv.includes('--check');
    let stale = 0;
    // the suite's canisters, and the template a user copies (its own dfx.json)
    for (const canister of [...readCanisters(), ...readCanisters(join(ROOT, 'examples', 'template'))]) {
        const did = loadService(canister).did();
        const path = relative(ROOT, canister.generatedDidPath);
        const current = existsSync(canister.generatedDidPath) ? readFileSync(canister.generatedDidPath, 'utf8') : undefined;
        if (current === did) {
            console.log(`${path}: up to date`);
        } else if (check) {
            stale++;
            console.error(`${path}: stale; run npm run generate`);
        } else {
            writeFileSync(canister.generatedDidPath, did);
            console.log(`${path}: written`);
        }
    }
    if (stale > 0) process.exitCode = 1;
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
    });
}
