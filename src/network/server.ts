/**
 * `LocalNetwork`: the IC's HTTP interface over a `LocalIc`, so @dfinity/agent, dfx and icp-cli talk to the
 * local IC as they talk to mainnet (interface specification, "HTTPS Interface"):
 *
 * - `GET  /api/v2/status`: the root key, CBOR.
 * - `POST /api/v2/canister/<id>/query`: a query, its response signed by the node as the agent verifies it.
 * - `POST /api/v2/canister/<id>/call`: an update; 202, then its outcome in `request_status`.
 * - `POST /api/v3/canister/<id>/call`, `/api/v4/canister/<id>/call`: an update answered at once with a certificate
 *   of its outcome (v4 differs from v3 only in how a subnet delegation lists canister ranges, and this network's
 *   one subnet signs with the root key, without a delegation).
 * - `POST /api/v2/canister/<id>/read_state`, `POST /api/v2/subnet/<id>/read_state`: certified state.
 *
 * A request whose `Host` is `<canister-id>.localhost` goes to the HTTP gateway instead (`gateway.ts`): the
 * canister's `http_request`, its answer verified as the IC's gateways verify it.
 *
 * Every request is authenticated (see `envelope.ts`); a request id that was already received is not executed
 * again (replay), and only its sender may read its status. The network has one subnet and one node; the
 * subnet's key is the `LocalIc`'s root key, and the node signs query responses with its own Ed25519 key.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { IC_RESPONSE_DOMAIN_SEPARATOR, hashOfMap } from '@dfinity/agent';
import { decode, encodeWithSelfDescribedTag } from '@dfinity/cbor';
import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha2';
import { Principal } from '@dfinity/principal';

import { CallRejectedError, RejectCode } from '../replica/errors';
import type { LocalIc } from '../replica/local-ic';
import { derOf } from '../ic/keys';
import { type TreeEntry, treeOf } from '../ic/hash-tree';
import { c } from '../candid';
import { CandidDecodeError, decoder } from '../candid/wire';
import { leb128 } from '../ic/leb128';
import { canisterOfHost, HttpGateway } from './gateway';
import { authenticate, type AuthenticatedRequest, type Envelope, InvalidRequestError, MAX_INGRESS_TTL_NS } from './envelope';

export const DEFAULT_PORT = 4943;
/** The largest request body taken: the IC's ingress limit is 2 MiB of payload, in an envelope. */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** How often a live network moves its clock to the wall clock and runs a round (timers, queued messages). */
const LIVE_ROUND_MS = 100;

export type LocalNetworkOptions = {
    /** 127.0.0.1 unless told. */
    readonly host?: string;
    /** 4943 (dfx's port) unless told; 0 picks a free one. */
    readonly port?: number;
    /** Keep the IC's clock on the wall clock and run rounds on its own, as a real network does. */
    readonly live?: boolean;
    /** Seeds the node's signing key. */
    readonly seed?: string;
};

type RequestStatus = {
    readonly sender: Principal;
    /** The effective canister the call was sent to: its status is read through that canister's URL only. */
    readonly canister: Principal;
    readonly expiry: bigint;
    readonly entries: TreeEntry[];
};

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A management call's argument: the canister it is about, if it names one (install_code, update_settings, …). */
const decodeManagementTarget = decoder([c.opt(c.record({ canister_id: c.opt(c.principal()) }))]);

/**
 * The IC's rule for the canister a request is addressed to: the URL's effective canister must be the request's
 * `canister_id`, or, for a call to the management canister, the canister its argument names (one that names
 * none, such as create_canister, may go through any canister's URL). Otherwise a request could be run through
 * a URL its delegation allows while acting on another canister.
 */
function checkEffectiveCanister(canisterId: Principal, arg: Uint8Array | undefined, effective: Principal): void {
    if (canisterId.toUint8Array().length > 0) {
        if (canisterId.compareTo(effective) !== 'eq')
            throw new InvalidRequestError(400, `the request is for ${canisterId.toText()}, sent to ${effective.toText()}`);
        return;
    }
    let named: Principal | undefined;
    try {
        const [record] = decodeManagementTarget(arg ?? new Uint8Array()) as [[] | [{ canister_id: [] | [Principal] }]];
        named = record[0]?.canister_id[0];
    } catch (error) {
        if (!(error instanceof CandidDecodeError)) throw error;
        throw new InvalidRequestError(400, `the management canister's argument is not Candid: ${error.message}`);
    }
    if (named !== undefined && named.compareTo(effective) !== 'eq') {
        throw new InvalidRequestError(
            400,
            `the management call is about ${named.toText()}, sent to ${effective.toText()}: the effective canister must match`
        );
    }
}
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Every canister id the local IC can give (10-byte ids ending 0x01 0x01): the subnet's one range. */
const CANISTER_RANGE: [Uint8Array, Uint8Array] = [
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 1),
    Uint8Array.of(255, 255, 255, 255, 255, 255, 255, 255, 1, 1)
];

