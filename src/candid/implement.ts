/**
 * Azle decorators derived from a service description.
 *
 * ```ts
 * import * as azle from 'azle';
 * const api = implement(counterService, azle);
 * export default class {
 *     @api.update('increment') increment(arg: IncrementArg): IncrementResult { ... }
 * }
 * ```
 *
 * Each decorator hands Azle the method's IDL types (so Azle's generated `.did` is the service's) and serves the
 * method itself, in Azle's manual mode: it decodes the argument bytes with the suite's codec (`wire.ts`, a
 * fraction of the cost of Azle's automatic `IDL.decode`/`IDL.encode` in QuickJS), checks them against their
 * schemas, runs the body and replies with the encoded result. A refused argument becomes the method's `invalid`
 * result, or a trap with the reason; bytes that are not Candid of the method's types trap too. TypeScript checks
 * the method's parameters and result against the schemas; the build fails if a decorator names a method the
 * service lacks, or one of another kind.
 *
 * The cross-cutting rules a method declares in the service (`controllerOnly`, `metered`) are applied here, after
 * the argument check and before the body, so a body holds only its work and no method name is written twice:
 * a controller-only method answers any other caller with its declared refusal; a metered one runs through the
 * meter passed to `implement` (the sponsorship module's `SponsoredCanister`). `inspect` gives `inspect_message`
 * the same declarations: unknown methods and controller-only methods called by others are refused there.
 *
 * This module takes Azle's exports as a parameter instead of importing them, so `src/candid` stays importable
 * by clients and tests that never load Azle.
 */
import type { Principal } from '@dfinity/principal';

import { IdlConverter, type IdlNamespace, type IdlType } from './idl';
import type { ArgsOf, MethodMode, Methods, MethodSpec, ResultOf, Service } from './service';
import type { AnySchema } from './node';
import { type Checked, checkArgs, decodedArgsChecker, InvalidArgumentError } from './validate';
import { CandidDecodeError, decoder, type Encoder, encoder } from './wire';

type Method<This, A extends unknown[], R> = (this: This, ...args: A) => R;
type AzleDecorator = <This, A extends unknown[], R>(
    method: Method<This, A, R>,
    context: ClassMethodDecoratorContext<This, Method<This, A, R>>
) => void;

/** The part of Azle's exports this module uses (`import * as azle from 'azle'` has it). */
export type AzleApi = {
    readonly IDL: IdlNamespace;
    readonly query: (params?: IdlType[], ret?: IdlType, options?: { composite?: boolean; manual?: boolean }) => AzleDecorator;
    readonly update: (params?: IdlType[], ret?: IdlType, options?: { manual?: boolean }) => AzleDecorator;
    /** The argument bytes of the message being served. */
    readonly msgArgData: () => Uint8Array;
    /** Replies to the message being served with these bytes. */
    readonly msgReply: (reply: Uint8Array) => void;
    readonly init: (params?: IdlType[]) => AzleDecorator;
    readonly postUpgrade: (params?: IdlType[]) => AzleDecorator;
    /** The caller of the message being served (for `controllerOnly` methods and `inspect`). */
    readonly msgCaller?: () => Principal;
    readonly isController?: (principal: Principal) => boolean;
};

/**
 * What runs a metered method: admits the caller or answers with `refused(reason)`, runs `body`, records the
 * call (`SponsoredCanister` is one).
 */
export type Meter = {
    metered<R>(method: string, refused: (reason: string) => R, body: () => R): R;
};

/** What `implement` needs for the rules the service declares, beyond Azle's exports. */
export type ImplementOptions = { readonly meter?: Meter };

type KeysOfMode<M extends Methods, Mode extends MethodMode> = {
    [K in keyof M]: M[K]['mode'] extends Mode ? K : never;
}[keyof M] &
    string;

/** A decorator for a method whose arguments are `A` and whose result is `R` (or a promise of it). */
export type TypedDecorator<A extends unknown[], R> = <This>(
    method: Method<This, A, R | Promise<R>>,
    context: ClassMethodDecoratorContext<This, Method<This, A, R | Promise<R>>>
) => void;

export type Implementation<M extends Methods, I extends readonly AnySchema[]> = {
    query<K extends KeysOfMode<M, 'query' | 'composite_query'>>(
        name: K
    ): TypedDecorator<ArgsOf<M[K]['args']>, ResultOf<M[K]['ret']>>;
    update<K extends KeysOfMode<M, 'update'>>(name: K): TypedDecorator<ArgsOf<M[K]['args']>, ResultOf<M[K]['ret']>>;
    /** `@init`: Azle requires init and post-upgrade to take the same arguments; both are the service's `init`. */
    init(): TypedDecorator<ArgsOf<I>, void>;
    postUpgrade(): TypedDecorator<ArgsOf<I>, void>;
    /**
     * `inspect_message`'s part of the declarations: false for a method the service lacks, and for a
     * controller-only method called by another principal.
     */
    inspect(method: string, caller: Principal): boolean;
};

type ArgsCheck = (args: unknown[]) => Checked<unknown[]>;

/** Wraps a method so its arguments are checked first; `onInvalid` decides what a refused call returns. */
function guarded<This, A extends unknown[], R>(
    method: Method<This, A, R>,
    checkAll: ArgsCheck,
    methodName: string,
    onInvalid: ((reason: string) => R) | undefined
): Method<This, A, R> {
    return function (this: This, ...args: A): R {
        const checked = checkAll(args);
        if (checked.ok) return method.apply(this, checked.value as A);
        if (onInvalid !== undefined) return onInvalid(checked.reason);
        throw new InvalidArgumentError(methodName, checked.reason);
    };
}

