/**
 * The registry's on-chain dashboard through the local network's HTTP gateway: its figures are the registry's
 * own (as its queries give them), every response is certified and verified, a tampered response is refused,
 * and the page loads in headless Chromium (Debian's `chromium`, driven by playwright-core) and shows the same
 * numbers, with a screenshot in `.azle/screenshots/`.
 *
 * Chromium is optional on a developer's machine (the browser tests are skipped, and say so, without it); CI
 * installs it and sets `REQUIRE_CHROMIUM=1`, which turns its absence into a failure.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';

import { sha256 } from '@noble/hashes/sha2';
import type { Principal } from '@dfinity/principal';
import { chromium } from 'playwright-core';

import { DASHBOARD_REFRESH_SECONDS, executionCycles } from '../../src/canisters/registry/dashboard';
import { LocalNetwork } from '../../src/network';
import { HttpGateway } from '../../src/network/gateway';
import { LocalIc } from '../../src/replica';
import { decoder, encoder } from '../../src/candid/wire';
import { DeviceSigner } from '../../src/canisters/registry/device-signer';
import { HttpResponse } from '../../src/ic/http/interface';
import { wasmOf } from '../../scripts/lib/build';
import { probeIdlFactory, type ProbeActor } from '../fixtures/probe/interface';
import { deployRegistry, EPOCHS, identity, issuingKey, type Suite } from '../registry/setup';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOUR_MS = 3_600_000;
const DEVICES = ['dashboard device 1', 'dashboard device 2', 'dashboard device 3'];
const controller = identity(91);
const maker = identity(92);
const owner = identity(93);

let ic: LocalIc;
let network: LocalNetwork;
let suite: Suite;

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** A request through the gateway as a browser sends it: to the network's address, the canister named by `Host`. */
function gatewayGet(canister: Principal, path: string, post?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const url = new URL(network.url);
        const req = httpRequest(
            {
                host: url.hostname,
                port: url.port,
                path,
                method: post === undefined ? 'GET' : 'POST',
                headers: { host: `${canister.toText()}.localhost:${url.port}` }
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (chunk: Buffer) => chunks.push(chunk));
                res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            }
        );
        req.on('error', reject);
        req.end(post);
    });
}

type Figures = {
    canister: string;
    devices: { total: string; active: string };
    heartbeats_listed: string;
    epochs: { epoch: string; open: boolean; heartbeats: string; rewarded: string }[];
    rewards: { earned: string; claimed: string };
    cycles: { metered_calls: string; metered_instructions: string; metered_refused: string; execution_cycles: string };
};

