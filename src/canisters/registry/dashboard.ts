/**
 * The registry's on-chain dashboard, served by its `http_request` through any HTTP gateway
 * (`https://<registry-id>.icp0.io/`, locally `http://<registry-id>.localhost:4943/`): devices, heartbeats per
 * epoch, rewards, and the cycles the metered calls cost.
 *
 * Two certified responses: `/`, a static page (certified once, its hash remembered), and `/dashboard.json`,
 * the figures, re-rendered and re-certified by a timer every {@link DASHBOARD_REFRESH_SECONDS}. A query cannot
 * change certified data, so the figures a gateway verifies are the ones of the last refresh; the page says when
 * that was. Nothing here runs per request but the lookup: an HTTP request costs the registry a query, which
 * users do not pay for but which cannot change anything either.
 */
import { CYCLE_PRICES } from '../../ic/cycle-prices';
import { type CertifiableResponse, CertifiedResponses } from '../../ic/http/response-certification';
import type { EpochSummary, RegistryStats } from './types';
import type { MeteredTotals } from '../../sponsorship/quota';

/**
 * How often the figures are re-rendered and re-certified. A refresh hashes the figures and the tree nodes they
 * change and encodes the tree; what it costs, and what once a minute costs a month, is in docs/benchmarks.md
 * (`npm run bench`). A minute is as fresh as an operator's page needs and keeps that cost small.
 */
export const DASHBOARD_REFRESH_SECONDS = 60;

/** Epochs the dashboard lists, newest first: the open one and the last closed ones. */
export const DASHBOARD_EPOCHS = 12;

/** One epoch's row: closed (its summary) or still open (its running tally). */
export type EpochRow = {
    readonly epoch: bigint;
    readonly open: boolean;
    readonly devices_seen: number;
    readonly heartbeats: bigint;
    readonly points: bigint;
    readonly rewarded: bigint;
};

/** What the dashboard shows; every figure comes from the registry's own state. */
export type DashboardFigures = {
    readonly canister: string;
    readonly as_of: bigint;
    readonly stats: RegistryStats;
    readonly epochs: readonly EpochRow[];
    readonly cycle_balance: bigint;
    readonly metered: MeteredTotals;
};

/** An open epoch's row from its running tally. */
function openEpochRow(epoch: bigint, tally: { heartbeats: bigint; points: bigint; devices: number }): EpochRow {
    return { epoch, open: true, devices_seen: tally.devices, heartbeats: tally.heartbeats, points: tally.points, rewarded: 0n };
}

/** A closed epoch's row from its summary. */
function closedEpochRow(summary: EpochSummary): EpochRow {
    return {
        epoch: summary.epoch,
        open: false,
        devices_seen: summary.devices_seen,
        heartbeats: summary.heartbeats,
        points: summary.points,
        rewarded: summary.rewarded
    };
}

/**
 * The execution cost of the metered calls at 13-node prices: each call's base fee and one cycle per
 * instruction. Ingress and storage are not in it; the wallet's view has what it paid the registry in all.
 */
export function executionCycles(metered: MeteredTotals): bigint {
    return metered.calls * CYCLE_PRICES.updateMessageBase + metered.instructions * CYCLE_PRICES.perInstruction;
}

/** Where the rows come from: the registry's store. */
export type EpochSource = {
    epochSummary(epoch: bigint): EpochSummary | undefined;
    tally(epoch: bigint): { heartbeats: bigint; points: bigint; devices: number };
};

/**
 * The last `count` epochs, newest first: those not yet closed from their running tallies, the closed ones from
 * their summaries.
 */
export function epochRows(source: EpochSource, stats: RegistryStats, count: number): EpochRow[] {
    const rows: EpochRow[] = [];
    for (let epoch = stats.current_epoch; epoch >= 0n && rows.length < count; epoch--) {
        const summary = epoch < stats.next_epoch_to_close ? source.epochSummary(epoch) : undefined;
        rows.push(summary === undefined ? openEpochRow(epoch, source.tally(epoch)) : closedEpochRow(summary));
    }
    return rows;
}

/** The figures as the JSON `/dashboard.json` serves: integers as decimal strings, so none loses precision. */
export function dashboardJson(figures: DashboardFigures): string {
    const { stats, metered } = figures;
    return JSON.stringify({
        canister: figures.canister,
        as_of_ns: figures.as_of.toString(),
        devices: {
            total: stats.devices.toString(),
            active: stats.active.toString(),
            suspended: stats.suspended.toString(),
            revoked: stats.revoked.toString()
        },
        manufacturers: stats.manufacturers.toString(),
        current_epoch: stats.current_epoch.toString(),
        heartbeats_listed: figures.epochs.reduce((sum, row) => sum + row.heartbeats, 0n).toString(),
        epochs: figures.epochs.map((row) => ({
            epoch: row.epoch.toString(),
            open: row.open,
            devices_seen: row.devices_seen,
            heartbeats: row.heartbeats.toString(),
            points: row.points.toString(),
            rewarded: row.rewarded.toString()
        })),
        rewards: { earned: stats.rewards_earned.toString(), claimed: stats.rewards_claimed.toString() },
        cycles: {
            balance: figures.cycle_balance.toString(),
            metered_calls: metered.calls.toString(),
            metered_instructions: metered.instructions.toString(),
            metered_refused: metered.refused.toString(),
            execution_cycles: executionCycles(metered).toString()
        }
    });
}

