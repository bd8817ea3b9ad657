/**
 * A client of dfinity/cycles-wallet as dfx and agent users write one: the methods the suite's wallet serves,
 * declared with @dfinity/candid's IDL from the original's `wallet/src/lib.did` (commit b013764, release
 * 20240410), independently of the suite's schemas. Calls through it show that the wallet answers clients of
 * the original wallet: a type that differed would fail to decode.
 */
import type { IDL as CandidIDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

export const cyclesWalletIdl = ({ IDL }: { IDL: typeof CandidIDL }) => {
    const Role = IDL.Variant({ Contact: IDL.Null, Custodian: IDL.Null, Controller: IDL.Null });
    const kind = (amount: CandidIDL.Type) =>
        IDL.Variant({
            CyclesSent: IDL.Record({ to: IDL.Principal, amount, refund: amount }),
            CyclesReceived: IDL.Record({ from: IDL.Principal, amount, memo: IDL.Opt(IDL.Text) }),
            AddressAdded: IDL.Record({ id: IDL.Principal, name: IDL.Opt(IDL.Text), role: Role }),
            AddressRemoved: IDL.Record({ id: IDL.Principal }),
            CanisterCreated: IDL.Record({ canister: IDL.Principal, cycles: amount }),
            CanisterCalled: IDL.Record({ canister: IDL.Principal, method_name: IDL.Text, cycles: amount }),
            WalletDeployed: IDL.Record({ canister: IDL.Principal })
        });
    const Event = IDL.Record({ id: IDL.Nat32, timestamp: IDL.Nat64, kind: kind(IDL.Nat64) });
    const Event128 = IDL.Record({ id: IDL.Nat32, timestamp: IDL.Nat64, kind: kind(IDL.Nat) });
    const WalletResult = IDL.Variant({ Ok: IDL.Null, Err: IDL.Text });
    const WalletResultCreate = IDL.Variant({ Ok: IDL.Record({ canister_id: IDL.Principal }), Err: IDL.Text });
    const WalletResultCall = IDL.Variant({ Ok: IDL.Record({ return: IDL.Vec(IDL.Nat8) }), Err: IDL.Text });
    const CanisterSettings = IDL.Record({
        controller: IDL.Opt(IDL.Principal),
        controllers: IDL.Opt(IDL.Vec(IDL.Principal)),
        compute_allocation: IDL.Opt(IDL.Nat),
        memory_allocation: IDL.Opt(IDL.Nat),
        freezing_threshold: IDL.Opt(IDL.Nat)
    });
    const range = IDL.Opt(IDL.Record({ from: IDL.Opt(IDL.Nat32), to: IDL.Opt(IDL.Nat32) }));
    const call = (cycles: CandidIDL.Type) =>
        IDL.Record({ canister: IDL.Principal, method_name: IDL.Text, args: IDL.Vec(IDL.Nat8), cycles });
    return IDL.Service({
        wallet_api_version: IDL.Func([], [IDL.Text], ['query']),
        get_controllers: IDL.Func([], [IDL.Vec(IDL.Principal)], ['query']),
        add_controller: IDL.Func([IDL.Principal], [], []),
        remove_controller: IDL.Func([IDL.Principal], [WalletResult], []),
        get_custodians: IDL.Func([], [IDL.Vec(IDL.Principal)], ['query']),
        authorize: IDL.Func([IDL.Principal], [], []),
        deauthorize: IDL.Func([IDL.Principal], [WalletResult], []),
        wallet_balance: IDL.Func([], [IDL.Record({ amount: IDL.Nat64 })], ['query']),
        wallet_balance128: IDL.Func([], [IDL.Record({ amount: IDL.Nat })], ['query']),
        wallet_send: IDL.Func([IDL.Record({ canister: IDL.Principal, amount: IDL.Nat64 })], [WalletResult], []),
        wallet_send128: IDL.Func([IDL.Record({ canister: IDL.Principal, amount: IDL.Nat })], [WalletResult], []),
        wallet_receive: IDL.Func([IDL.Opt(IDL.Record({ memo: IDL.Opt(IDL.Text) }))], [], []),
        wallet_create_canister: IDL.Func(
            [IDL.Record({ cycles: IDL.Nat64, settings: CanisterSettings })],
            [WalletResultCreate],
            []
        ),
        wallet_create_canister128: IDL.Func(
            [IDL.Record({ cycles: IDL.Nat, settings: CanisterSettings })],
            [WalletResultCreate],
            []
        ),
        wallet_call: IDL.Func([call(IDL.Nat64)], [WalletResultCall], []),
        wallet_call128: IDL.Func([call(IDL.Nat)], [WalletResultCall], []),
        get_events: IDL.Func([range], [IDL.Vec(Event)], ['query']),
        get_events128: IDL.Func([range], [IDL.Vec(Event128)], ['query'])
    });
};

export type WalletResult = { Ok: null } | { Err: string };
type EventRange = [] | [{ from: [] | [number]; to: [] | [number] }];
export type CanisterSettings = {
    controller: [] | [Principal];
    controllers: [] | [Principal[]];
    compute_allocation: [] | [bigint];
    memory_allocation: [] | [bigint];
    freezing_threshold: [] | [bigint];
};
type CallArgs = { canister: Principal; method_name: string; args: Uint8Array; cycles: bigint };
export type LegacyEvent = { id: number; timestamp: bigint; kind: Record<string, Record<string, unknown>> };

/** The methods of {@link cyclesWalletIdl}, as an actor has them. */
export type CyclesWalletActor = {
    wallet_api_version(): Promise<string>;
    get_controllers(): Promise<Principal[]>;
    add_controller(p: Principal): Promise<void>;
    remove_controller(p: Principal): Promise<WalletResult>;
    get_custodians(): Promise<Principal[]>;
    authorize(p: Principal): Promise<void>;
    deauthorize(p: Principal): Promise<WalletResult>;
    wallet_balance(): Promise<{ amount: bigint }>;
    wallet_balance128(): Promise<{ amount: bigint }>;
    wallet_send(arg: { canister: Principal; amount: bigint }): Promise<WalletResult>;
    wallet_send128(arg: { canister: Principal; amount: bigint }): Promise<WalletResult>;
    wallet_receive(arg: [] | [{ memo: [] | [string] }]): Promise<void>;
    wallet_create_canister(arg: {
        cycles: bigint;
        settings: CanisterSettings;
    }): Promise<{ Ok: { canister_id: Principal } } | { Err: string }>;
    wallet_create_canister128(arg: {
        cycles: bigint;
        settings: CanisterSettings;
    }): Promise<{ Ok: { canister_id: Principal } } | { Err: string }>;
    wallet_call(arg: CallArgs): Promise<{ Ok: { return: Uint8Array } } | { Err: string }>;
    wallet_call128(arg: CallArgs): Promise<{ Ok: { return: Uint8Array } } | { Err: string }>;
    get_events(range: EventRange): Promise<LegacyEvent[]>;
    get_events128(range: EventRange): Promise<LegacyEvent[]>;
};

/** The cycles-wallet methods the suite's wallet serves (a test checks each is called). */
export const CYCLES_WALLET_METHODS = [
    'wallet_api_version',
    'get_controllers',
    'add_controller',
    'remove_controller',
    'get_custodians',
    'authorize',
    'deauthorize',
    'wallet_balance',
    'wallet_balance128',
    'wallet_send',
    'wallet_send128',
    'wallet_receive',
    'wallet_create_canister',
    'wallet_create_canister128',
    'wallet_call',
    'wallet_call128',
    'get_events',
    'get_events128'
] as const;