beforeAll(async () => {
    // the epochs are simulated before the wall clock, so that the network then runs on wall time
    ic = await LocalIc.create({ time: Date.now() - 3 * HOUR_MS });
    suite = await deployRegistry(ic as never, controller);
    const nowNs = async () => BigInt(await ic.getTime()) * 1_000_000n;
    await suite.registry.add_manufacturer({ name: 'maker', issuing_key: issuingKey(maker), quota: 10n });
    await suite.registry.sponsorship_set_policy({
        version: 1n,
        window_seconds: 60n,
        methods: [['heartbeat', { refuse_anonymous: true, calls_per_window: [100n], instructions_per_window: [] }]],
        deny: [],
        allow: [],
        global_calls_per_window: []
    });
    const devices = DEVICES.map((name) => new DeviceSigner('Ed25519', sha256(new TextEncoder().encode(name)), suite.registryId));
    suite.registry.setIdentity(maker);
    const until = (await nowNs()) + 3_600_000_000_000n;
    await suite.registry.register_devices(devices.map((d) => d.registration(maker.getPrincipal(), until)));
    suite.registry.setIdentity(owner);
    for (const device of devices) await suite.registry.claim_device(device.claim(owner.getPrincipal(), until));
    // heartbeats through two whole epochs; the first one closes
    const intervalMs = Number(EPOCHS.heartbeat_interval_seconds) * 1_000;
    for (let i = 0; i < (2 * Number(EPOCHS.epoch_seconds) * 1_000) / intervalMs; i++) {
        for (const device of devices) {
            suite.registry.setPrincipal(device.id);
            await suite.registry.heartbeat({ location: [] });
        }
        await ic.advanceTime(intervalMs);
        await ic.tick(2);
    }
    suite.registry.setIdentity(owner);
    await suite.registry.claim_rewards({ devices: devices.map((d) => d.id) });
    network = await LocalNetwork.start(ic, { port: 0, live: true });
    // its catch-up round closes the last epoch; the dashboard shows it from the next live round on
    const closedThrough = (await suite.registry.get_stats()).next_epoch_to_close - 1n;
    for (let waited = 0; waited < 5_000; waited += 50) {
        const figures = JSON.parse((await gatewayGet(suite.registryId, '/dashboard.json')).body.toString()) as Figures;
        if (figures.epochs.some((e) => e.epoch === closedThrough.toString() && !e.open)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
});

afterAll(async () => {
    await network.stop();
    await ic.tearDown();
});

describe('the HTTP gateway', () => {
    it('serves the registry figures, certified, equal to what its queries say', async () => {
        const answer = await gatewayGet(suite.registryId, '/dashboard.json');
        expect(answer.status).toBe(200);
        expect(answer.headers['ic-certificate']).toMatch(/version=2/);
        const figures = JSON.parse(answer.body.toString()) as Figures;
        const stats = await suite.registry.get_stats();
        expect(figures.canister).toBe(suite.registryId.toText());
        expect(figures.devices).toMatchObject({ total: '3', active: '3' });
        expect(figures.rewards).toEqual({ earned: stats.rewards_earned.toString(), claimed: stats.rewards_claimed.toString() });
        expect(stats.rewards_claimed).toBeGreaterThan(0n);
        const [closed] = await suite.registry.get_epoch(stats.next_epoch_to_close - 1n);
        const row = figures.epochs.find((e) => e.epoch === closed?.epoch.toString());
        expect(row).toEqual(
            expect.objectContaining({
                open: false,
                heartbeats: closed?.heartbeats.toString(),
                rewarded: closed?.rewarded.toString()
            })
        );
        const listed = figures.epochs.reduce((sum, e) => sum + BigInt(e.heartbeats), 0n);
        expect(figures.heartbeats_listed).toBe(listed.toString());
        expect(listed).toBe(36n); // 3 devices × 12 intervals, all in the listed epochs
        // the metered heartbeats: 36 admitted calls, and their cost at 13-node prices
        expect(figures.cycles.metered_calls).toBe('36');
        const metered = { calls: 36n, instructions: BigInt(figures.cycles.metered_instructions), refused: 0n };
        expect(metered.instructions).toBeGreaterThan(36n * 500_000n);
        expect(figures.cycles.execution_cycles).toBe(executionCycles(metered).toString());
    });

    it('serves the page, and a certified 404 for any other path', async () => {
        const page = await gatewayGet(suite.registryId, '/');
        expect(page.status).toBe(200);
        expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(page.body.toString()).toContain("fetch('/dashboard.json')");
        const missing = await gatewayGet(suite.registryId, '/no/such/page?x=1');
        expect(missing.status).toBe(404);
        expect(missing.headers['ic-certificate']).toMatch(/expr_path=/);
    });

    it('refuses a response whose body, status or headers differ from what the registry certified', async () => {
        const decodeResponse = decoder([HttpResponse]);
        const encodeResponse = encoder([HttpResponse]);
        const tamperings: ((r: HttpResponse) => HttpResponse)[] = [
            (r) => ({ ...r, body: new TextEncoder().encode('{"devices":{"total":"1000000"}}') }),
            (r) => ({ ...r, status_code: 500 }),
            (r) => ({ ...r, headers: r.headers.map(([n, v]) => [n, n === 'content-type' ? 'text/html' : v]) })
        ];
        for (const tamper of tamperings) {
            // a replica that answers the registry's real response, altered
            const replica = {
                timeNs: ic.timeNs,
                updateCall: (options: Parameters<LocalIc['updateCall']>[0]) => ic.updateCall(options),
                queryCall: async (options: Parameters<LocalIc['queryCall']>[0]) => {
                    const [real] = decodeResponse(await ic.queryCall(options)) as [HttpResponse];
                    return encodeResponse([tamper(real)]);
                }
            };
            const gateway = new HttpGateway(replica, await ic.getRootKey());
            const answer = await serveWith(gateway, suite.registryId, '/dashboard.json');
            expect(answer.status).toBe(503);
            expect(answer.body).toMatch(/^Response verification failed: /);
        }
    });

    it('answers 502 with the reason for a canister that has no http_request', async () => {
        const answer = await gatewayGet(suite.tokenId, '/');
        expect(answer.status).toBe(502);
        expect(answer.body.toString()).toMatch(/the canister rejected http_request/);
    });

    it('makes the request an http_request_update call when the canister asks, and keeps what it did', async () => {
        const { canisterId } = await ic.setupCanister({ idlFactory: probeIdlFactory, wasm: await wasmOf('probe', 'fixtures') });
        await ic.tick(2);
        const probe = ic.createActor<ProbeActor>(probeIdlFactory, canisterId);
        const posted = await gatewayGet(canisterId, '/readings', 'reading 42');
        expect({ status: posted.status, body: posted.body.toString() }).toEqual({ status: 201, body: 'was initial' });
        expect(await probe.getHeap()).toBe('reading 42');
        // a trap in the update rolls it back, and the browser gets the reason
        const trapped = await gatewayGet(canisterId, '/trap', 'lost');
        expect(trapped.status).toBe(502);
        expect(trapped.body.toString()).toMatch(/rejected http_request_update: .*trapped after writing/);
        expect(await probe.getHeap()).toBe('reading 42');
    }, 120_000);

    it('re-certifies the figures every refresh interval', async () => {
        const before = JSON.parse((await gatewayGet(suite.registryId, '/dashboard.json')).body.toString()) as {
            as_of_ns: string;
        };
        await ic.advanceTime(DASHBOARD_REFRESH_SECONDS * 1_000);
        await ic.tick(2);
        const after = JSON.parse((await gatewayGet(suite.registryId, '/dashboard.json')).body.toString()) as { as_of_ns: string };
        expect(BigInt(after.as_of_ns)).toBeGreaterThanOrEqual(
            BigInt(before.as_of_ns) + BigInt(DASHBOARD_REFRESH_SECONDS) * 1_000_000_000n
        );
    });
});

const browserPresent = existsSync(CHROMIUM);
if (!browserPresent && process.env.REQUIRE_CHROMIUM === '1') {
    throw new Error(`REQUIRE_CHROMIUM=1 but there is no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}
if (!browserPresent) console.warn(`dashboard.test.ts: no Chromium at ${CHROMIUM}; the browser test is skipped`);

(browserPresent ? describe : describe.skip)('the dashboard in Chromium', () => {
    it('loads through the gateway and shows the registry figures', async () => {
        const browser = await chromium.launch({
            executablePath: CHROMIUM,
            args: [
                '--no-sandbox',
                '--disable-gpu',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync'
            ]
        });
        try {
            const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
            await page.goto(network.gatewayUrl(suite.registryId));
            await page.waitForSelector('body[data-loaded]');
            expect(await page.getAttribute('body', 'data-loaded')).toBe('true');
            const stats = await suite.registry.get_stats();
            const shown = async (id: string) => (await page.textContent(`#${id}`))?.trim();
            expect(await shown('canister')).toBe(suite.registryId.toText());
            expect(await shown('devices-total')).toBe('3');
            expect(await shown('heartbeats')).toBe('36');
            expect(await shown('rewards-earned')).toBe(stats.rewards_earned.toLocaleString('en-US'));
            expect(await shown('rewards-claimed')).toBe(stats.rewards_claimed.toLocaleString('en-US'));
            expect(await shown('metered-calls')).toBe('36');
            expect(await page.locator('#epochs tr').count()).toBeGreaterThanOrEqual(2);
            const dir = join(__dirname, '..', '..', '.azle', 'screenshots');
            mkdirSync(dir, { recursive: true });
            await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
        } finally {
            await browser.close();
        }
    });
});

/** Runs one request through a gateway of the test's own, on a throwaway server. */
async function serveWith(gateway: HttpGateway, canister: Principal, path: string): Promise<{ status: number; body: string }> {
    const server = createServer((req, res) => void gateway.handle(req, res, canister));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, body: await response.text() };
    } finally {
        server.close();
    }
}