/**
 * The method with the rules its spec declares around it: the controller check first (a refused caller costs no
 * metering), then the meter.
 */
function ruled<This, A extends unknown[], R>(
    method: Method<This, A, R>,
    spec: MethodSpec,
    methodName: string,
    azle: AzleApi,
    options: ImplementOptions
): Method<This, A, R> {
    let run = method;
    const refusedByMeter = spec.metered as ((reason: string, ...args: A) => R) | undefined;
    if (refusedByMeter !== undefined) {
        const meter = options.meter;
        if (meter === undefined) throw new Error(`${methodName} is metered, but implement() was given no meter`);
        run = function (this: This, ...args: A): R {
            return meter.metered(
                methodName,
                (reason) => refusedByMeter(reason, ...args),
                () => method.apply(this, args)
            );
        };
    }
    const refusedCaller = spec.controllerOnly as (() => R) | undefined;
    if (refusedCaller !== undefined) {
        const { msgCaller, isController } = azle;
        if (msgCaller === undefined || isController === undefined) {
            throw new Error(`${methodName} is for controllers, but implement() was given no msgCaller and isController`);
        }
        const inner = run;
        run = function (this: This, ...args: A): R {
            return isController(msgCaller()) ? inner.apply(this, args) : refusedCaller();
        };
    }
    return run;
}

/** A method's Candid as the suite serves it: its argument bytes decoded, checked, and its result encoded. */
export type MethodCodec = {
    /** The arguments in the bytes; throws CandidDecodeError for bytes that are not Candid of the method's types. */
    decode(bytes: Uint8Array): unknown[];
    /** The decoded arguments' refinements (the suite's decoder already checked their types: validate.ts). */
    check(args: unknown[]): Checked<unknown[]>;
    /** Whether the method has a result: the values {@link encode} takes are `[result]`, or none. */
    readonly returns: boolean;
    /** The reply bytes of the method's result values. */
    readonly encode: Encoder;
};

/**
 * The codec a method is served with, from its spec: the suite's decoder and encoder (`wire.ts`). The canisters'
 * methods are served with it here, and the local IC's management canister with the same.
 */
export function methodCodec(spec: MethodSpec): MethodCodec {
    const results = spec.ret === undefined ? [] : [spec.ret];
    return {
        decode: decoder(spec.args),
        check: decodedArgsChecker(spec.args),
        returns: results.length > 0,
        encode: encoder(results)
    };
}

/**
 * Serves a query or update in Azle's manual mode: decodes the message's argument bytes, runs the checked method
 * and replies with its encoded result (once its promise settles, for an async method).
 */
function served<This, A extends unknown[], R>(
    method: Method<This, A, R>,
    spec: MethodSpec,
    methodName: string,
    azle: AzleApi,
    options: ImplementOptions
): Method<This, [], void | Promise<void>> {
    const codec = methodCodec(spec);
    const { decode, encode, returns } = codec;
    const reply = (result: unknown): void => azle.msgReply(encode(returns ? [result] : []));
    const checkedMethod = guarded(
        ruled(method, spec, methodName, azle, options),
        codec.check,
        methodName,
        spec.invalid as ((reason: string) => R) | undefined
    );
    return function (this: This): void | Promise<void> {
        let args: unknown[];
        try {
            args = decode(azle.msgArgData());
        } catch (e) {
            if (e instanceof CandidDecodeError) throw new InvalidArgumentError(methodName, e.message);
            throw e;
        }
        const result: unknown = checkedMethod.apply(this, args as A);
        if (result instanceof Promise) return result.then(reply);
        reply(result);
    };
}

export function implement<M extends Methods, I extends readonly AnySchema[]>(
    service: Service<M, I>,
    azle: AzleApi,
    options: ImplementOptions = {}
): Implementation<M, I> {
    const converter = new IdlConverter(azle.IDL);
    const initTypes = converter.types(service.init);

    function method(name: string, kind: 'query' | 'update'): AzleDecorator {
        const spec = service.methods[name];
        if (spec === undefined) throw new Error(`@${kind}('${name}'): the service has no method "${name}"`);
        const specKind = spec.mode === 'update' ? 'update' : 'query';
        if (specKind !== kind) throw new Error(`@${kind}('${name}'): the service declares "${name}" as ${spec.mode}`);
        const params = converter.types(spec.args);
        const ret = spec.ret === undefined ? undefined : converter.type(spec.ret);
        const register =
            kind === 'update'
                ? azle.update(params, ret, { manual: true })
                : azle.query(params, ret, { composite: spec.mode === 'composite_query', manual: true });
        return (original, context) => {
            if (context.name !== name) {
                throw new Error(`@${kind}('${name}') decorates a method named "${String(context.name)}": the names must match`);
            }
            register(served(original, spec, name, azle, options) as typeof original, context);
        };
    }

    function lifecycle(kind: 'init' | 'postUpgrade'): AzleDecorator {
        const register = azle[kind](initTypes);
        // Azle decodes init arguments itself, so they get Zod's whole check.
        const checkInit: ArgsCheck = (args) => checkArgs(service.init, args);
        return (original, context) => register(guarded(original, checkInit, kind, undefined), context);
    }

    return {
        query: (name) => method(name, 'query'),
        update: (name) => method(name, 'update'),
        init: () => lifecycle('init'),
        postUpgrade: () => lifecycle('postUpgrade'),
        inspect: (name, caller) => {
            const spec = Object.hasOwn(service.methods, name) ? service.methods[name] : undefined;
            if (spec === undefined) return false;
            return spec.controllerOnly === undefined || azle.isController?.(caller) === true;
        }
    };
}
