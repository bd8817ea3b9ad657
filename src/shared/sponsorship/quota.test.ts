/**
 * The sponsorship module's rules, without a network: deny and allow lists, anonymous callers, per-caller call
 * and instruction quotas, the global cap, windows that reset, the read-only check, and the usage report
 * (folded beyond its per-method limit, restored when it was not delivered).
 */
import { Principal } from '@dfinity/principal';

import { MemoryByteMap } from '../store';
import { OPEN_POLICY, type SponsorPolicy } from './policy';
import { describeRefusal, MAX_REPORTED_CALLERS_PER_METHOD, Sponsorship } from './quota';

const S = 1_000_000_000n;
const alice = Principal.fromUint8Array(Uint8Array.of(1));
const bob = Principal.fromUint8Array(Uint8Array.of(2));
const callerNo = (i: number) => Principal.fromUint8Array(Uint8Array.of(9, i >> 8, i & 0xff));

function sponsorship(overrides: Partial<SponsorPolicy> = {}, rule = {}) {
    const s = new Sponsorship(new MemoryByteMap());
    s.setPolicy({
        ...OPEN_POLICY,
        version: 1n,
        window_seconds: 60n,
        methods: [['pay', { refuse_anonymous: true, calls_per_window: [2n], instructions_per_window: [], ...rule }]],
        ...overrides
    });
    return s;
}

it('meters only the methods the policy names', () => {
    const s = sponsorship();
    for (let i = 0; i < 10; i++) expect(s.admit(alice, 'other', 0n)).toBeUndefined();
    expect(s.takeReport(0n, 0n)).toBeUndefined();
});

it('admits a caller up to its call quota per window, then refuses until the window resets', () => {
    const s = sponsorship();
    expect(s.admit(alice, 'pay', 10n)).toBeUndefined();
    expect(s.admit(alice, 'pay', 11n)).toBeUndefined();
    expect(s.check(alice, 'pay', 12n)).toEqual({ CallQuota: { limit: 2n, resets_at: 10n + 60n * S } });
    expect(s.admit(alice, 'pay', 12n)).toEqual({ CallQuota: { limit: 2n, resets_at: 10n + 60n * S } });
    expect(s.admit(bob, 'pay', 12n)).toBeUndefined(); // quotas are per caller
    expect(s.admit(alice, 'pay', 10n + 60n * S)).toBeUndefined();
});

it('check() never counts: inspect_message can call it as often as it runs', () => {
    const s = sponsorship();
    for (let i = 0; i < 10; i++) expect(s.check(alice, 'pay', 0n)).toBeUndefined();
    expect(s.admit(alice, 'pay', 0n)).toBeUndefined();
});

it('refuses on the instruction quota once the settled instructions reach it', () => {
    const s = sponsorship({}, { calls_per_window: [], instructions_per_window: [1_000n] });
    expect(s.admit(alice, 'pay', 0n)).toBeUndefined();
    s.settle(alice, 'pay', 1_200n, 0n);
    expect(s.admit(alice, 'pay', 1n)).toEqual({ InstructionQuota: { limit: 1_000n, used: 1_200n, resets_at: 60n * S } });
});

it('refuses denied, not-allowed and anonymous callers', () => {
    expect(sponsorship({ deny: [alice] }).admit(alice, 'pay', 0n)).toEqual({ Denied: null });
    expect(sponsorship({ allow: [[bob]] }).admit(alice, 'pay', 0n)).toEqual({ NotAllowed: null });
    expect(sponsorship({ allow: [[bob]] }).admit(bob, 'pay', 0n)).toBeUndefined();
    expect(sponsorship().admit(Principal.anonymous(), 'pay', 0n)).toEqual({ Anonymous: null });
});

it('the global cap bounds all callers together, however many principals they make', () => {
    const s = sponsorship({ global_calls_per_window: [3n] });
    for (let i = 0; i < 3; i++) expect(s.admit(callerNo(i), 'pay', 0n)).toBeUndefined();
    expect(s.admit(callerNo(4), 'pay', 0n)).toEqual({ GlobalCap: { limit: 3n, resets_at: 60n * S } });
    expect(describeRefusal({ GlobalCap: { limit: 3n, resets_at: 60n * S } })).toMatch(
        /global cap of 3 calls per window reached; it resets at 60000000000 ns/
    );
});

it('keeps a newer policy only, in stable memory, for the next instance to load', () => {
    const store = new MemoryByteMap();
    const s = new Sponsorship(store);
    expect(s.setPolicy({ ...OPEN_POLICY, version: 2n, deny: [alice] })).toBe(true);
    expect(s.setPolicy({ ...OPEN_POLICY, version: 1n })).toBe(false);
    const reloaded = new Sponsorship(store);
    expect(reloaded.status().policy.version).toBe(2n);
    expect(reloaded.status().policy.deny).toEqual([alice]);
});

it('reports usage per caller, folds callers beyond the per-method limit, and restores an undelivered report', () => {
    const s = sponsorship({}, { calls_per_window: [] });
    const callers = MAX_REPORTED_CALLERS_PER_METHOD + 5;
    for (let i = 0; i < callers; i++) {
        expect(s.admit(callerNo(i), 'pay', 0n)).toBeUndefined();
        s.settle(callerNo(i), 'pay', 10n, 0n);
    }
    const report = s.takeReport(7n, 1n);
    if (report === undefined) throw new Error('no report');
    expect(report.entries).toHaveLength(MAX_REPORTED_CALLERS_PER_METHOD + 1);
    const folded = report.entries.find((e) => e.caller.length === 0);
    expect(folded).toEqual({ method: 'pay', caller: [], calls: 5n, instructions: 50n, refused: 0n });
    expect(report.entries.reduce((n, e) => n + e.calls, 0n)).toBe(BigInt(callers));
    expect(s.takeReport(7n, 2n)).toBeUndefined();
    s.restore(report, 3n);
    const again = s.takeReport(7n, 4n);
    expect(again?.entries.reduce((n, e) => n + e.calls, 0n)).toBe(BigInt(callers));
    expect(s.status().reports_failed).toBe(1n);
});

it('keeps metered totals since install, across reports, and a checkpoint survives into the next instance', () => {
    const store = new MemoryByteMap();
    const s = new Sponsorship(store);
    s.setPolicy({
        ...OPEN_POLICY,
        version: 1n,
        methods: [['pay', { refuse_anonymous: false, calls_per_window: [2n], instructions_per_window: [] }]]
    });
    for (let i = 0; i < 3; i++) if (s.admit(alice, 'pay', 0n) === undefined) s.settle(alice, 'pay', 500n, 0n);
    s.admit(alice, 'other', 0n); // not metered: not counted
    s.takeReport(0n, 1n);
    expect(s.meteredTotals).toEqual({ calls: 2n, instructions: 1_000n, refused: 1n });

    s.admit(bob, 'pay', 2n);
    s.settle(bob, 'pay', 7n, 2n);
    expect(new Sponsorship(store).meteredTotals).toEqual({ calls: 2n, instructions: 1_000n, refused: 1n }); // before the checkpoint
    s.checkpoint();
    expect(new Sponsorship(store).meteredTotals).toEqual({ calls: 3n, instructions: 1_007n, refused: 1n });
});
