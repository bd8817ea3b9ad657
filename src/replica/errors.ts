/**
 * Reject codes and the errors the local IC raises, with the replica's wording where a canister or a client
 * can see it (interface specification, "Reject codes").
 */

export const RejectCode = {
    SysFatal: 1,
    SysTransient: 2,
    DestinationInvalid: 3,
    CanisterReject: 4,
    CanisterError: 5,
    SysUnknown: 6
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];

/** A call that did not get a reply: the code and message a caller sees. */
export class CallRejectedError extends Error {
    override readonly name = 'CallRejectedError';
    constructor(
        readonly rejectCode: RejectCode,
        readonly rejectMessage: string,
        readonly errorCode?: string
    ) {
        super(`reject code ${rejectCode}${errorCode === undefined ? '' : ` (${errorCode})`}: ${rejectMessage}`);
    }
}

/** Raised inside a message to stop it: the message's effects are rolled back. */
export class CanisterTrap extends Error {
    override readonly name = 'CanisterTrap';
    constructor(
        readonly reason: string,
        readonly errorCode = 'IC0503'
    ) {
        super(reason);
    }
}
