/**
 * The subnet's state the local IC's parts share: its canisters by id, its clock (time that passes is paid for
 * by every canister's storage), the key it certifies with, and the randomness `raw_rand` draws from.
 */
import { createHash } from 'node:crypto';

import { Principal } from '@dfinity/principal';

import { Canister } from './canister';
import { SubnetKey } from './certificates';
import { CallRejectedError, RejectCode } from './errors';

export const MANAGEMENT_CANISTER_ID = Principal.fromText('aaaaa-aa');

/** What a subnet is started with. */
export type SubnetOptions = {
    /** Seeds `raw_rand` and the subnet's key: the same seed gives the same bytes. */
    readonly seed?: string;
    /** Start time in nanoseconds. */
    readonly startNs: bigint;
    /** Print canister logs (debug_print) to the console as they happen. */
    readonly showCanisterLogs?: boolean;
};

export class Subnet {
    readonly canisters = new Map<string, Canister>();
    readonly key: SubnetKey;
    private nowNs: bigint;
    private nextCanisterIndex = 0n;
    private randomCounter = 0;

    constructor(private readonly options: SubnetOptions) {
        this.nowNs = options.startNs;
        this.key = SubnetKey.forSeed(options.seed ?? 'local-ic');
    }

    /** The IC's time in nanoseconds. */
    get now(): bigint {
        return this.nowNs;
    }

    /** Moves the clock; time that passes is paid for by every canister's storage. */
    moveTimeTo(ns: bigint): void {
        const elapsed = ns - this.nowNs;
        this.nowNs = ns;
        if (elapsed <= 0n) return;
        for (const canister of this.canisters.values()) {
            // out of cycles: the IC uninstalls the code and clears the canister's memories, and its snapshots go
            // too (interface specification, "IC method delete_canister_snapshot")
            if (!canister.chargeStorage(elapsed)) {
                canister.snapshots.clear();
                if (canister.hasModule) {
                    canister.uninstall();
                    canister.stable.clear();
                }
            }
        }
    }

    /** The canister with this id, or undefined. */
    find(id: Principal): Canister | undefined {
        return this.canisters.get(keyOf(id));
    }

    /** The canister with this id, or the IC's reject for a canister that does not exist. */
    canister(id: Principal): Canister {
        const canister = this.find(id);
        if (canister === undefined)
            throw new CallRejectedError(RejectCode.DestinationInvalid, `Canister ${id.toText()} not found`, 'IC0301');
        return canister;
    }

    /** Whether the canister exists (it may have been deleted since a message to it was sent). */
    has(id: Principal): boolean {
        return this.canisters.has(keyOf(id));
    }

    /** Deletes a canister; false when there was none. */
    delete(id: Principal): boolean {
        return this.canisters.delete(keyOf(id));
    }

    /** A new empty canister, with the next free id or the one asked for. */
    newCanister(controllers: Principal[], cycles: bigint, specifiedId?: Principal): Canister {
        let id = specifiedId;
        if (id === undefined) {
            do id = canisterIdFromIndex(this.nextCanisterIndex++);
            while (this.canisters.has(keyOf(id)));
        } else if (this.canisters.has(keyOf(id))) {
            throw new CallRejectedError(RejectCode.CanisterError, `Canister ${id.toText()} already exists.`, 'IC0515');
        }
        const canister = new Canister(id, controllers, cycles, {
            time: () => this.nowNs,
            log: (c, text) => {
                if (this.options.showCanisterLogs === true) console.log(`[${c.id.toText()}] ${text}`);
            }
        });
        this.canisters.set(keyOf(id), canister);
        return canister;
    }

    /** The next 32 bytes `raw_rand` answers with, determined by the seed. */
    randomBytes(): Uint8Array {
        const seed = this.options.seed ?? 'local-ic';
        return new Uint8Array(createHash('sha256').update(`${seed}/${this.randomCounter++}`).digest());
    }
}

/** Canister ids are a 64-bit index followed by 0x01 0x01 (interface specification, "Principals"). */
function canisterIdFromIndex(index: bigint): Principal {
    const bytes = new Uint8Array(10);
    new DataView(bytes.buffer).setBigUint64(0, index);
    bytes[8] = 1;
    bytes[9] = 1;
    return Principal.fromUint8Array(bytes);
}

/** The management canister's id is the empty principal. */
export function isManagementCanister(id: Principal): boolean {
    return id.toUint8Array().length === 0;
}

const keys = new WeakMap<Principal, string>();
/** A canister id's text, the key of `canisters`; cached per Principal object (a test passes the same id on every call). */
export function keyOf(id: Principal): string {
    let key = keys.get(id);
    if (key === undefined) keys.set(id, (key = id.toText()));
    return key;
}
