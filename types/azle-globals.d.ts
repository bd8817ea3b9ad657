/**
 * The Web globals Azle's stable mode provides inside a canister (TextEncoder and TextDecoder, from
 * @sinonjs/text-encoding), declared for tsconfig.canister.json, which has no DOM library: code that runs in a
 * canister may use these and no other browser or Node global.
 */
declare class TextEncoder {
    encode(input?: string): Uint8Array;
}

declare class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean });
    decode(input?: Uint8Array): string;
}
