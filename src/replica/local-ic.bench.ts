/**
 * What the local IC's bookkeeping costs. In one run, on `examples/counter`:
 * - install: instrumenting the wasm (cold), and installing it again (instrumented module cached by hash);
 * - update calls per second through `LocalIc.updateCall` with everything on (metering, write tracking,
 *   rollback, cycles, call contexts), against the same calls on the bare wasm under a do-nothing host (no
 *   instrumentation, no journal, no accounting);
 * - instructions per call, as the replica would count them.
 */
import { readFileSync } from 'node:fs';

import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { counterService } from '../../examples/counter/service';
import { LocalIc } from './local-ic';
import { BareHost } from './bare-host';
import { CallContext, newMessage } from './message';
import { instrument, type InstrumentOptions } from './wasm/instrument';

export type LocalIcFigures = {
    /** LocalIc.create: mostly deriving the subnet's BLS key. */
    createMs: number;
    wasmBytes: number;
    instrumentMs: number;
    firstInstallMs: number;
    cachedInstallMs: number;
    initInstructions: bigint;
    calls: number;
    fullCallsPerSecond: number;
    bareCallsPerSecond: number;
    /** 1 − full speed / bare speed, the median over the rounds. */
    bookkeepingCost: number;
    incrementInstructions: bigint;
    getInstructions: bigint;
};

/** Rounds the timed calls are interleaved in; each cost is the median of the rounds' ratios. */
export const BENCH_ROUNDS = 20;
const ROUNDS = BENCH_ROUNDS;
/** Calls on each path before timing: enough for V8 to finish optimizing the interpreter loop of the module. */
const WARM_UP_CALLS = 200;

function perSecond(calls: number, run: () => void): number {
    const started = performance.now();
    for (let i = 0; i < calls; i++) run();
    return calls / ((performance.now() - started) / 1000);
}

export type InstrumentationFigures = { variant: string; callsPerSecond: number; costVsRaw: number }[];

/**
 * Where the instrumentation's cost goes: the counter's `increment` on the raw wasm and on instrumented
 * variants, all under the trivial host, interleaved in rounds; each variant's cost is 1 − its speed / raw,
 * the median over the rounds.
 */
