/**
 * HTTP certification, response verification version 2 (IC HTTP gateway specification, "Response Verification"):
 * a canister certifies the responses it serves so that a gateway can check a query's answer against the IC's
 * root key instead of trusting the one replica that answered.
 *
 * The canister puts, for each path it serves, `http_expr / <path segments> / <$> / sha256(expression) / "" /
 * response_hash`, ending in an empty leaf, in a hash tree, sets the tree's root as its certified data, and sends each response with two
 * headers: `IC-CertificateExpression` (which parts are certified: here the status, the body and the headers it
 * names; not the request) and `IC-Certificate` (the IC's certificate, the tree, the path in it, the version).
 * Paths it does not serve are covered by a wildcard (`<*>`) entry, so a gateway can verify the 404 as well.
 *
 * Rendering is the caller's; this module only hashes and labels. Hashing a body costs about 0.9M instructions
 * per 64 bytes in a canister, so a canister certifies a response once, when it changes, not per request.
 */
import { hashMapOfHashes } from '../icrc/hash';
import { sha256 } from '../crypto/sha256';
import { encodeTextArray, encodeTree, type HashTree, rootHash, treeOf } from '../hash-tree';
import { leb128 } from '../leb128';
import type { HeaderField, HttpRequest, HttpResponse } from './interface';

const utf8 = new TextEncoder();

/** The headers that carry certification; neither is itself certified by name. */
export const CERTIFICATE_HEADER = 'IC-Certificate';
export const EXPRESSION_HEADER = 'IC-CertificateExpression';

/**
 * The CEL expression for a response certified with its status, body and the named headers, and a request not
 * certified (the same response for any method, query string or request header). The specification's grammar
 * has no whitespace.
 */
export function responseOnlyExpression(certifiedHeaders: readonly string[]): string {
    const names = certifiedHeaders.map((name) => JSON.stringify(name.toLowerCase())).join(',');
    return (
        'default_certification(ValidationArgs{certification:Certification{no_request_certification:Empty{},' +
        `response_certification:ResponseCertification{certified_response_headers:ResponseHeaderList{headers:[${names}]}}}})`
    );
}

/**
 * A response's hash ("Response Hash Calculation"): the representation-independent hash of its certified headers
 * (names lower-cased, the expression header included, the status as the `:ic-cert-status` pseudo-header),
 * concatenated with the body's SHA-256, hashed. `headers` are the certified ones, the expression header not
 * among them.
 */
export function responseHash(status: number, headers: readonly HeaderField[], expression: string, body: Uint8Array) {
    const entries: [string, Uint8Array][] = headers.map(([name, value]) => [name.toLowerCase(), sha256(utf8.encode(value))]);
    entries.push([EXPRESSION_HEADER.toLowerCase(), sha256(utf8.encode(expression))]);
    entries.push([':ic-cert-status', sha256(leb128(BigInt(status)))]);
    const both = new Uint8Array(64);
    both.set(hashMapOfHashes(entries));
    both.set(bodyHash(body), 32);
    return sha256(both);
}

/** Body hashes by body: a static page certified again with new figures beside it is not hashed again. */
const bodyHashes = new WeakMap<Uint8Array, Uint8Array>();

function bodyHash(body: Uint8Array): Uint8Array {
    let hash = bodyHashes.get(body);
    if (hash === undefined) bodyHashes.set(body, (hash = sha256(body)));
    return hash;
}

/**
 * A request path's segments as the certification tree labels them: the path after its leading `/`, split on
 * `/`, the query left out. `/` is one empty segment, `/a/b?x=1` is `a`, `b`, and `/a/` is `a` and an empty one.
 */
export function pathSegments(url: string): string[] {
    const end = url.search(/[?#]/);
    const path = end === -1 ? url : url.slice(0, end);
    return path.split('/').slice(1);
}

/** A response a canister serves, before its certificate headers are added. */
export type CertifiableResponse = {
    readonly status_code: number;
    readonly headers: readonly HeaderField[];
    readonly body: Uint8Array;
};

type Entry = { readonly exprPath: string[]; readonly response: HttpResponse };

/**
 * A set of certified responses: one per exact path, and one for every other path. Build it when the responses
 * change, set {@link CertifiedResponses.certifiedData} as the canister's certified data in the same message,
 * and answer each `http_request` with {@link CertifiedResponses.serve}.
 */
export class CertifiedResponses {
    private readonly exact = new Map<string, Entry>();
    private readonly fallback: Entry;
    private readonly tree: HashTree;

    /** `routes` maps exact paths (`/`, `/dashboard.json`) to responses; `notFound` answers every other path. */
    constructor(routes: ReadonlyMap<string, CertifiableResponse>, notFound: CertifiableResponse) {
        const paths: Uint8Array[][] = [];
        const add = (exprPath: string[], response: CertifiableResponse): Entry => {
            const expression = responseOnlyExpression(response.headers.map(([name]) => name));
            const hash = responseHash(response.status_code, response.headers, expression, response.body);
            paths.push([...exprPath.map(label), sha256(utf8.encode(expression)), utf8.encode(''), hash]);
            const headers: HeaderField[] = [...response.headers, [EXPRESSION_HEADER, expression]];
            return { exprPath, response: { status_code: response.status_code, headers, body: response.body } };
        };
        for (const [path, response] of routes) {
            const exprPath = ['http_expr', ...pathSegments(path), '<$>'];
            this.exact.set(exprPath.join('/'), add(exprPath, response));
        }
        this.fallback = add(['http_expr', '<*>'], notFound);
        this.tree = treeOf(paths.map((path) => [path, EMPTY_LEAF]));
    }

    /** The root of the certification tree: what the canister sets as its certified data. */
    get certifiedData(): Uint8Array {
        return rootHash(this.tree);
    }

    /**
     * The response for a request, with its `IC-Certificate` header when the IC gave the query a certificate
     * (`dataCertificate()`; none in a replicated call). The witness is the whole tree: it is small, and it
     * proves to the gateway that no more specific path exists.
     */
    serve(request: HttpRequest, certificate: Uint8Array | undefined): HttpResponse {
        const entry = this.exact.get(['http_expr', ...pathSegments(request.url), '<$>'].join('/')) ?? this.fallback;
        if (certificate === undefined) return entry.response;
        const field = (bytes: Uint8Array) => `:${base64(bytes)}:`;
        const value = [
            `certificate=${field(certificate)}`,
            `tree=${field(encodeTree(this.tree))}`,
            `expr_path=${field(encodeTextArray(entry.exprPath))}`,
            'version=2'
        ].join(', ');
        return { ...entry.response, headers: [...entry.response.headers, [CERTIFICATE_HEADER, value]] };
    }
}

const label = (segment: string) => utf8.encode(segment);

/** What ends each path: a leaf with no bytes ("an empty leaf node" in the specification). */
const EMPTY_LEAF = new Uint8Array(0);

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (RFC 4648, section 4); written out because a canister has no `btoa` or `Buffer`. */
export function base64(bytes: Uint8Array): string {
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
        const [a, b, c] = [bytes[i] as number, bytes[i + 1], bytes[i + 2]];
        const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
        out += BASE64[(n >> 18) & 63] as string;
        out += BASE64[(n >> 12) & 63] as string;
        out += b === undefined ? '=' : (BASE64[(n >> 6) & 63] as string);
        out += c === undefined ? '=' : (BASE64[n & 63] as string);
    }
    return out;
}