export class LocalNetwork {
    private server: Server | undefined;
    private liveTimer: NodeJS.Timeout | undefined;
    private readonly statuses = new Map<string, RequestStatus>();
    private readonly nodeSecret: Uint8Array;
    private readonly nodeKeyDer: Uint8Array;
    /** The node's principal, as query signatures name it. */
    readonly nodeId: Principal;
    private rootKey: Uint8Array = new Uint8Array();
    private gateway: HttpGateway | undefined;
    /** The subnet's principal: with no delegation, the agent takes the root key's self-authenticating principal. */
    subnetId: Principal = Principal.anonymous();

    private constructor(
        readonly ic: LocalIc,
        private readonly options: LocalNetworkOptions
    ) {
        this.nodeSecret = sha256(utf8(`local-ic node key/${options.seed ?? 'local-ic'}`));
        this.nodeKeyDer = derOf('Ed25519', ed25519.getPublicKey(this.nodeSecret));
        this.nodeId = Principal.selfAuthenticating(this.nodeKeyDer);
    }

    /** Starts serving `ic` over HTTP; resolves once the port is bound. */
    static async start(ic: LocalIc, options: LocalNetworkOptions = {}): Promise<LocalNetwork> {
        const network = new LocalNetwork(ic, options);
        network.rootKey = await ic.getRootKey();
        network.subnetId = Principal.selfAuthenticating(network.rootKey);
        network.gateway = new HttpGateway(ic, network.rootKey);
        const server = createServer((request, response) => void network.handle(request, response));
        await new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1', () => resolve());
        });
        network.server = server;
        if (options.live === true) {
            await network.round(); // the clock catches up before the first request is served
            network.liveTimer = setInterval(() => void network.round(), LIVE_ROUND_MS);
            network.liveTimer.unref();
        }
        return network;
    }

    /** The network's address, for an agent's `host`. */
    get url(): string {
        const address = this.server?.address() as AddressInfo | null | undefined;
        if (address === undefined || address === null) throw new Error('the network is not serving');
        return `http://${address.address}:${address.port}`;
    }

    get port(): number {
        return (this.server?.address() as AddressInfo).port;
    }

    /** Stops serving (the `LocalIc` stays as it is). */
    async stop(): Promise<void> {
        if (this.liveTimer !== undefined) clearInterval(this.liveTimer);
        const server = this.server;
        this.server = undefined;
        if (server === undefined) return;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections(); // clients' keep-alive connections would hold the server open
        await closed;
    }

    /** A live round: the clock catches up with the wall clock (it never goes back), then timers and messages run. */
    private async round(): Promise<void> {
        const wall = Date.now();
        if (wall > (await this.ic.getTime())) await this.ic.setTime(wall);
        await this.ic.tick();
    }

    /** A canister's address through the HTTP gateway: `http://<canister-id>.localhost:<port>/`. */
    gatewayUrl(canisterId: Principal): string {
        return `http://${canisterId.toText()}.localhost:${this.port}/`;
    }

    private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
        try {
            const canister = canisterOfHost(request.headers.host);
            if (canister !== undefined && this.gateway !== undefined)
                return await this.gateway.handle(request, response, canister);
            const url = new URL(request.url ?? '/', 'http://localhost');
            const route = url.pathname.match(/^\/api\/(v2|v3|v4)\/(canister|subnet)\/([^/]+)\/(query|call|read_state)$/);
            if (request.method === 'GET' && url.pathname === '/api/v2/status') return this.reply(response, 200, this.status());
            const [, version, scope, id, endpoint] = (route ?? []) as [string, 'v2' | 'v3' | 'v4', string, string, string];
            if (request.method !== 'POST' || route === null || (version === 'v4' && endpoint !== 'call')) {
                return this.text(response, 404, `no such endpoint: ${url.pathname}`);
            }
            const target = parsePrincipal(id);
            const envelope = decode<Envelope>(await bodyOf(request));
            if (scope === 'subnet') {
                if (endpoint !== 'read_state') return this.text(response, 404, `no such endpoint: ${url.pathname}`);
                return this.reply(response, 200, this.readState(envelope, undefined));
            }
            if (endpoint === 'query') return this.reply(response, 200, await this.query(envelope, target));
            if (endpoint === 'read_state') return this.reply(response, 200, this.readState(envelope, target));
            return await this.call(response, envelope, target, version !== 'v2');
        } catch (error) {
            if (error instanceof InvalidRequestError) return this.text(response, error.status, error.message);
            return this.text(response, 400, error instanceof Error ? error.message : String(error));
        }
    }

    private status(): Record<string, unknown> {
        return { ic_api_version: '0.18.0', impl_version: 'local-ic', replica_health_status: 'healthy', root_key: this.rootKey };
    }

    // --- calls ---

    private async call(response: ServerResponse, envelope: Envelope, target: Principal, sync: boolean): Promise<void> {
        const request = authenticate(envelope, 'call', this.ic.timeNs, target);
        const canisterId = principalOf(request.content.canister_id, 'canister_id');
        checkEffectiveCanister(canisterId, request.content.arg, target);
        const key = hexOf(request.requestId);
        this.prune();
        if (!this.statuses.has(key)) {
            const refusal = this.execute(request, canisterId, target);
            if (refusal !== undefined) return this.reply(response, 200, refusal);
        }
        if (!sync) return this.empty(response, 202);
        const certificate = this.ic.certify(treeOf([this.timeEntry(), ...this.statusEntries(request.requestId)]));
        return this.reply(response, 200, { status: 'replied', certificate });
    }

    /** Runs the update; its outcome goes to `request_status`, or the refusal (never certified) is returned. */
    private execute(
        request: AuthenticatedRequest,
        canisterId: Principal,
        effective: Principal
    ): Record<string, unknown> | undefined {
        const outcome = this.ic.ingress({
            canisterId,
            method: request.content.method_name ?? '',
            arg: request.content.arg ?? new Uint8Array(),
            sender: request.sender
        });
        if (outcome.kind === 'refused') {
            return {
                status: 'non_replicated_rejection',
                reject_code: outcome.error.rejectCode,
                reject_message: outcome.error.rejectMessage,
                error_code: outcome.error.errorCode ?? ''
            };
        }
        const path = (...labels: string[]) => [utf8('request_status'), request.requestId, ...labels.map(utf8)];
        const entries: TreeEntry[] =
            outcome.kind === 'replied'
                ? [
                      [path('status'), utf8('replied')],
                      [path('reply'), outcome.reply]
                  ]
                : [
                      [path('status'), utf8('rejected')],
                      [path('reject_code'), leb128(BigInt(outcome.error.rejectCode))],
                      [path('reject_message'), utf8(outcome.error.rejectMessage)],
                      [path('error_code'), utf8(outcome.error.errorCode ?? errorCodeOf(outcome.error))]
                  ];
        this.statuses.set(hexOf(request.requestId), {
            sender: request.sender,
            canister: effective,
            expiry: BigInt(request.content.ingress_expiry),
            entries
        });
        return undefined;
    }

    /** Forgets statuses whose requests have expired (a replay of them is refused by its expiry anyway). */
    private prune(): void {
        const now = this.ic.timeNs;
        for (const [key, status] of this.statuses) if (status.expiry + MAX_INGRESS_TTL_NS < now) this.statuses.delete(key);
    }

    private statusEntries(requestId: Uint8Array): TreeEntry[] {
        return this.statuses.get(hexOf(requestId))?.entries ?? [];
    }

    // --- queries ---

    private async query(envelope: Envelope, target: Principal): Promise<Record<string, unknown>> {
        const request = authenticate(envelope, 'query', this.ic.timeNs, target);
        const canisterId = principalOf(request.content.canister_id, 'canister_id');
        checkEffectiveCanister(canisterId, request.content.arg, target);
        let body: Record<string, unknown>;
        try {
            const reply = await this.ic.queryCall({
                canisterId,
                method: request.content.method_name ?? '',
                arg: request.content.arg ?? new Uint8Array(),
                sender: request.sender
            });
            body = { status: 'replied', reply: { arg: reply } };
        } catch (error) {
            if (!(error instanceof CallRejectedError)) throw error;
            body = {
                status: 'rejected',
                reject_code: error.rejectCode,
                reject_message: error.rejectMessage,
                error_code: error.errorCode ?? errorCodeOf(error)
            };
        }
        const timestamp = this.ic.timeNs;
        const signed = hashOfMap({ ...body, timestamp, request_id: request.requestId });
        const signature = ed25519.sign(Buffer.concat([IC_RESPONSE_DOMAIN_SEPARATOR, signed]), this.nodeSecret);
        return { ...body, signatures: [{ timestamp, signature, identity: this.nodeId.toUint8Array() }] };
    }

    // --- read_state ---

    private readState(envelope: Envelope, target: Principal | undefined): Record<string, unknown> {
        const request = authenticate(envelope, 'read_state', this.ic.timeNs, target);
        const paths = request.content.paths ?? [];
        const entries: TreeEntry[] = [this.timeEntry()];
        const seen = new Set<string>(); // paths that overlap give their entries once
        for (const path of paths) {
            for (const entry of this.entriesUnder(path, request, target)) {
                const key = entry[0].map(hexOf).join('/');
                if (seen.has(key)) continue;
                seen.add(key);
                entries.push(entry);
            }
        }
        return { certificate: this.ic.certify(treeOf(entries)) };
    }

    /** The state under `path` that this request may read. */
    private entriesUnder(path: Uint8Array[], request: AuthenticatedRequest, target: Principal | undefined): TreeEntry[] {
        const [head, ...rest] = path;
        const label = head === undefined ? '' : new TextDecoder().decode(head);
        switch (label) {
            case 'time':
                return [];
            case 'subnet':
                return under(rest, this.subnetEntries()).map(([p, v]) => [[utf8('subnet'), ...p], v]);
            case 'request_status': {
                const [id] = rest;
                if (id === undefined) throw new InvalidRequestError(400, 'request_status needs a request id');
                const status = this.statuses.get(hexOf(id));
                if (status === undefined) return [];
                if (status.sender.compareTo(request.sender) !== 'eq') {
                    throw new InvalidRequestError(403, 'only the sender of a request may read its status');
                }
                if (target === undefined || status.canister.compareTo(target) !== 'eq') {
                    throw new InvalidRequestError(400, "a request's status is read through the canister it was sent to");
                }
                return under(path, status.entries);
            }
            case 'canister': {
                const [id] = rest;
                if (id === undefined || target === undefined || Principal.fromUint8Array(id).compareTo(target) !== 'eq') {
                    throw new InvalidRequestError(400, 'a canister read_state reads the effective canister only');
                }
                return under(path, this.canisterEntries(target));
            }
            default:
                throw new InvalidRequestError(400, `the path /${label} cannot be read`);
        }
    }

    private timeEntry(): TreeEntry {
        return [[utf8('time')], leb128(this.ic.timeNs)];
    }

    private subnetEntries(): TreeEntry[] {
        const subnet = this.subnetId.toUint8Array();
        return [
            [[subnet, utf8('public_key')], this.rootKey],
            [[subnet, utf8('canister_ranges')], encodeWithSelfDescribedTag([CANISTER_RANGE])],
            [[subnet, utf8('node'), this.nodeId.toUint8Array(), utf8('public_key')], this.nodeKeyDer]
        ];
    }

    private canisterEntries(canisterId: Principal): TreeEntry[] {
        const state = this.ic.canisterState(canisterId);
        if (state === undefined) return [];
        const prefix = [utf8('canister'), canisterId.toUint8Array()];
        const entries: TreeEntry[] = [
            [[...prefix, utf8('controllers')], encodeWithSelfDescribedTag(state.controllers.map((c) => c.toUint8Array()))]
        ];
        if (state.moduleHash !== undefined) entries.push([[...prefix, utf8('module_hash')], state.moduleHash]);
        for (const name of ['candid:service', 'candid:args']) {
            const section = state.metadata(name);
            if (section !== undefined) entries.push([[...prefix, utf8('metadata'), utf8(name)], section]);
        }
        return entries;
    }

    // --- responses ---

    private reply(response: ServerResponse, status: number, body: unknown): void {
        const bytes = encodeWithSelfDescribedTag(body as never);
        response.writeHead(status, { 'content-type': 'application/cbor', 'content-length': bytes.length });
        response.end(bytes);
    }

    private text(response: ServerResponse, status: number, message: string): void {
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(message);
    }

    private empty(response: ServerResponse, status: number): void {
        response.writeHead(status, { 'content-length': 0 });
        response.end();
    }
}

/** The entries at or under `prefix`. */
function under(prefix: readonly Uint8Array[], entries: TreeEntry[]): TreeEntry[] {
    return entries.filter(([path]) => prefix.every((label, i) => path[i] !== undefined && Buffer.compare(label, path[i]) === 0));
}

function parsePrincipal(text: string): Principal {
    try {
        return Principal.fromText(text);
    } catch {
        throw new InvalidRequestError(400, `${text} is not a principal`);
    }
}

function principalOf(bytes: Uint8Array | undefined, field: string): Principal {
    if (!(bytes instanceof Uint8Array)) throw new InvalidRequestError(400, `the request has no ${field}`);
    return Principal.fromUint8Array(bytes);
}

/** The replica's error code for a reject that did not name one. */
function errorCodeOf(error: CallRejectedError): string {
    return error.rejectCode === RejectCode.CanisterReject ? 'IC0406' : 'IC0503';
}

async function bodyOf(request: IncomingMessage): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > MAX_REQUEST_BYTES) throw new InvalidRequestError(400, `the request is over ${MAX_REQUEST_BYTES} bytes`);
        chunks.push(chunk as Buffer);
    }
    return new Uint8Array(Buffer.concat(chunks));
}