export function benchInstrumentation(wasmPath: string, calls: number, progress: (text: string) => void): InstrumentationFigures {
    const wasm = new Uint8Array(readFileSync(wasmPath));
    const variants: { variant: string; options?: InstrumentOptions }[] = [
        { variant: 'raw wasm' },
        { variant: 'rewritten, nothing injected', options: { metering: false, writeTracking: false } },
        { variant: 'write tracking only', options: { metering: false, writeTracking: true } },
        { variant: 'metering only', options: { metering: true, writeTracking: false } },
        { variant: 'metering and write tracking (the local IC)', options: {} }
    ];
    progress(`instrumenting ${variants.length - 1} variants`);
    const runners = variants.map(({ options }) => counterRunner(new BareHost(wasm, options)));
    runners.forEach((run) => {
        for (let i = 0; i < WARM_UP_CALLS; i++) run();
    });
    progress(`timing ${calls} updates on each variant in ${ROUNDS} rounds`);
    const rounds: number[][] = runners.map(() => []); // milliseconds, per variant per round
    const perRound = Math.max(1, Math.floor(calls / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
        runners.forEach((run, i) => {
            const started = performance.now();
            for (let n = 0; n < perRound; n++) run();
            rounds[i]?.push(performance.now() - started);
        });
    }
    const raw = rounds[0] as number[];
    return variants.map(({ variant }, i) => {
        const ms = rounds[i] as number[];
        return {
            variant,
            callsPerSecond: (perRound * ROUNDS) / (ms.reduce((a, b) => a + b, 0) / 1000),
            costVsRaw: 1 - median(ms.map((t, round) => (raw[round] as number) / t))
        };
    });
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The counter's install argument and the `increment` argument every timed call sends. */
function counterArgs(): { initArg: Uint8Array; incrementArg: Uint8Array } {
    const incrementType = counterService.idlFactory({ IDL })._fields.find(([name]) => name === 'increment')?.[1];
    if (incrementType === undefined) throw new Error('the counter has no increment');
    return {
        initArg: counterService.encodeInit(IDL, [{ max_step: 1_000n }]),
        incrementArg: new Uint8Array(IDL.encode(incrementType.argTypes, [{ by: 1n, memo: [] }]))
    };
}

/** Initialises the counter on a bare host and returns a function that makes one `increment` call. */
function counterRunner(host: BareHost): () => void {
    const caller = Principal.anonymous().toUint8Array();
    const { initArg, incrementArg: arg } = counterArgs();
    host.run(
        newMessage({ kind: 'init', methodName: 'canister_init', caller, arg: initArg, instructionLimit: 0n, replicated: true }),
        'canister_init'
    );
    return () => {
        const context = new CallContext(caller, 'increment', 0n, () => undefined);
        const message = newMessage({
            kind: 'update',
            methodName: 'increment',
            caller,
            arg,
            callContext: context,
            instructionLimit: 0n,
            replicated: true
        });
        host.run(message, 'canister_update increment');
        if (message.response === undefined) throw new Error('the counter did not reply');
    };
}

export async function benchLocalIc(wasmPath: string, calls: number, progress: (text: string) => void): Promise<LocalIcFigures> {
    const wasm = new Uint8Array(readFileSync(wasmPath));
    const { initArg, incrementArg } = counterArgs();
    const noArg = new Uint8Array(IDL.encode([], []));

    progress('instrumenting (cold)');
    let started = performance.now();
    instrument(wasm);
    const instrumentMs = performance.now() - started;

    progress('installing');
    started = performance.now();
    const ic = await LocalIc.create();
    const createMs = performance.now() - started;
    started = performance.now();
    const canisterId = await ic.createCanister();
    await ic.installCode({ canisterId, wasm, arg: initArg });
    const firstInstallMs = performance.now() - started;
    const initInstructions = ic.lastInstructions(canisterId);
    started = performance.now();
    const second = await ic.createCanister();
    await ic.installCode({ canisterId: second, wasm, arg: initArg });
    const cachedInstallMs = performance.now() - started;
    await ic.tick(2);

    // warm both paths before timing
    for (let i = 0; i < WARM_UP_CALLS; i++) await ic.updateCall({ canisterId, method: 'increment', arg: incrementArg });
    const bare = new BareHost(wasm);
    const caller = Principal.anonymous().toUint8Array();
    bare.run(
        newMessage({ kind: 'init', methodName: 'canister_init', caller, arg: initArg, instructionLimit: 0n, replicated: true }),
        'canister_init'
    );
    const bareCall = () => {
        const context = new CallContext(caller, 'increment', 0n, () => undefined);
        const message = newMessage({
            kind: 'update',
            methodName: 'increment',
            caller,
            arg: incrementArg,
            callContext: context,
            instructionLimit: 0n,
            replicated: true
        });
        bare.run(message, 'canister_update increment');
        if (message.response === undefined) throw new Error('the bare counter did not reply');
    };
    for (let i = 0; i < WARM_UP_CALLS; i++) bareCall();

    // Interleave the two paths in rounds, so machine noise falls on both alike; the cost is the median of the
    // rounds' ratios (one slow round on a shared machine does not decide it).
    progress(`timing ${calls} updates on each path in ${ROUNDS} rounds`);
    let fullTotal = 0;
    let bareTotal = 0;
    const ratios: number[] = [];
    const perRound = Math.max(1, Math.floor(calls / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
        started = performance.now();
        for (let i = 0; i < perRound; i++) await ic.updateCall({ canisterId, method: 'increment', arg: incrementArg });
        const fullMs = performance.now() - started;
        const bareMs = (perRound / perSecond(perRound, bareCall)) * 1000;
        fullTotal += fullMs;
        bareTotal += bareMs;
        ratios.push(bareMs / fullMs);
    }
    ratios.sort((a, b) => a - b);
    const incrementInstructions = ic.lastInstructions(canisterId);
    await ic.queryCall({ canisterId, method: 'get', arg: noArg });
    const getInstructions = ic.lastInstructions(canisterId);
    return {
        createMs,
        wasmBytes: wasm.length,
        instrumentMs,
        firstInstallMs,
        cachedInstallMs,
        initInstructions,
        calls: perRound * ROUNDS,
        fullCallsPerSecond: (perRound * ROUNDS) / (fullTotal / 1000),
        bareCallsPerSecond: (perRound * ROUNDS) / (bareTotal / 1000),
        bookkeepingCost: 1 - (ratios[Math.floor(ROUNDS / 2)] as number),
        incrementInstructions,
        getInstructions
    };
}
