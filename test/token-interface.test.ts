/**
 * The token's interface is DFINITY's ICRC ledger interface (`icrc_ledger.did` as @icp-sdk/canisters ships it):
 * the same methods, each with the same argument and result types and annotations, and the same init argument.
 * Checked with DFINITY's Candid parser on both sides.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { IDL } from '@dfinity/candid';

import { ROOT } from '../scripts/lib/canisters';
import { TOKEN_EXTENSIONS, tokenService } from '../src/canisters/token/service';
import { parseDid, sameType, serviceDifference, stopDidParser } from './support/candid-types';

afterAll(stopDidParser);

const OFFICIAL_DID = join(ROOT, 'node_modules/@icp-sdk/canisters/declarations/ledger-icrc/icrc_ledger.did');

it("declares every method of DFINITY's ledger with the official types, and the official init argument", async () => {
    const official = await parseDid(readFileSync(OFFICIAL_DID, 'utf8'));
    const ours = await parseDid(tokenService.did());
    const officialNames = new Set(official.service._fields.map(([name]) => name));
    const extras = ours.service._fields.map(([name]) => name).filter((name) => !officialNames.has(name));
    expect(extras.sort()).toEqual([...TOKEN_EXTENSIONS].sort());
    const oursOfficial = IDL.Service(Object.fromEntries(ours.service._fields.filter(([name]) => officialNames.has(name))));
    expect(serviceDifference(oursOfficial, official.service)).toBeUndefined();
    expect(ours.init).toHaveLength(1);
    expect(sameType(ours.init[0] as IDL.Type, official.init[0] as IDL.Type)).toBe(true);
});