const utf8 = new TextEncoder();

const SECURITY_HEADERS: [string, string][] = [
    ['x-content-type-options', 'nosniff'],
    [
        'content-security-policy',
        "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"
    ]
];

/** The page: a shell that fetches `/dashboard.json` (verified by the gateway like the page) and fills itself in. */
const PAGE = utf8.encode(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DePIN registry</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.5rem; margin-bottom: 0; } .sub { color: #5b6475; margin-top: .25rem; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: .75rem; margin: 1.5rem 0; }
  .card { border: 1px solid #d9dde5; border-radius: .5rem; padding: .75rem 1rem; }
  .card h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #5b6475; margin: 0; }
  .card .value { font-size: 1.6rem; font-variant-numeric: tabular-nums; } .card .note { color: #5b6475; font-size: .85rem; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: .35rem .6rem; border-bottom: 1px solid #e8ebf0; } th:first-child, td:first-child { text-align: left; }
  #error { color: #a4161a; }
</style>
</head>
<body>
<h1>DePIN device registry</h1>
<p class="sub">Canister <code id="canister">…</code>, figures certified at <span id="as-of">…</span></p>
<p id="error" hidden></p>
<div class="cards">
  <div class="card"><h2>Devices</h2><div class="value" id="devices-total">…</div>
    <div class="note"><span id="devices-active">…</span> active, <span id="devices-suspended">…</span> suspended, <span id="devices-revoked">…</span> revoked</div></div>
  <div class="card"><h2>Heartbeats</h2><div class="value" id="heartbeats">…</div><div class="note">in the epochs below</div></div>
  <div class="card"><h2>Rewards earned</h2><div class="value" id="rewards-earned">…</div>
    <div class="note"><span id="rewards-claimed">…</span> claimed (token units)</div></div>
  <div class="card"><h2>Cycles spent</h2><div class="value" id="cycles-spent">…</div>
    <div class="note">executing <span id="metered-calls">…</span> metered calls; balance <span id="cycles-balance">…</span></div></div>
</div>
<table>
  <thead><tr><th>Epoch</th><th>Devices seen</th><th>Heartbeats</th><th>Points</th><th>Rewarded</th></tr></thead>
  <tbody id="epochs"></tbody>
</table>
<script>
  const n = (text) => BigInt(text).toLocaleString('en-US');
  const set = (id, text) => { document.getElementById(id).textContent = text; };
  fetch('/dashboard.json').then((r) => {
    if (!r.ok) throw new Error('the gateway answered ' + r.status + ': ' + r.statusText);
    return r.json();
  }).then((d) => {
    set('canister', d.canister);
    set('as-of', new Date(Number(BigInt(d.as_of_ns) / 1000000n)).toISOString());
    set('devices-total', n(d.devices.total)); set('devices-active', n(d.devices.active));
    set('devices-suspended', n(d.devices.suspended)); set('devices-revoked', n(d.devices.revoked));
    set('heartbeats', n(d.heartbeats_listed));
    set('rewards-earned', n(d.rewards.earned)); set('rewards-claimed', n(d.rewards.claimed));
    set('cycles-spent', n(d.cycles.execution_cycles)); set('metered-calls', n(d.cycles.metered_calls));
    set('cycles-balance', n(d.cycles.balance));
    const body = document.getElementById('epochs');
    for (const e of d.epochs) {
      const row = body.insertRow();
      row.dataset.epoch = e.epoch;
      for (const text of [e.epoch + (e.open ? ' (open)' : ''), n(e.devices_seen), n(e.heartbeats), n(e.points), n(e.rewarded)])
        row.insertCell().textContent = text;
    }
    document.body.dataset.loaded = 'true';
  }).catch((error) => {
    const p = document.getElementById('error');
    p.hidden = false;
    p.textContent = String(error);
    document.body.dataset.loaded = 'error';
  });
</script>
</body>
</html>
`);

const page: CertifiableResponse = {
    status_code: 200,
    headers: [['content-type', 'text/html; charset=utf-8'], ...SECURITY_HEADERS],
    body: PAGE
};

const notFound: CertifiableResponse = {
    status_code: 404,
    headers: [['content-type', 'text/plain; charset=utf-8'], ...SECURITY_HEADERS],
    body: utf8.encode('Not found: the registry serves / and /dashboard.json\n')
};

/** The registry's certified responses for these figures. */
export function dashboardResponses(figures: DashboardFigures): CertifiedResponses {
    const json: CertifiableResponse = {
        status_code: 200,
        headers: [['content-type', 'application/json'], ['cache-control', 'no-cache'], ...SECURITY_HEADERS],
        body: utf8.encode(dashboardJson(figures))
    };
    return new CertifiedResponses(
        new Map([
            ['/', page],
            ['/dashboard.json', json]
        ]),
        notFound
    );
}
