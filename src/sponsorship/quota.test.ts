/**
 * The sponsorship module's rules, without a network: deny and allow lists, anonymous callers, per-caller call
 * and instruction quotas, the global cap, windows that reset, the read-only check, and the usage report
 * (folded beyond its per-method limit, restored when it was not delivered).
 */
import { Principal } from '@dfinity/principal';

import { MemoryByteMap } from '../ic/stable-maps';
import { type MethodRule, OPEN_POLICY, type SponsorPolicy } from './policy';
import { outcomeOf } from './canister';
import { describeRefusal, MAX_REPORTED_CALLERS_PER_METHOD, Sponsorship, TRUST_SECONDS } from './quota';

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
    s.settle(alice, 'pay', 1_200n, 0n, 'succeeded');
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
    for (let i = 0; i < 3; i++) {
        expect(s.admit(callerNo(i), 'pay', 0n)).toBeUndefined();
        s.settle(callerNo(i), 'pay', 10n, 0n, 'succeeded');
    }
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
        s.settle(callerNo(i), 'pay', 10n, 0n, 'succeeded');
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
    for (let i = 0; i < 3; i++) if (s.admit(alice, 'pay', 0n) === undefined) s.settle(alice, 'pay', 500n, 0n, 'succeeded');
    s.admit(alice, 'other', 0n); // not metered: not counted
    s.takeReport(0n, 1n);
    expect(s.meteredTotals).toEqual({ calls: 2n, instructions: 1_000n, refused: 1n });

    s.admit(bob, 'pay', 2n);
    s.settle(bob, 'pay', 7n, 2n, 'succeeded');
    expect(new Sponsorship(store).meteredTotals).toEqual({ calls: 2n, instructions: 1_000n, refused: 1n }); // before the checkpoint
    s.checkpoint();
    expect(new Sponsorship(store).meteredTotals).toEqual({ calls: 3n, instructions: 1_007n, refused: 1n });
});

describe('quotas that cannot be turned against honest callers (issue 21, finding 4)', () => {
    function withMethods(limit: bigint): Sponsorship {
        const s = new Sponsorship(new MemoryByteMap());
        const rule: MethodRule = { refuse_anonymous: true, calls_per_window: [], instructions_per_window: [] };
        s.setPolicy({
            ...OPEN_POLICY,
            version: 1n,
            window_seconds: 60n,
            global_calls_per_window: [limit],
            methods: [
                ['pay', rule],
                ['beat', rule]
            ]
        });
        return s;
    }

    it('failed calls do not use up the cap: successes and other methods go on, and recent successful callers too', () => {
        const s = withMethods(3n);
        const holder = callerNo(9_000);
        expect(s.admit(holder, 'pay', 0n)).toBeUndefined();
        s.settle(holder, 'pay', 10n, 0n, 'succeeded');
        // A crowd of fresh principals sends garbage: each call is admitted, fails, and is counted as a failure.
        for (let i = 0; i < 3; i++) {
            expect(s.admit(callerNo(i), 'pay', 1n)).toBeUndefined();
            s.settle(callerNo(i), 'pay', 10n, 1n, 'failed');
        }
        // The failures have reached the cap: more fresh principals are refused once each, for free...
        expect(s.admit(callerNo(100), 'pay', 2n)).toEqual({ GlobalCap: { limit: 3n, resets_at: 1n + 60n * S } });
        // ...while the holder, whose call succeeded, is admitted, and the other method is untouched.
        expect(s.admit(holder, 'pay', 2n)).toBeUndefined();
        s.settle(holder, 'pay', 10n, 2n, 'succeeded');
        expect(s.admit(callerNo(100), 'beat', 2n)).toBeUndefined();
        // Successes have their own cap: two so far of three.
        expect(s.admit(callerNo(9_001), 'pay', 3n)).toEqual({ GlobalCap: { limit: 3n, resets_at: 1n + 60n * S } });
        // Once the window ends, fresh callers are admitted again.
        expect(s.admit(callerNo(100), 'pay', 61n * S)).toBeUndefined();
    });

    it('reads a result as failed when it is an Err, or a batch of nothing but Errs', () => {
        expect(outcomeOf({ Err: { InsufficientFunds: null } })).toBe('failed');
        expect(outcomeOf({ Ok: 1n })).toBe('succeeded');
        expect(outcomeOf([[{ Err: null }], [{ Err: null }]])).toBe('failed');
        expect(outcomeOf([[{ Err: null }], [{ Ok: 2n }]])).toBe('succeeded');
        expect(outcomeOf(null)).toBe('succeeded');
    });
});

