/**
 * The reward rule without a network: the points kept as heartbeats arrive add up to the points counted at the
 * close, the cap is never passed, and H3 cell indexes are told from other numbers.
 */
import fc from 'fast-check';

import type { EpochSettings } from './types';
import { isH3Cell, minimumBeats, pointsAdded, pointsOf, rewardPerPoint } from './epochs';

const settings = fc
    .record({
        heartbeat_interval_seconds: fc.bigInt({ min: 1n, max: 3_600n }),
        intervals: fc.bigInt({ min: 1n, max: 200n }),
        min_uptime_percent: fc.integer({ min: 0, max: 100 })
    })
    .map(({ heartbeat_interval_seconds, intervals, min_uptime_percent }): EpochSettings => ({
        heartbeat_interval_seconds,
        epoch_seconds: heartbeat_interval_seconds * intervals,
        min_uptime_percent
    }));

describe('points', () => {
    it('kept heartbeat by heartbeat equal the points of the final count', () => {
        fc.assert(
            fc.property(settings, fc.integer({ min: 0, max: 200 }), (s, beats) => {
                let running = 0n;
                for (let b = 1n; b <= BigInt(beats); b++) running += pointsAdded(s, b);
                expect(running).toBe(pointsOf(s, BigInt(beats)));
            })
        );
    });

    it('are nothing below the uptime gate, rounded up (50% of 6 intervals is 3 heartbeats)', () => {
        const s: EpochSettings = { heartbeat_interval_seconds: 600n, epoch_seconds: 3_600n, min_uptime_percent: 50 };
        expect(minimumBeats(s)).toBe(3n);
        expect(pointsOf(s, 2n)).toBe(0n);
        expect(pointsOf(s, 3n)).toBe(3n);
        expect(minimumBeats({ ...s, min_uptime_percent: 51 })).toBe(4n);
    });
});

describe('the epoch cap', () => {
    it('is never passed, and a point is worth the rate whenever the cap allows', () => {
        fc.assert(
            fc.property(
                fc.bigInt({ min: 0n, max: 10n ** 12n }),
                fc.bigInt({ min: 0n, max: 10n ** 15n }),
                fc.bigInt({ min: 0n, max: 10n ** 9n }),
                (rate, cap, points) => {
                    const { perPoint, capped } = rewardPerPoint({ reward_per_heartbeat: rate, epoch_cap: cap }, points);
                    expect(perPoint * points <= cap || points === 0n).toBe(true);
                    expect(capped).toBe(rate * points > cap);
                    if (!capped) expect(perPoint).toBe(rate);
                }
            )
        );
    });
});

describe('H3 cells', () => {
    it('accepts cell indexes at every resolution and refuses other numbers', () => {
        expect(isH3Cell(0x8a2a1072b59ffffn)).toBe(true); // resolution 10 (from H3's documentation)
        expect(isH3Cell(0x8029fffffffffffn)).toBe(true); // a resolution-0 base cell
        expect(isH3Cell(0x8f2a1072b59a5a4n)).toBe(true); // resolution 15
        expect(isH3Cell(0n)).toBe(false);
        expect(isH3Cell(0x8a2a1072b59fffen)).toBe(false); // a digit past the resolution is not 7
        expect(isH3Cell(0x118a1072b59ffffn)).toBe(false); // mode 2 (a directed edge)
        expect(isH3Cell(0x80f3fffffffffffn)).toBe(true); // base cell 121, the last
        expect(isH3Cell(0x80f5fffffffffffn)).toBe(false); // base cell 122 does not exist
    });
});
