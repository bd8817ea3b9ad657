/**
 * Actors as @dfinity/pic makes them: one async method per method of the service, which encodes its
 * arguments with the method's IDL types, sends a query or an update, and decodes the reply (nothing for no
 * result, the value for one, a tuple for several). `setPrincipal` and `setIdentity` choose the sender.
 */
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

export type InterfaceFactory = (idl: { IDL: typeof IDL }) => IDL.ServiceClass;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the method shape pic-js declares for any service
export type ActorMethod = (...args: any[]) => Promise<unknown>;
export type ActorInterface<T = object> = { [K in keyof T]: ActorMethod };
export type Actor<T extends ActorInterface<T> = ActorInterface> = T & {
    setPrincipal(principal: Principal): void;
    setIdentity(identity: { getPrincipal(): Principal }): void;
};

type Transport = {
    query(o: { canisterId: Principal; method: string; arg: Uint8Array; sender: Principal }): Promise<Uint8Array>;
    update(o: { canisterId: Principal; method: string; arg: Uint8Array; sender: Principal }): Promise<Uint8Array>;
};

export function decodeResult(types: readonly IDL.Type[], bytes: Uint8Array): unknown {
    const values = IDL.decode([...types], bytes);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
}

export function createActor<T extends ActorInterface<T>>(
    idlFactory: InterfaceFactory,
    canisterId: Principal,
    transport: Transport
): Actor<T> {
    const service = idlFactory({ IDL });
    let sender = Principal.anonymous();
    const actor: Record<string, unknown> = {
        setPrincipal(principal: Principal) {
            sender = principal;
        },
        setIdentity(identity: { getPrincipal(): Principal }) {
            sender = identity.getPrincipal();
        }
    };
    for (const [method, func] of service._fields) {
        const isQuery = func.annotations.includes('query') || func.annotations.includes('composite_query');
        actor[method] = async (...args: unknown[]) => {
            const arg = new Uint8Array(IDL.encode(func.argTypes, args));
            const send = isQuery ? transport.query : transport.update;
            return decodeResult(func.retTypes, await send({ canisterId, method, arg, sender }));
        };
    }
    return actor as Actor<T>;
}
