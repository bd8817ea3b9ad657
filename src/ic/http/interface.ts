/**
 * The canister side of the HTTP gateway protocol (IC HTTP gateway specification, "Canister HTTP Interface"):
 * the `http_request` query a gateway calls for `https://<canister-id>.icp0.io/...` (locally
 * `http://<canister-id>.localhost:4943/...`), and the `http_request_update` request a gateway sends when the
 * query answers `upgrade = opt true`. The suite's responses use neither streaming nor the upgrade: a gateway
 * reads a missing `opt` field as null, so a response without them is one that uses neither.
 */
import type * as z from 'zod/mini';

import { c, query } from '../../candid';

export const HeaderField = c.named('HeaderField', c.tuple(c.text(), c.text()));
export type HeaderField = z.infer<typeof HeaderField>;

export const HttpRequest = c.named(
    'HttpRequest',
    c.record({
        method: c.text(),
        /** The path and query of the request line, without scheme or host. */
        url: c.text(),
        headers: c.vec(HeaderField),
        body: c.blob(),
        /** The highest response verification version the gateway speaks (2 today; none or 1: the legacy one). */
        certificate_version: c.opt(c.nat16())
    })
);
export type HttpRequest = z.infer<typeof HttpRequest>;

/** The request again, as the `http_request_update` update call a gateway makes when the query asks for it. */
export const HttpUpdateRequest = c.named(
    'HttpUpdateRequest',
    c.record({ method: c.text(), url: c.text(), headers: c.vec(HeaderField), body: c.blob() })
);
export type HttpUpdateRequest = z.infer<typeof HttpUpdateRequest>;

export const HttpResponse = c.named(
    'HttpResponse',
    c.record({ status_code: c.nat16(), headers: c.vec(HeaderField), body: c.blob() })
);
export type HttpResponse = z.infer<typeof HttpResponse>;

/** The method a canister adds to its service to be served over HTTP, spread into `defineService({ methods })`. */
export const httpMethods = {
    http_request: query([HttpRequest], HttpResponse)
} as const;
