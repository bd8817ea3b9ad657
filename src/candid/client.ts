/**
 * Client-side validation: the same schemas the canister checks, run before a call is sent, so a bad argument
 * costs the caller a thrown {@link InvalidArgumentError} instead of a round trip (and the canister nothing).
 */
import type { ActorOf, Methods, Service } from './service';
import type { AnySchema } from './node';
import { checkArgs, InvalidArgumentError } from './validate';

/**
 * Wraps an actor (from @dfinity/agent's `Actor.createActor` or @dfinity/pic's `createActor`) so that each
 * method checks its arguments against the service's schemas before sending. Other properties pass through.
 */
export function withValidation<M extends Methods, I extends readonly AnySchema[], A extends object>(
    service: Service<M, I>,
    actor: A
): A & ActorOf<M> {
    return new Proxy(actor, {
        get(target, property, receiver) {
            const value: unknown = Reflect.get(target, property, receiver);
            const spec = typeof property === 'string' ? service.methods[property] : undefined;
            if (spec === undefined || typeof value !== 'function') return value;
            return (...args: unknown[]) => {
                const checked = checkArgs(spec.args, args);
                if (!checked.ok) return Promise.reject(new InvalidArgumentError(property as string, checked.reason));
                return (value as (...a: unknown[]) => unknown).apply(target, checked.value);
            };
        }
    }) as A & ActorOf<M>;
}
