/**
 * The command-line tools as a user runs them, each in its own process: a usage error (a missing argument, an
 * unknown flag, a value out of range, an identity that cannot be right) prints the tool's usage and exits with
 * 2, with no stack trace; `--help` prints the usage and exits with 0; a network file left by a stopped network
 * says to start one. The shared formatting prints times, amounts and cycles for people.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Principal } from '@dfinity/principal';

import { errorText, formatCycles, formatDuration, formatIcTime, formatTokens, tokenUnitsOf } from '../scripts/lib/cli';
import { ROOT } from '../scripts/lib/canisters';
import { LOCAL_NETWORK_FILE } from '../src/network';

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

type Run = { code: number; stdout: string; stderr: string };

/** Runs a tool of the project (a path from the root) with `args`, in `cwd`. */
function runTool(tool: string, args: string[], cwd = ROOT): Promise<Run> {
    return new Promise((resolve) => {
        execFile(TSX, [join(ROOT, tool), ...args], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
            resolve({ code, stdout, stderr });
        });
    });
}

const STACK_FRAME = /^\s+at /m;

describe('a usage error prints the usage and exits with 2, without a stack', () => {
    const cases: [string, string[], RegExp][] = [
        ['examples/owner-cli.ts', ['devices'], /who is the owner/],
        ['examples/owner-cli.ts', ['devices', '--demo-owner', '77'], /there is no demo owner 77: the demo's owners are 0 to 49/],
        ['examples/owner-cli.ts', ['--demo-owner', '0'], /which command/],
        ['examples/owner-cli.ts', ['devices', '--demo-owner', '0', '--colour'], /Unknown option '--colour'/],
        ['examples/device-simulator.ts', [], /--device NAME is required/],
        ['examples/device-simulator.ts', ['--device', 'x', '--curve', 'P384'], /--curve is one of Ed25519, Secp256k1, P256/],
        ['scripts/deploy.ts', ['--network', 'ic'], /--network ic needs --pem FILE/],
        ['scripts/deploy.ts', ['--network', 'testnet'], /--network is local or ic, not testnet/],
        ['scripts/start.ts', ['--custodian', '2vxsx-fae'], /--custodian 2vxsx-fae is the anonymous principal/],
        ['scripts/start.ts', ['--port', 'http'], /--port takes a whole number from 0 to 65535/],
        ['scripts/check-wasm.ts', ['nope'], /not in dfx.json: nope/],
        ['scripts/build.ts', ['--forc'], /Unknown option '--forc'/]
    ];
    it.each(cases)('%s %j', async (tool, args, message) => {
        const run = await runTool(tool, args);
        expect({ code: run.code, stack: STACK_FRAME.test(run.stderr) }).toEqual({ code: 2, stack: false });
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toMatch(/\n\nusage: /);
    });
});

describe('--help prints the usage and exits with 0', () => {
    const tools = [
        'examples/owner-cli.ts',
        'examples/device-simulator.ts',
        'scripts/deploy.ts',
        'scripts/start.ts',
        'scripts/check-wasm.ts',
        'scripts/build.ts'
    ];
    it.each(tools)('%s', async (tool) => {
        const run = await runTool(tool, ['--help']);
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^usage: /);
        expect(run.stdout).toMatch(/-h, --help/);
    });
});

it('a network file left by a stopped network says to start one, without a transport error', async () => {
    // a port that was free a moment ago: nothing listens on it, as after Ctrl-C
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const root = mkdtempSync(join(tmpdir(), 'stale-network-'));
    mkdirSync(join(root, '.azle'));
    const registry = Principal.fromUint8Array(new Uint8Array([1])).toText();
    writeFileSync(
        join(root, LOCAL_NETWORK_FILE),
        JSON.stringify({ url: `http://127.0.0.1:${port}`, rootKey: '00', canisters: { registry, token: registry } })
    );
    try {
        for (const [tool, args] of [
            ['examples/owner-cli.ts', ['devices', '--demo-owner', '0']],
            ['examples/device-simulator.ts', ['--device', 'demo device 0']]
        ] as const) {
            const run = await runTool(tool, [...args], root);
            expect({ tool, code: run.code, stack: STACK_FRAME.test(run.stderr) }).toEqual({ tool, code: 1, stack: false });
            expect(run.stderr).toMatch(/does not answer \(ECONNREFUSED\): it has stopped; run `npm start -- --serve` first/);
            expect(run.stderr).not.toMatch(/TransportError/);
        }
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
});

it('check-wasm checks only the module it is given', async () => {
    const run = await runTool('scripts/check-wasm.ts', ['counter']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^\[1\/1\] counter: ok /);
    expect(run.stdout).toMatch(/All 1 modules pass/);
    expect(run.code).toBe(0);
}, 600_000);

describe('printed for people', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const ns = (ms: number) => BigInt(ms) * 1_000_000n;

    it('an IC time as an ISO date and how far away it is', () => {
        expect(formatIcTime(ns(now + 7 * 60_000 + 12_000), now)).toBe('2026-01-01T12:07:12.000Z (in 7 min 12 s)');
        expect(formatIcTime(ns(now - 2 * 3_600_000 - 5 * 60_000), now)).toBe('2026-01-01T09:55:00.000Z (2 h 5 min ago)');
        expect(formatIcTime(ns(now), now)).toBe('2026-01-01T12:00:00.000Z (now)');
        expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 59_000)).toBe('3 d 4 h');
        expect(formatDuration(2 * 3_600_000 + 5_000)).toBe('2 h');
    });

    it('a registry error with its times as dates and its principals as text', () => {
        expect(errorText({ TooSoon: { next_interval_at: ns(now + 90_000) } }, now)).toBe(
            'TooSoon: next_interval_at 2026-01-01T12:01:30.000Z (in 1 min 30 s)'
        );
        const device = Principal.fromUint8Array(new Uint8Array([7]));
        expect(errorText({ UnknownDevice: { device } })).toBe(`UnknownDevice: device ${device.toText()}`);
        expect(errorText({ NonceReused: { nonce: 3n, last_nonce: 5n } })).toBe('NonceReused: nonce 3, last_nonce 5');
        expect(errorText({ NothingToClaim: null })).toBe('NothingToClaim');
    });

    it('token amounts in the symbol and decimals of the token’s metadata; cycles in T', () => {
        const units = tokenUnitsOf([
            ['icrc1:name', { Text: 'DePIN Token' }],
            ['icrc1:symbol', { Text: 'DPN' }],
            ['icrc1:decimals', { Nat: 8n }]
        ]);
        expect(units).toEqual({ symbol: 'DPN', decimals: 8 });
        expect(formatTokens(120_000n, units)).toBe('0.0012 DPN');
        expect(formatTokens(1_234_500_000_000n, units)).toBe('12,345 DPN');
        expect(formatTokens(0n, units)).toBe('0 DPN');
        expect(formatTokens(5n, tokenUnitsOf([]))).toBe('5 units');
        expect(formatCycles(985_399_904_730n)).toBe('0.9854 T');
        expect(formatCycles(25n * 1_000_000_000_000n)).toBe('25 T');
        expect(formatCycles(17_354_332n)).toBe('0.00001735 T');
        expect(formatCycles(0n)).toBe('0 T');
    });
});
