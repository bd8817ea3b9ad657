/**
 * Rewards: when an epoch ends, a timer turns each device's counted heartbeats into points (nothing below the
 * uptime gate), pays each point at the configured rate or less when the epoch cap would be passed, and
 * credits the devices; beneficiaries claim cumulatively through the token, which mints exactly what was
 * claimed; a failed payout is undone. Everything survives an upgrade.
 */
import { IDL } from '@dfinity/candid';

import { wasmOf } from '../../scripts/lib/build';
import { registryService } from '../../src/canisters/registry/service';
import type { DeviceSigner } from '../../src/canisters/registry/device-signer';
import { createIc, type TestIc } from '../support/ic';
import { deployRegistry, EPOCHS, identity, issuingKey, newDevice, nowPlus, REWARDS, type Suite } from './setup';

const controller = identity(81);
const maker = identity(82);
const owner = identity(83);
const payee = identity(84);
const INTERVAL_MS = 600_000;
const EPOCH_MS = 3_600_000;

let ic: TestIc;
let s: Suite;
let steady: DeviceSigner; // a heartbeat in every interval: 6 of 6
let gated: DeviceSigner; // exactly at the 50% gate: 3 of 6
let flaky: DeviceSigner; // under the gate: 2 of 6

async function beat(device: DeviceSigner): Promise<void> {
    s.registry.setPrincipal(device.id);
    const result = await s.registry.heartbeat({ location: [] });
    if (!('Ok' in result)) throw new Error(JSON.stringify(result));
}

/** Runs one epoch: in interval i, each device whose pattern has i beats. */
async function runEpoch(patterns: [DeviceSigner, number[]][]): Promise<void> {
    for (let interval = 0; interval < 6; interval++) {
        for (const [device, beats] of patterns) if (beats.includes(interval)) await beat(device);
        await ic.advanceTime(INTERVAL_MS);
    }
    await ic.tick(3); // the closing timer
}

async function devices() {
    s.registry.setIdentity(owner);
    return Promise.all(
        [steady, gated, flaky].map(async (d) => {
            const [device] = await s.registry.get_device({ Id: d.id });
            return device;
        })
    );
}

beforeAll(async () => {
    ic = await createIc();
    s = await deployRegistry(ic, controller);
    await s.registry.add_manufacturer({ name: 'Acme', issuing_key: issuingKey(maker), quota: 100n });
    [steady, gated, flaky] = [
        newDevice('Ed25519', s.registryId),
        newDevice('P256', s.registryId),
        newDevice('Secp256k1', s.registryId)
    ];
    for (const device of [steady, gated, flaky]) {
        s.registry.setIdentity(maker);
        await s.registry.register_device(device.registration(maker.getPrincipal(), await nowPlus(ic, 3_600n)));
        s.registry.setIdentity(owner);
        await s.registry.claim_device(device.claim(owner.getPrincipal(), await nowPlus(ic, 3_600n)));
    }
    // start at the beginning of an epoch: genesis is the install time
    const { genesis } = await s.registry.get_config();
    const since = BigInt(await ic.getTime()) * 1_000_000n - genesis;
    await ic.advanceTime(EPOCH_MS - Number((since / 1_000_000n) % BigInt(EPOCH_MS)));
    await ic.tick(3);
});

afterAll(async () => {
    await ic.tearDown();
});

describe('closing an epoch', () => {
    it('credits counted heartbeats at the rate, and nothing under the uptime gate', async () => {
        const { current_epoch: epoch } = await s.registry.get_stats();
        await runEpoch([
            [steady, [0, 1, 2, 3, 4, 5]],
            [gated, [0, 2, 4]],
            [flaky, [1, 5]]
        ]);
        const [summary] = await s.registry.get_epoch(epoch);
        expect(summary).toMatchObject({ devices_seen: 3, devices_rewarded: 2, heartbeats: 11n, points: 9n, capped: false });
        expect(summary?.reward_per_point).toBe(REWARDS.reward_per_heartbeat);
        const [a, b, c] = await devices();
        expect([a?.rewards_earned, b?.rewards_earned, c?.rewards_earned]).toEqual([6_000n, 3_000n, 0n]);
        expect(summary?.rewarded).toBe(9_000n);
    });

    it('cuts every reward pro rata when the epoch cap would be passed (the circuit breaker)', async () => {
        s.registry.setIdentity(controller);
        expect(await s.registry.set_reward_settings({ reward_per_heartbeat: 1_000n, epoch_cap: 4_500n })).toEqual({ Ok: null });
        const { current_epoch: epoch } = await s.registry.get_stats();
        const before = await devices();
        await runEpoch([
            [steady, [0, 1, 2, 3, 4, 5]],
            [gated, [0, 1, 2]]
        ]);
        const [summary] = await s.registry.get_epoch(epoch);
        expect(summary).toMatchObject({ points: 9n, reward_per_point: 500n, capped: true, rewarded: 4_500n });
        const after = await devices();
        expect((after[0]?.rewards_earned ?? 0n) - (before[0]?.rewards_earned ?? 0n)).toBe(3_000n);
        expect((after[1]?.rewards_earned ?? 0n) - (before[1]?.rewards_earned ?? 0n)).toBe(1_500n);
        s.registry.setIdentity(controller);
        await s.registry.set_reward_settings(REWARDS);
    });
});

