/**
 * The registry's public interface, in one place: manufacturers, registration, heartbeats, ownership, epochs
 * and rewards, queries, and the sponsorship methods every sponsored canister serves. The implementation is
 * `index.ts`; the rules are `registry.ts`.
 */
import { c, defineService, query, update } from '../../candid';
import {
    AddDelegateArgs,
    AddManufacturerArgs,
    BatchResult,
    ClaimDeviceArgs,
    ClaimRewardsArgs,
    ClaimRewardsResult,
    Device,
    DeviceRef,
    DeviceResult,
    DeviceRegistration,
    EpochSummary,
    HeartbeatArgs,
    HeartbeatResult,
    ListDevicesArgs,
    Manufacturer,
    ManufacturerResult,
    RegistryConfig,
    RegistryError,
    RegistryInit,
    RegistryResult,
    RegistryStats,
    RelayedHeartbeat,
    RelayResult,
    RemoveDelegateArgs,
    RewardSettings,
    SetBeneficiaryArgs,
    SetStatusArgs,
    TransferDeviceArgs
} from './types';
import { httpMethods } from '../../ic/http/interface';
import { sponsorshipMethods } from '../../sponsorship/policy';

/** What a caller other than a controller gets from a controller's method. */
const controllersOnly = () => ({ Err: { NotAuthorized: { reason: 'only a controller of the registry may do this' } } });
/** What a caller the sponsorship policy refuses gets. */
const throttled = (reason: string) => ({ Err: { Throttled: { reason } } });

export const ListDevicesResult = c.named('ListDevicesResult', c.variant({ Ok: c.vec(Device), Err: RegistryError }));

export const registryService = defineService({
    init: [RegistryInit],
    methods: {
        // controllers
        add_manufacturer: update([AddManufacturerArgs], ManufacturerResult, { controllerOnly: controllersOnly }),
        revoke_manufacturer: update([c.record({ manufacturer: c.principal(), reason: c.text() })], RegistryResult, {
            controllerOnly: controllersOnly
        }),
        set_gateway: update([c.record({ gateway: c.principal(), allowed: c.bool() })], RegistryResult, {
            controllerOnly: controllersOnly
        }),
        set_reward_settings: update([RewardSettings], RegistryResult, { controllerOnly: controllersOnly }),
        set_token: update([c.opt(c.principal())], RegistryResult, { controllerOnly: controllersOnly }),
        close_epochs: update([], c.record({ credited: c.nat32(), remaining: c.bool() }), {
            controllerOnly: () => {
                throw new Error('close_epochs: only a controller may close epochs (a timer closes them too)');
            }
        }),

        // manufacturers
        register_device: update([DeviceRegistration], DeviceResult, { metered: throttled }),
        register_devices: update([c.vec(DeviceRegistration)], BatchResult, { metered: throttled }),

        // devices and gateways
        heartbeat: update([HeartbeatArgs], HeartbeatResult, { metered: throttled }),
        relay_heartbeats: update([c.vec(RelayedHeartbeat)], RelayResult, { metered: throttled }),

        // owners
        claim_device: update([ClaimDeviceArgs], RegistryResult, { metered: throttled }),
        transfer_device: update([TransferDeviceArgs], RegistryResult),
        set_beneficiary: update([SetBeneficiaryArgs], RegistryResult),
        add_delegate: update([AddDelegateArgs], RegistryResult),
        remove_delegate: update([RemoveDelegateArgs], RegistryResult),
        set_device_status: update([SetStatusArgs], RegistryResult),
        claim_rewards: update([ClaimRewardsArgs], ClaimRewardsResult, { metered: throttled }),

        // queries
        get_device: query([DeviceRef], c.opt(Device)),
        list_devices: query([ListDevicesArgs], ListDevicesResult),
        get_manufacturer: query([c.principal()], c.opt(Manufacturer)),
        list_manufacturers: query([], c.vec(Manufacturer)),
        get_epoch: query([c.nat64()], c.opt(EpochSummary)),
        get_config: query([], RegistryConfig),
        get_stats: query([], RegistryStats),

        ...httpMethods,
        ...sponsorshipMethods
    }
});
