/**
 * One service description per canister: its init arguments and its methods, each a list of argument schemas
 * and a result schema. Everything else is derived from it: the IDL types of Azle's decorators (`implement.ts`),
 * the `idlFactory` that @dfinity/agent and @dfinity/pic take, the TypeScript type of an actor, and the `.did`.
 */
import type { IDL as CandidIDL } from '@dfinity/candid';
import type * as z from 'zod/mini';

import { DidWriter, didLabel } from './did';
import { IdlConverter, type IdlNamespace } from './idl';
import type { AnySchema, FuncMode, FuncNode } from './node';

export type MethodMode = 'query' | 'composite_query' | 'update';

/** The value a result schema stands for (`void` for a method that returns nothing). */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a method without a result returns void
export type ResultOf<R extends AnySchema | undefined> = R extends AnySchema ? z.output<R> : void;
/** The argument values of a list of schemas, as a tuple. */
export type ArgsOf<A extends readonly AnySchema[]> = { -readonly [K in keyof A]: z.output<A[K]> };

export type MethodSpec<
    A extends readonly AnySchema[] = readonly AnySchema[],
    R extends AnySchema | undefined = AnySchema | undefined,
    Mode extends MethodMode = MethodMode
> = {
    readonly mode: Mode;
    readonly args: A;
    readonly ret: R;
    /**
     * Turns an argument that fails its schema into the method's own error result, e.g.
     * `(reason) => ({ Err: { GenericError: { error_code: 0n, message: reason } } })`. Without it a refused
     * argument traps with the reason.
     */
    readonly invalid: ((reason: string) => ResultOf<R>) | undefined;
    /**
     * Metered by the sponsorship module: `implement` admits the caller before the body runs and records what
     * the call cost after. The function turns a refusal's reason (and the call's arguments) into the method's
     * result.
     */
    readonly metered: MeteredRefusal<A, R> | undefined;
    /**
     * Controllers only: `implement` answers any other caller with this result (a function that throws traps
     * instead), before the body runs, and `inspect_message` refuses their ingress (`Implementation.inspect`).
     */
    readonly controllerOnly: (() => ResultOf<R>) | undefined;
};

/**
 * A metered method's refusal. Written as a method signature so that a spec with its own argument types is still
 * a `MethodSpec` of any arguments (method parameters are compared bivariantly).
 */
type MeteredRefusal<A extends readonly AnySchema[], R extends AnySchema | undefined> = {
    refuse(reason: string, ...args: ArgsOf<A>): ResultOf<R>;
}['refuse'];

type MethodOptions<A extends readonly AnySchema[], R extends AnySchema | undefined> = {
    readonly invalid?: (reason: string) => ResultOf<R>;
    readonly metered?: (reason: string, ...args: ArgsOf<A>) => ResultOf<R>;
    readonly controllerOnly?: () => ResultOf<R>;
};

/** The cross-cutting rules of a method's options, as its spec holds them. */
function rules<A extends readonly AnySchema[], R extends AnySchema | undefined>(options: MethodOptions<A, R>) {
    return { invalid: options.invalid, metered: options.metered, controllerOnly: options.controllerOnly };
}

/** A query method: read-only, answered by one replica. */
export function query<const A extends readonly AnySchema[], R extends AnySchema | undefined = undefined>(
    args: A,
    ret?: R,
    options: MethodOptions<A, R> & { readonly composite?: boolean } = {}
): MethodSpec<A, R, 'query' | 'composite_query'> {
    return { mode: options.composite === true ? 'composite_query' : 'query', args, ret: ret as R, ...rules(options) };
}

/** An update method: goes through consensus and may change state. */
export function update<const A extends readonly AnySchema[], R extends AnySchema | undefined = undefined>(
    args: A,
    ret?: R,
    options: MethodOptions<A, R> = {}
): MethodSpec<A, R, 'update'> {
    return { mode: 'update', args, ret: ret as R, ...rules(options) };
}

export type Methods = Readonly<Record<string, MethodSpec>>;

/** The TypeScript type of an actor for a service: one async function per method. */
export type ActorOf<M extends Methods> = {
    [K in keyof M]: (...args: ArgsOf<M[K]['args']>) => Promise<ResultOf<M[K]['ret']>>;
};

export type IdlFactory = (idl: { IDL: IdlNamespace }) => CandidIDL.ServiceClass;
export type InitIdlFactory = (idl: { IDL: IdlNamespace }) => CandidIDL.Type[];

export class Service<M extends Methods, I extends readonly AnySchema[] = readonly AnySchema[]> {
    constructor(
        readonly init: I,
        readonly methods: M
    ) {}

    /** The factory `Actor.createActor` (@dfinity/agent) and `pic.setupCanister` (@dfinity/pic) take. */
    readonly idlFactory: IdlFactory = ({ IDL }) => {
        const converter = new IdlConverter(IDL);
        const funcs: Record<string, CandidIDL.FuncClass> = {};
        for (const [name, spec] of Object.entries(this.methods)) funcs[name] = converter.func(funcNode(spec));
        return IDL.Service(funcs);
    };

    /** The init argument types, for `IDL.encode(service.initIdl({ IDL }), [arg])`. */
    readonly initIdl: InitIdlFactory = ({ IDL }) => new IdlConverter(IDL).types(this.init);

    /** Encodes the install (init or upgrade) argument with the given IDL namespace. */
    encodeInit(IDL: IdlNamespace, args: ArgsOf<I>): Uint8Array {
        return new Uint8Array(IDL.encode(this.initIdl({ IDL }), args));
    }

    /** The service's `.did` text: declarations of the named types, then the service. */
    did(): string {
        const writer = new DidWriter();
        const init = this.init.map((s) => writer.type(s)).join(', ');
        const methods = Object.entries(this.methods).map(
            ([name, spec]) => `  ${didLabel(name)} : ${writer.func(funcNode(spec))};`
        );
        const head = this.init.length > 0 ? `service : (${init}) -> {` : 'service : {';
        return [...writer.declarationLines(), `${head}`, ...methods, '}', ''].join('\n');
    }
}

/** Describes a canister's interface. */
export function defineService<const M extends Methods, const I extends readonly AnySchema[] = []>(spec: {
    readonly init?: I;
    readonly methods: M;
}): Service<M, I> {
    return new Service((spec.init ?? []) as I, spec.methods);
}

/** The Candid function type of a method. */
export function funcNode(spec: MethodSpec): FuncNode {
    const modes: FuncMode[] = spec.mode === 'update' ? [] : [spec.mode];
    return { kind: 'func', args: spec.args, rets: spec.ret === undefined ? [] : [spec.ret], modes };
}
