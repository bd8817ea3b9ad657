/**
 * The management canister the local IC serves is wire-compatible with the official `ic-management.did`
 * (shipped by @icp-sdk/canisters): every method it implements has the official argument and result types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { IDL } from '@dfinity/candid';

import { ROOT } from '../../scripts/lib/canisters';
import { managementService } from '../../src/replica';
import { parseDid, sameType, stopDidParser } from '../support/candid-types';

afterAll(stopDidParser);

const OFFICIAL_DID = join(ROOT, 'node_modules/@icp-sdk/canisters/declarations/ic-management/ic-management.did');

it('implements each of its methods with the official types and annotations', async () => {
    const official = new Map((await parseDid(readFileSync(OFFICIAL_DID, 'utf8'))).service._fields);
    const ours = managementService.idlFactory({ IDL })._fields;
    expect(ours.map(([name]) => name).sort()).toEqual(
        [
            'canister_status',
            'clear_chunk_store',
            'create_canister',
            'delete_canister',
            'deposit_cycles',
            'install_chunked_code',
            'install_code',
            'provisional_create_canister_with_cycles',
            'provisional_top_up_canister',
            'raw_rand',
            'start_canister',
            'stop_canister',
            'stored_chunks',
            'uninstall_code',
            'update_settings',
            'upload_chunk'
        ].sort()
    );
    for (const [method, func] of ours) {
        const theirs = official.get(method);
        expect({ method, inOfficialDid: theirs !== undefined }).toEqual({ method, inOfficialDid: true });
        expect({ method, sameType: sameType(func, theirs as IDL.FuncClass) }).toEqual({ method, sameType: true });
    }
});
