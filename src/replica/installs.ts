/**
 * Installs: `install_code` in its three modes (install, reinstall, upgrade) run on a canister, and the
 * argument the local IC's pic-shaped methods send it with.
 */
import { readFileSync } from 'node:fs';

import type { Principal } from '@dfinity/principal';

import type { InstallModeArg } from '../ic/management';
import { executionCost, INSTRUCTION_LIMITS } from './costs';
import { CallRejectedError, RejectCode } from './errors';
import { type InstallMode, type InstallRequest, wasmBytes } from './management/handlers';
import { EMPTY_ARGS, type EntryKind, newMessage } from './message';
import { loadModule } from './modules';
import { trapReject } from './scheduling';
import { providedSystemApi } from './system-api';

/** The flags of install_code's `upgrade` mode, as the management canister takes them. */
export type UpgradeFlags = NonNullable<Extract<InstallModeArg, { upgrade: unknown }>['upgrade'][0]>;

/** The argument of `install_code` for a wasm module (its bytes, or a file to read them from) in `mode`. */
export function installCodeArgs(
    mode: InstallMode,
    canisterId: Principal,
    wasm: Uint8Array | string,
    arg: Uint8Array | undefined,
    upgradeOptions?: UpgradeFlags
) {
    const bytes = typeof wasm === 'string' ? new Uint8Array(readFileSync(wasm)) : wasm;
    return {
        mode:
            mode === 'upgrade'
                ? { upgrade: [upgradeOptions ?? { skip_pre_upgrade: [], wasm_memory_persistence: [] }] as [UpgradeFlags] }
                : ({ [mode]: null } as { install: null }),
        canister_id: canisterId,
        wasm_module: bytes,
        arg: arg ?? EMPTY_ARGS,
        sender_canister_version: [] as []
    };
}

/**
 * install_code: install, reinstall or upgrade with pre_upgrade and post_upgrade (sharing one instruction
 * budget). If a hook traps, the canister is left exactly as it was.
 */
export function install({ canister, mode, wasm, arg, caller, skipPreUpgrade }: InstallRequest): void {
    if (mode === 'install' && canister.hasModule) {
        throw new CallRejectedError(
            RejectCode.CanisterError,
            `Canister ${canister.id.toText()} cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead.`,
            'IC0538'
        );
    }
    const module = loadModule(wasmBytes(wasm));
    const missing = WebAssembly.Module.imports(module.compiled).filter(
        (i) => i.kind === 'function' && (i.module !== 'ic0' || !providedSystemApi().has(i.name))
    );
    if (missing.length > 0) {
        // the replica refuses imports it does not know (IC0505); those it knows but the local IC lacks are
        // refused the same way, named, so a canister never fails differently later
        throw new CallRejectedError(
            RejectCode.CanisterError,
            `Canister ${canister.id.toText()}: Wasm module has an invalid import section: it imports ${missing
                .map((i) => `'${i.name}' from '${i.module}'`)
                .join(', ')}, which the local IC does not provide (docs/local-ic.md).`,
            'IC0505'
        );
    }
    const before = canister.snapshot();
    let budget = INSTRUCTION_LIMITS.install;
    const hook = (kind: EntryKind, entry: string, rollback: 'on-trap' | 'heap') => {
        if (!canister.hasExport(entry)) return;
        const message = newMessage({
            kind,
            methodName: entry,
            caller: caller.toUint8Array(),
            arg,
            instructionLimit: budget,
            replicated: true
        });
        const outcome = canister.run(message, (exports) => (exports[entry] as () => void)(), rollback);
        canister.cycles -= executionCost(outcome.instructions);
        budget -= outcome.instructions;
        if (outcome.trap !== undefined) throw trapReject(canister, outcome.trap.reason, outcome.trap.errorCode);
    };
    try {
        if (mode === 'upgrade' && canister.hasModule && !skipPreUpgrade) hook('pre_upgrade', 'canister_pre_upgrade', 'heap');
        if (mode !== 'upgrade') canister.stable.clear();
        canister.instantiate(module);
        canister.certifiedData = new Uint8Array();
        canister.globalTimer = 0n;
        // pre_upgrade sees the old version, post_upgrade (and init) the new one ("Canister version")
        canister.version += 1n;
        if (module.instrumented.hasStart) hook('start', 'canister_start', 'on-trap');
        if (mode === 'upgrade') hook('post_upgrade', 'canister_post_upgrade', 'on-trap');
        else hook('init', 'canister_init', 'on-trap');
    } catch (error) {
        canister.restore(before);
        throw error;
    }
}
