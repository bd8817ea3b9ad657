/**
 * What every command-line tool of the project shares (scripts/ and examples/): parsing its arguments, answering
 * a usage error with its usage and exit code 2 (no stack trace: the user did nothing the code did not expect),
 * `--help`, and printing times, token amounts and cycles for people rather than in raw units.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { Principal } from '@dfinity/principal';

/** The exit code of a usage error, as getopt-style tools use it. */
export const USAGE_EXIT_CODE = 2;

/** The user asked for something the tool cannot do as asked: printed with the tool's usage, exit code 2. */
export class UsageError extends Error {
    override readonly name = 'UsageError';
}

/** A failure the user can act on that is not a usage error (e.g. no network): printed without a stack, exit code 1. */
export class ToolError extends Error {
    override readonly name = 'ToolError';
}

/** `parseArgs`, with its parse errors (unknown flag, missing value, unexpected argument) as usage errors. */
export function parseCommandLine<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
    try {
        return parseArgs(config);
    } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((error as Error).message);
        throw error;
    }
}

/** A whole number from a flag's text, or a usage error naming the flag. */
export function integerFlag(flag: string, text: string, range: { min?: number; max?: number } = {}): number {
    const value = Number(text);
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
    if (!/^\d+$/.test(text) || value < min || value > max)
        throw new UsageError(
            `--${flag} takes a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, not ${JSON.stringify(text)}`
        );
    return value;
}

/** A principal (or canister id) from a flag's text, or a usage error naming the flag. */
export function principalFlag(flag: string, text: string): Principal {
    try {
        return Principal.fromText(text);
    } catch {
        throw new UsageError(`--${flag} ${text} is not a principal`);
    }
}

/**
 * Runs a tool's main function on its arguments: `--help` (or `-h`) prints the usage and exits 0; a UsageError
 * prints its message and the usage to stderr, exit code 2; a ToolError its message, exit code 1. Anything else
 * is a bug and keeps its stack.
 */
export function runTool(usage: string, main: (argv: string[]) => Promise<void>, argv = process.argv.slice(2)): void {
    if (argv.includes('--help') || argv.includes('-h')) {
        console.log(usage);
        return;
    }
    // a parse error thrown before main's first await is handled as one thrown after it
    Promise.resolve(argv)
        .then(main)
        .catch((error: unknown) => {
            if (error instanceof UsageError) {
                console.error(`${error.message}\n\n${usage}`);
                process.exitCode = USAGE_EXIT_CODE;
            } else if (error instanceof ToolError) {
                console.error(error.message);
                process.exitCode = 1;
            } else {
                console.error(error);
                process.exitCode = 1;
            }
        });
}

const NS_PER_MS = 1_000_000n;

/** A duration in its two largest units: `7 min 12 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
    const units: [string, number][] = [
        ['d', 86_400_000],
        ['h', 3_600_000],
        ['min', 60_000],
        ['s', 1_000]
    ];
    const abs = Math.abs(ms);
    if (abs < 1_000) return `${Math.round(abs)} ms`;
    const parts: string[] = [];
    let rest = abs;
    for (const [unit, size] of units) {
        const n = Math.floor(rest / size);
        if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`);
        rest -= n * size;
        if (parts.length === 2) break;
    }
    return parts.filter((p) => !p.startsWith('0 ')).join(' ');
}

/** An IC time (nanoseconds since the epoch) as an ISO date and how far it is from `nowMs`: `… (in 7 min 12 s)`. */
export function formatIcTime(ns: bigint, nowMs = Date.now()): string {
    const ms = Number(ns / NS_PER_MS);
    const delta = ms - nowMs;
    const relative = Math.abs(delta) < 1_000 ? 'now' : delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
    return `${new Date(ms).toISOString()} (${relative})`;
}

/** Cycles in trillions, as the IC's tools show them: `985.3999 T`; under 0.01 T with four significant digits. */
export function formatCycles(cycles: bigint): string {
    const t = Number(cycles) / 1e12;
    const digits: Intl.NumberFormatOptions = t > 0 && t < 0.01 ? { maximumSignificantDigits: 4 } : { maximumFractionDigits: 4 };
    return `${t.toLocaleString('en-US', digits)} T`;
}

/** How a token writes its amounts: from its ICRC-1 metadata. */
export type TokenUnits = { readonly symbol: string; readonly decimals: number };

/** The symbol and decimals in an `icrc1_metadata` answer; a ledger that leaves them out gets raw units. */
export function tokenUnitsOf(metadata: readonly (readonly [string, { Nat: bigint } | { Text: string } | object])[]): TokenUnits {
    const entry = (key: string) => metadata.find(([k]) => k === key)?.[1];
    const symbol = entry('icrc1:symbol');
    const decimals = entry('icrc1:decimals');
    return {
        symbol: symbol !== undefined && 'Text' in symbol ? symbol.Text : 'units',
        decimals: decimals !== undefined && 'Nat' in decimals ? Number(decimals.Nat) : 0
    };
}

/** An amount in the token's units: `0.0012 DPN` for 120,000 at 8 decimals. */
export function formatTokens(amount: bigint, units: TokenUnits): string {
    const scale = 10n ** BigInt(units.decimals);
    const whole = (amount / scale).toLocaleString('en-US');
    const fraction = units.decimals === 0 ? '' : (amount % scale).toString().padStart(units.decimals, '0').replace(/0+$/, '');
    return `${whole}${fraction.length > 0 ? `.${fraction}` : ''} ${units.symbol}`;
}

/**
 * A Candid variant error as text: its case and its payload, with IC times (fields named `now` or ending in
 * `_at`, in nanoseconds) as dates.
 */
export function errorText(error: object, nowMs = Date.now()): string {
    const [[name, detail]] = Object.entries(error) as [[string, unknown]];
    if (detail === null) return name;
    if (typeof detail !== 'object' || detail === null) return `${name} ${String(detail)}`;
    const fields = Object.entries(detail).map(([key, value]) => {
        if (typeof value === 'bigint' && (key === 'now' || key.endsWith('_at'))) return `${key} ${formatIcTime(value, nowMs)}`;
        if (typeof value === 'bigint') return `${key} ${value}`;
        if (value instanceof Principal) return `${key} ${value.toText()}`;
        return `${key} ${JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
    });
    return `${name}: ${fields.join(', ')}`;
}
