/**
 * HTTP certification as DFINITY's own verifier reads it (@dfinity/response-verification, the library the IC's
 * gateways run): each served path verifies, a path not served gets the certified 404, and a response that
 * differs in body, status or a certified header from what was certified is refused. No canister: the
 * certificate comes from the local IC's subnet key.
 */
import { verifyRequestResponsePair } from '@dfinity/response-verification';
import { Principal } from '@dfinity/principal';

import { certifiedDataTree, SubnetKey } from '../../replica/certificates';
import { base64, CertifiedResponses, pathSegments, responseOnlyExpression } from './response-certification';
import type { HttpResponse } from './interface';

const utf8 = new TextEncoder();
const canister = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai');
const key = new SubnetKey('certification test');
const now = 1_800_000_000_000_000_000n;
const FIVE_MINUTES = 300_000_000_000n;

const responses = new CertifiedResponses(
    new Map([
        ['/', { status_code: 200, headers: [['content-type', 'text/html']], body: utf8.encode('<p>page</p>') }],
        ['/data.json', { status_code: 200, headers: [['Content-Type', 'application/json']], body: utf8.encode('{"n":1}') }]
    ]),
    { status_code: 404, headers: [['content-type', 'text/plain']], body: utf8.encode('not found') }
);
const certificate = key.certify(certifiedDataTree(canister.toUint8Array(), responses.certifiedData, now));

function verify(url: string, response: HttpResponse, at = now) {
    const request = { method: 'GET', url, headers: [], body: new Uint8Array(), certificate_version: [2] as [number] };
    return verifyRequestResponsePair(request, response, canister.toUint8Array(), at, FIVE_MINUTES, key.derPublicKey, 2);
}

const serve = (url: string) =>
    responses.serve({ method: 'GET', url, headers: [], body: new Uint8Array(), certificate_version: [2] }, certificate);

it('serves each path with a certificate the IC gateways verify, status and certified headers included', () => {
    for (const [url, status] of [
        ['/', 200],
        ['/data.json', 200],
        ['/data.json?page=2', 200],
        ['/missing', 404],
        ['/a/b/c', 404]
    ] as const) {
        const info = verify(url, serve(url));
        expect(info.verificationVersion).toBe(2);
        expect(info.response?.statusCode).toBe(status);
    }
    expect(verify('/data.json', serve('/data.json')).response?.headers).toContainEqual(['content-type', 'application/json']);
});

it('refuses a response that differs from the certified one, or a certificate too old', () => {
    const real = serve('/data.json');
    const altered: HttpResponse[] = [
        { ...real, body: utf8.encode('{"n":2}') },
        { ...real, status_code: 201 },
        { ...real, headers: real.headers.map(([n, v]) => [n, n === 'Content-Type' ? 'text/plain' : v]) },
        { ...real, headers: real.headers.filter(([n]) => n !== 'IC-Certificate') }
    ];
    for (const response of altered) expect(() => verify('/data.json', response)).toThrow();
    // the page's response served for another path
    expect(() => verify('/data.json', serve('/'))).toThrow();
    expect(() => verify('/data.json', real, now + 2n * FIVE_MINUTES)).toThrow();
});

it('answers without the certificate header when the IC gave none (a replicated call)', () => {
    const response = responses.serve(
        { method: 'GET', url: '/', headers: [], body: new Uint8Array(), certificate_version: [] },
        undefined
    );
    expect(response.headers.map(([name]) => name)).toEqual(['content-type', 'IC-CertificateExpression']);
});

it('writes the expression, the segments and base64 as the specification has them', () => {
    expect(responseOnlyExpression(['Content-Type'])).toBe(
        'default_certification(ValidationArgs{certification:Certification{no_request_certification:Empty{},' +
            'response_certification:ResponseCertification{certified_response_headers:ResponseHeaderList{headers:["content-type"]}}}})'
    );
    expect(pathSegments('/')).toEqual(['']);
    expect(pathSegments('/a/b?x=1#top')).toEqual(['a', 'b']);
    expect(pathSegments('/a/')).toEqual(['a', '']);
    for (const length of [0, 1, 2, 3, 4, 5, 31]) {
        const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
        expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
});
