/**
 * The HTTP gateway (IC HTTP gateway specification): a browser's `GET http://<canister-id>.localhost:4943/path`
 * becomes the canister's `http_request` query, and its answer is checked by @dfinity/response-verification,
 * the library DFINITY's gateways use, against the local IC's root key before it is passed on. A response that
 * fails verification is not shown: the browser gets a 503 with the reason, as from the IC's gateways.
 *
 * A canister that answers the query with `upgrade = opt true` gets the request again as the
 * `http_request_update` update call (a submitted call, so `inspect_message` runs); its answer went through
 * consensus and is passed on without response verification, as the specification says.
 *
 * Not modelled: streamed bodies (`streaming_strategy`); a response that streams is refused with a 502 that says
 * so rather than shown cut short.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { verifyRequestResponsePair } from '@dfinity/response-verification';
import { Principal } from '@dfinity/principal';
import type * as z from 'zod/mini';

import { CallRejectedError } from '../replica/errors';
import type { LocalIc } from '../replica/local-ic';
import { c } from '../candid';
import { decoder, encoder } from '../candid/wire';
import { HeaderField, HttpRequest, HttpUpdateRequest } from '../ic/http/interface';

/** How old a certificate may be (the specification's "e.g. 5 minutes", as DFINITY's gateways use). */
export const MAX_CERTIFICATE_AGE_NS = 5n * 60n * 1_000_000_000n;
/** The lowest response verification version taken: version 1 certifies the body only, not status or headers. */
export const MIN_VERIFICATION_VERSION = 2;
/** The largest request body passed to a canister; `http_request` is a query, whose argument the IC caps at 2 MiB. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * What a gateway decodes: the response fields the suite's canisters send, and the two it does not model, so a
 * canister that asks for them is told so instead of being misread.
 */
const GatewayResponse = c.record({
    status_code: c.nat16(),
    headers: c.vec(HeaderField),
    body: c.blob(),
    upgrade: c.opt(c.bool()),
    streaming_strategy: c.opt(c.reserved())
});
type GatewayResponse = z.infer<typeof GatewayResponse>;

const encodeRequest = encoder([HttpRequest]);
const encodeUpdateRequest = encoder([HttpUpdateRequest]);
const decodeResponse = decoder([GatewayResponse]);

/** The canister a `Host` header names, `<canister-id>.localhost[:port]`; undefined for any other host. */
export function canisterOfHost(host: string | undefined): Principal | undefined {
    const match = host?.match(/^([a-z0-9-]+)\.localhost(:\d+)?$/i);
    if (match === null || match === undefined) return undefined;
    try {
        return Principal.fromText((match[1] as string).toLowerCase());
    } catch {
        return undefined;
    }
}

/** What the gateway needs of the IC: queries, update calls, and the time certificates are checked against. */
export type GatewayIc = Pick<LocalIc, 'queryCall' | 'updateCall' | 'timeNs'>;

export class HttpGateway {
    constructor(
        private readonly ic: GatewayIc,
        private readonly rootKey: Uint8Array
    ) {}

    /** Answers one browser request for `canisterId`. */
    async handle(incoming: IncomingMessage, outgoing: ServerResponse, canisterId: Principal): Promise<void> {
        const body = await readBody(incoming);
        if (body === undefined) return text(outgoing, 413, `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
        const request: HttpRequest = {
            method: incoming.method ?? 'GET',
            url: incoming.url ?? '/',
            headers: headerPairs(incoming),
            body,
            certificate_version: [MIN_VERIFICATION_VERSION]
        };
        let reply: Uint8Array;
        try {
            reply = await this.ic.queryCall({ canisterId, method: 'http_request', arg: encodeRequest([request]) });
        } catch (error) {
            if (!(error instanceof CallRejectedError)) throw error;
            return text(outgoing, 502, `the canister rejected http_request: ${error.rejectMessage}`);
        }
        const [response] = decodeResponse(reply) as [GatewayResponse];
        if (response.upgrade[0] === true) return this.update(outgoing, canisterId, request);
        const verdict = this.verify(request, response, canisterId);
        if (verdict !== undefined) return text(outgoing, 503, `Response verification failed: ${verdict}`);
        send(outgoing, response);
    }

    /** `http_request_update`: the request without its certificate version, as an update call. */
    private async update(outgoing: ServerResponse, canisterId: Principal, request: HttpRequest): Promise<void> {
        const { method, url, headers, body } = request;
        let reply: Uint8Array;
        try {
            const arg = encodeUpdateRequest([{ method, url, headers, body }]);
            reply = await this.ic.updateCall({ canisterId, method: 'http_request_update', arg });
        } catch (error) {
            if (!(error instanceof CallRejectedError)) throw error;
            return text(outgoing, 502, `the canister rejected http_request_update: ${error.rejectMessage}`);
        }
        send(outgoing, (decodeResponse(reply) as [GatewayResponse])[0]);
    }

    /** Undefined when the response is certified for this request; the reason otherwise. */
    private verify(
        request: HttpRequest,
        response: { status_code: number; headers: HeaderField[]; body: Uint8Array },
        canisterId: Principal
    ): string | undefined {
        try {
            const info = verifyRequestResponsePair(
                request,
                response,
                canisterId.toUint8Array(),
                this.ic.timeNs,
                MAX_CERTIFICATE_AGE_NS,
                this.rootKey,
                MIN_VERIFICATION_VERSION
            );
            if (info.response === undefined) return 'the canister marked this response as not certified';
            return undefined;
        } catch (error) {
            return (error as { message?: string }).message ?? String(error);
        }
    }
}

function send(outgoing: ServerResponse, response: GatewayResponse): void {
    if (response.streaming_strategy.length > 0) {
        return text(outgoing, 502, 'the canister streams its response body, which this gateway does not follow');
    }
    outgoing.writeHead(
        response.status_code,
        response.headers.flatMap(([name, value]) => [name, value])
    );
    outgoing.end(response.body);
}

function headerPairs(incoming: IncomingMessage): HeaderField[] {
    const pairs: HeaderField[] = [];
    for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
        pairs.push([incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string]);
    }
    return pairs;
}

async function readBody(incoming: IncomingMessage): Promise<Uint8Array | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of incoming) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) return undefined;
        chunks.push(chunk as Buffer);
    }
    return new Uint8Array(Buffer.concat(chunks));
}

function text(outgoing: ServerResponse, status: number, message: string): void {
    outgoing.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    outgoing.end(`${message}\n`);
}