describe('callers in stable memory, bounded (issue 24, item 7)', () => {
    const CAP = 50;
    const stranger = (i: number) => Principal.fromUint8Array(Uint8Array.of(8, i >> 8, i & 0xff));
    const rule: MethodRule = { refuse_anonymous: true, calls_per_window: [2n], instructions_per_window: [] };
    const policy: SponsorPolicy = { ...OPEN_POLICY, version: 1n, window_seconds: 60n, methods: [['pay', rule]] };

    function small(store = new MemoryByteMap()): { s: Sponsorship; store: MemoryByteMap } {
        const s = new Sponsorship(store, { maxCallers: CAP, maxTrusted: CAP });
        s.setPolicy(policy);
        return { s, store };
    }

    it('refuses new callers while the book is full, names when an entry is due, and makes room after it', () => {
        const { s, store } = small();
        for (let i = 0; i < CAP; i++) expect(s.admit(callerNo(i), 'pay', BigInt(i))).toBeUndefined();
        expect(s.status().tracked_callers).toBe(BigInt(CAP));
        // The first caller's window, which started at 0, is the first to end.
        const full = { GlobalCap: { limit: BigInt(CAP), resets_at: 60n * S } };
        expect(s.check(stranger(0), 'pay', 1_000n)).toEqual(full);
        expect(s.admit(stranger(0), 'pay', 1_000n)).toEqual(full);
        // Callers already tracked go on.
        expect(s.admit(callerNo(3), 'pay', 1_000n)).toBeUndefined();
        // Once windows end, strangers take their places, and the book never holds more than the cap.
        for (let i = 0; i < CAP; i++) expect(s.admit(stranger(i), 'pay', 61n * S + BigInt(i))).toBeUndefined();
        expect(s.admit(stranger(CAP), 'pay', 62n * S)).toEqual({ GlobalCap: { limit: BigInt(CAP), resets_at: 121n * S } });
        expect(s.status().tracked_callers).toBeLessThanOrEqual(BigInt(CAP));
        // Its stable memory is bounded too: a caller's entry and its index entry, the trusted callers', and a few.
        expect(store.len()).toBeLessThanOrEqual(2 * CAP + 2 * CAP + 5);
    });

    it('a crowd of fresh principals, window after window, leaves no more entries than one window holds', () => {
        const { s, store } = small();
        for (let window = 0; window < 20; window++) {
            const start = BigInt(window) * 61n * S;
            for (let i = 0; i < 40; i++) {
                const caller = stranger(window * 40 + i);
                expect(s.admit(caller, 'pay', start)).toBeUndefined();
                s.settle(caller, 'pay', 10n, start, 'failed');
            }
        }
        expect(s.status().tracked_callers).toBeLessThanOrEqual(BigInt(CAP));
        expect(store.len()).toBeLessThanOrEqual(2 * CAP + 5);
        // The report timer prunes the rest once their windows have ended.
        s.takeReport(0n, 2_000n * S);
        expect(s.status().tracked_callers).toBe(0n);
        expect(store.len()).toBeLessThanOrEqual(5);
    });

    it('a caller seen again after its index entry fell due is kept, with its quota, not dropped', () => {
        const { s } = small();
        expect(s.admit(alice, 'pay', 0n)).toBeUndefined(); // indexed to be dropped at 60 s
        expect(s.admit(alice, 'pay', 61n * S)).toBeUndefined(); // a new window, to 121 s
        s.takeReport(0n, 62n * S); // prunes at 62 s: alice's entry is moved to 121 s, not dropped
        expect(s.status().tracked_callers).toBe(1n);
        expect(s.admit(alice, 'pay', 63n * S)).toBeUndefined();
        expect(s.admit(alice, 'pay', 64n * S)).toEqual({ CallQuota: { limit: 2n, resets_at: 121n * S } });
        s.takeReport(0n, 122n * S);
        expect(s.status().tracked_callers).toBe(0n);
    });

    it('keeps the counters across an upgrade: a caller at its quota stays refused in a new instance', () => {
        const { s, store } = small();
        expect(s.admit(alice, 'pay', 0n)).toBeUndefined();
        s.settle(alice, 'pay', 10n, 0n, 'failed');
        expect(s.admit(alice, 'pay', 1n)).toBeUndefined();
        s.flush(); // as a metered method that awaits does
        const upgraded = new Sponsorship(store, { maxCallers: CAP, maxTrusted: CAP });
        expect(upgraded.admit(alice, 'pay', 2n)).toEqual({ CallQuota: { limit: 2n, resets_at: 60n * S } });
        expect(upgraded.status().tracked_callers).toBe(1n);
    });

    it('remembers a successful caller for the trust period across instances, then forgets it', () => {
        const store = new MemoryByteMap();
        const s = new Sponsorship(store, { maxCallers: CAP, maxTrusted: CAP });
        const open: MethodRule = { refuse_anonymous: true, calls_per_window: [], instructions_per_window: [] };
        s.setPolicy({ ...policy, global_calls_per_window: [2n], methods: [['pay', open]] });
        expect(s.admit(alice, 'pay', 0n)).toBeUndefined();
        s.settle(alice, 'pay', 10n, 0n, 'succeeded');
        // An upgrade: a new instance on the same stable map, with the heap's failure counts empty.
        const later = new Sponsorship(store, { maxCallers: CAP, maxTrusted: CAP });
        const fail = (from: number, at: bigint) => {
            for (let i = from; i < from + 2; i++) {
                expect(later.admit(stranger(i), 'pay', at)).toBeUndefined();
                later.settle(stranger(i), 'pay', 10n, at, 'failed');
            }
        };
        const late = (TRUST_SECONDS - 7_200n) * S;
        fail(0, late);
        expect(later.admit(bob, 'pay', late)).toHaveProperty('GlobalCap');
        expect(later.admit(alice, 'pay', late)).toBeUndefined(); // trusted, from the first instance's write
        const after = (TRUST_SECONDS + 120n) * S;
        fail(2, after);
        expect(later.admit(alice, 'pay', after)).toHaveProperty('GlobalCap'); // a day without a success
    });
});