describe('claiming rewards', () => {
    it('is refused to strangers and for devices paying to different accounts', async () => {
        s.registry.setIdentity(payee);
        expect(await s.registry.claim_rewards({ devices: [steady.id] })).toMatchObject({ Err: { NotAuthorized: {} } });
        s.registry.setIdentity(owner);
        await s.registry.set_beneficiary({ device: gated.id, beneficiary: [{ owner: payee.getPrincipal(), subaccount: [] }] });
        expect(await s.registry.claim_rewards({ devices: [steady.id, gated.id] })).toMatchObject({
            Err: { InvalidArgument: {} }
        });
    });

    it('leaves everything as it was when the payout fails', async () => {
        s.registry.setIdentity(controller);
        await s.registry.set_token([s.registryId]); // a canister without icrc1_transfer
        const before = await devices();
        s.registry.setIdentity(owner);
        expect(await s.registry.claim_rewards({ devices: [steady.id] })).toMatchObject({ Err: { PayoutFailed: {} } });
        expect(await devices()).toEqual(before);
        expect((await s.registry.get_stats()).rewards_claimed).toBe(0n);
        s.registry.setIdentity(controller);
        await s.registry.set_token([s.tokenId]);
    });

    it('pays each device once, to its beneficiary, minting exactly what was claimed', async () => {
        const [a, b] = await devices();
        s.registry.setIdentity(owner);
        const toOwner = await s.registry.claim_rewards({ devices: [steady.id] });
        expect(toOwner).toMatchObject({ Ok: { amount: a?.rewards_earned, to: { owner: owner.getPrincipal() } } });
        expect(await s.registry.claim_rewards({ devices: [steady.id] })).toEqual({ Err: { NothingToClaim: null } });
        s.registry.setIdentity(payee); // the beneficiary claims too
        const toPayee = await s.registry.claim_rewards({ devices: [gated.id] });
        expect(toPayee).toMatchObject({ Ok: { amount: b?.rewards_earned, to: { owner: payee.getPrincipal() } } });

        const account = (who: typeof owner) => ({ owner: who.getPrincipal(), subaccount: [] as [] });
        expect(await s.token.icrc1_balance_of(account(owner))).toBe(a?.rewards_earned);
        expect(await s.token.icrc1_balance_of(account(payee))).toBe(b?.rewards_earned);
        const stats = await s.registry.get_stats();
        expect(await s.token.icrc1_total_supply()).toBe(stats.rewards_claimed);
        expect(stats.rewards_claimed).toBe(stats.rewards_earned);
    });
});

describe('an upgrade', () => {
    it('keeps devices, counts, rewards and the closing timer', async () => {
        s.registry.setIdentity(owner);
        const before = { stats: await s.registry.get_stats(), devices: await devices() };
        await ic.upgradeCanister({
            canisterId: s.registryId,
            wasm: await wasmOf('registry'),
            arg: registryService.encodeInit(IDL, [{ token: [s.tokenId], epochs: EPOCHS, rewards: REWARDS }]),
            sender: controller.getPrincipal()
        });
        await ic.tick(5);
        s.registry.setIdentity(owner);
        expect(await s.registry.get_stats()).toEqual(before.stats);
        expect(await devices()).toEqual(before.devices);
        const { current_epoch: epoch } = await s.registry.get_stats();
        await runEpoch([[steady, [0, 1, 2, 3, 4, 5]]]);
        const [summary] = await s.registry.get_epoch(epoch);
        expect(summary).toMatchObject({ devices_rewarded: 1, rewarded: 6_000n });
    });
});
