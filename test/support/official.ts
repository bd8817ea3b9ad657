/**
 * DFINITY's ledger interface as clients call it: the `idlFactory` that @icp-sdk/canisters generates from
 * `icrc_ledger.did`. Tests call the token through it, so a type this suite gets wrong where the official one
 * differs fails there, not in a user's dapp.
 */
import { IDL } from '@dfinity/candid';
import { idlFactory } from '@icp-sdk/canisters/declarations/ledger-icrc/icrc_ledger.idl.js';

// Typed against @icp-sdk/core's copy of the IDL classes; at run time it builds types from whichever IDL it is
// given, here @dfinity/candid's (the one the agents and the local IC use).
export const officialLedgerIdl = idlFactory as unknown as IDL.InterfaceFactory;

/** Every method name of the official interface. */
export const OFFICIAL_LEDGER_METHODS: readonly string[] = officialLedgerIdl({ IDL })._fields.map(([name]) => name);
