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
 * Rendering is the caller's; this module only hashes and labels. Hashing a body is dear in a canister (the
 * hashing table of docs/benchmarks.md), so a canister certifies a response once, when it changes, not per request.
 */
import { hashMapOfHashes } from '../../icrc/hash';
import { sha256 } from '../crypto';
import { encodeTextArray, encodeTree, type KnownHashes, rootHash, treeOf } from '../hash-tree';
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
    const both = new Uint8Array(64);
    both.set(headersHash(status, headers, expression));
    both.set(sha256(body), 32);
    return sha256(both);
}

/**
 * Hashes of what a canister certifies again at every refresh unchanged: the hash of each headers shape (status,
 * certified headers, expression) and of each expression, by their text. A canister has a few such shapes;
 * the bound keeps one that varies its headers from growing the map without limit.
 */
const remembered = new Map<string, Uint8Array>();
const MAX_REMEMBERED = 64;

function remember(key: string, compute: () => Uint8Array): Uint8Array {
    let hash = remembered.get(key);
    if (hash === undefined) {
        hash = compute();
        if (remembered.size < MAX_REMEMBERED) remembered.set(key, hash);
    }
    return hash;
}

function headersHash(status: number, headers: readonly HeaderField[], expression: string): Uint8Array {
    return remember(`headers\u0000${status}\u0000${JSON.stringify(headers)}\u0000${expression}`, () => {
        const entries: [string, Uint8Array][] = headers.map(([name, value]) => [name.toLowerCase(), sha256(utf8.encode(value))]);
        entries.push([EXPRESSION_HEADER.toLowerCase(), expressionHash(expression)]);
        entries.push([':ic-cert-status', sha256(leb128(BigInt(status)))]);
        return hashMapOfHashes(entries);
    });
}

/** An expression's hash: its label in the tree, and the value hash of its header. */
function expressionHash(expression: string): Uint8Array {
    return remember(`expression\u0000${expression}`, () => sha256(utf8.encode(expression)));
}

/**
 * The tree's node hashes from earlier certifications, so the routes that did not change hash nothing again.
 * Each certification adds the nodes of what changed; past the bound the map starts afresh.
 */
const knownNodes: KnownHashes = new Map();
const MAX_KNOWN_NODES = 512;

/** Response hashes by response: the same response object (a static page) certified again is not hashed again. */
const responseHashes = new WeakMap<CertifiableResponse, Uint8Array>();

function hashOf(response: CertifiableResponse, expression: string): Uint8Array {
    let hash = responseHashes.get(response);
    if (hash === undefined) {
        hash = responseHash(response.status_code, response.headers, expression, response.body);
        responseHashes.set(response, hash);
    }
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

/** A served response, with its certificate header's fixed part: the tree and its path in it, encoded once. */
type Entry = { readonly response: HttpResponse; readonly certificateFields: string };

/**
 * A set of certified responses: one per exact path, and one for every other path. Build it when the responses
 * change, set {@link CertifiedResponses.certifiedData} as the canister's certified data in the same message,
 * and answer each `http_request` with {@link CertifiedResponses.serve}.
 */
export class CertifiedResponses {
    private readonly exact = new Map<string, Entry>();
    private readonly fallback: Entry;
    /** The root of the certification tree: what the canister sets as its certified data. */
    readonly certifiedData: Uint8Array;

    /** `routes` maps exact paths (`/`, `/dashboard.json`) to responses; `notFound` answers every other path. */
    constructor(routes: ReadonlyMap<string, CertifiableResponse>, notFound: CertifiableResponse) {
        const served: [exprPath: string[], response: HttpResponse][] = [];
        const paths: Uint8Array[][] = [];
        const add = (exprPath: string[], response: CertifiableResponse) => {
            const expression = responseOnlyExpression(response.headers.map(([name]) => name));
            const leaf = [expressionHash(expression), utf8.encode(''), hashOf(response, expression)];
            paths.push([...exprPath.map((segment) => utf8.encode(segment)), ...leaf]);
            const headers: HeaderField[] = [...response.headers, [EXPRESSION_HEADER, expression]];
            served.push([exprPath, { status_code: response.status_code, headers, body: response.body }]);
        };
        for (const [path, response] of routes) add(['http_expr', ...pathSegments(path), '<$>'], response);
        add(['http_expr', '<*>'], notFound);
        const tree = treeOf(paths.map((path) => [path, EMPTY_LEAF]));
        if (knownNodes.size > MAX_KNOWN_NODES) knownNodes.clear();
        this.certifiedData = rootHash(tree, knownNodes);
        // the witness is the whole tree: it is small, and it proves to a gateway that no more specific path exists
        const treeField = `tree=:${base64(encodeTree(tree))}:`;
        const entries = served.map(([exprPath, response]): [string, Entry] => [
            exprPath.join('/'),
            { response, certificateFields: `${treeField}, expr_path=:${base64(encodeTextArray(exprPath))}:, version=2` }
        ]);
        this.fallback = (entries.pop() as [string, Entry])[1];
        for (const [key, entry] of entries) this.exact.set(key, entry);
    }

    /**
     * The response for a request, with its `IC-Certificate` header when the IC gave the query a certificate
     * (`dataCertificate()`; none in a replicated call).
     */
    serve(request: HttpRequest, certificate: Uint8Array | undefined): HttpResponse {
        const entry = this.exact.get(['http_expr', ...pathSegments(request.url), '<$>'].join('/')) ?? this.fallback;
        if (certificate === undefined) return entry.response;
        const value = `certificate=:${base64(certificate)}:, ${entry.certificateFields}`;
        return { ...entry.response, headers: [...entry.response.headers, [CERTIFICATE_HEADER, value]] };
    }
}

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
