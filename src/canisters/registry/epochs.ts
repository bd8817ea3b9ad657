/**
 * Heartbeats, epochs and rewards as pure functions of the settings and the clock. The rule (docs/registry.md):
 *
 * - time since `genesis` is cut into intervals of `heartbeat_interval_seconds`; a device's heartbeat counts at
 *   most once per interval;
 * - an epoch is `epoch_seconds` long, so it has `N = epoch_seconds / heartbeat_interval_seconds` intervals;
 * - a device's points for an epoch are its counted heartbeats if they reach `min_uptime_percent` of `N`
 *   (rounded up), and 0 below that;
 * - each point is worth `reward_per_heartbeat`, unless the epoch's points at that price would pay more than
 *   `epoch_cap`: then a point is worth `epoch_cap / points` (rounded down), so the epoch pays at most the cap.
 */
import { NANOS_PER_SECOND } from '../../ic/constants';
import type { EpochSettings, RewardSettings } from './types';

/** Refuses settings the rule cannot use: a zero interval, an epoch not a whole number of intervals, >100%. */
export function epochSettingsError(settings: EpochSettings): string | undefined {
    const { heartbeat_interval_seconds: interval, epoch_seconds: epoch } = settings;
    if (interval === 0n) return 'heartbeat_interval_seconds must be positive';
    if (epoch < interval || epoch % interval !== 0n)
        return 'epoch_seconds must be a positive multiple of heartbeat_interval_seconds';
    if (settings.min_uptime_percent > 100) return 'min_uptime_percent is at most 100';
    return undefined;
}

/** The interval `now` falls in (0 is the one starting at genesis). */
export function intervalOf(settings: EpochSettings, genesis: bigint, now: bigint): bigint {
    return now < genesis ? 0n : (now - genesis) / (settings.heartbeat_interval_seconds * NANOS_PER_SECOND);
}

export function epochOf(settings: EpochSettings, genesis: bigint, now: bigint): bigint {
    return now < genesis ? 0n : (now - genesis) / (settings.epoch_seconds * NANOS_PER_SECOND);
}

/** When interval `interval` starts. */
export function intervalStart(settings: EpochSettings, genesis: bigint, interval: bigint): bigint {
    return genesis + interval * settings.heartbeat_interval_seconds * NANOS_PER_SECOND;
}

/** When epoch `epoch` ends: it can close from then on. */
export function epochEnd(settings: EpochSettings, genesis: bigint, epoch: bigint): bigint {
    return genesis + (epoch + 1n) * settings.epoch_seconds * NANOS_PER_SECOND;
}

export function intervalsPerEpoch(settings: EpochSettings): bigint {
    return settings.epoch_seconds / settings.heartbeat_interval_seconds;
}

/** The heartbeats a device needs in an epoch to earn anything: the uptime gate, rounded up. */
export function minimumBeats(settings: EpochSettings): bigint {
    const n = intervalsPerEpoch(settings) * BigInt(settings.min_uptime_percent);
    return n === 0n ? 0n : (n + 99n) / 100n;
}

/** A device's points for an epoch in which it had `beats` counted heartbeats. */
export function pointsOf(settings: EpochSettings, beats: bigint): bigint {
    return beats >= minimumBeats(settings) ? beats : 0n;
}

/**
 * How much an epoch's points grow when a device's count reaches `beats`: by all of them when the device just
 * crossed the gate, by one above it, by nothing below it. Summed over heartbeats this is the sum of
 * {@link pointsOf}, which lets the registry keep each epoch's total as heartbeats arrive.
 */
export function pointsAdded(settings: EpochSettings, beats: bigint): bigint {
    const gate = minimumBeats(settings);
    if (gate === 0n) return 1n;
    if (beats < gate) return 0n;
    return beats === gate ? gate : 1n;
}

/** What a point is worth in an epoch with `points` in all, and whether the cap cut it. */
export function rewardPerPoint(rewards: RewardSettings, points: bigint): { perPoint: bigint; capped: boolean } {
    if (rewards.reward_per_heartbeat * points <= rewards.epoch_cap)
        return { perPoint: rewards.reward_per_heartbeat, capped: false };
    return { perPoint: rewards.epoch_cap / points, capped: true };
}

/**
 * Whether `cell` is an H3 cell index (H3 v4 bit layout): the high bit 0, mode 1 (cell), the reserved bits 0,
 * resolution 0 to 15, a base cell below 122, and the digits past the resolution all 7 (unused).
 */
export function isH3Cell(cell: bigint): boolean {
    if (cell >> 63n !== 0n) return false;
    if (((cell >> 59n) & 0xfn) !== 1n) return false;
    if (((cell >> 56n) & 0x7n) !== 0n) return false;
    const resolution = (cell >> 52n) & 0xfn;
    if (((cell >> 45n) & 0x7fn) >= 122n) return false;
    for (let r = resolution + 1n; r <= 15n; r++) {
        if (((cell >> ((15n - r) * 3n)) & 0x7n) !== 7n) return false;
    }
    return true;
}
