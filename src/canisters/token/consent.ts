/**
 * ICRC-21 consent messages: what a wallet shows a user before signing a call to this ledger. Built from the
 * call's own argument, decoded with the method's types, so the message describes exactly what will run.
 * Any caller may ask, the anonymous one included (ICRC-21: the endpoint needs no authentication).
 */
import type * as z from 'zod/mini';

import type { AnySchema } from '../../shared/candid';
import { decoder } from '../../shared/candid/wire';
import {
    type Account,
    ApproveArgs,
    type ConsentMessageRequest,
    type ConsentMessageResponse,
    TransferArg,
    TransferFromArgs
} from '../../shared/icrc/ledger';
import type { TokenConfig } from './config';

const decodeTransfer = decoder([TransferArg]);
const decodeApprove = decoder([ApproveArgs]);
const decodeTransferFrom = decoder([TransferFromArgs]);

function amountText(amount: bigint, config: TokenConfig): string {
    const scale = 10n ** BigInt(config.decimals);
    const whole = amount / scale;
    const fraction = (amount % scale).toString().padStart(config.decimals, '0').replace(/0+$/, '');
    return `${whole}${fraction === '' ? '' : `.${fraction}`} ${config.token_symbol}`;
}

function accountText(account: Account): string {
    const [sub] = account.subaccount;
    if (sub === undefined || sub.every((b) => b === 0)) return account.owner.toText();
    return `${account.owner.toText()} (subaccount ${[...sub].map((b) => b.toString(16).padStart(2, '0')).join('')})`;
}

function unsupported(description: string): ConsentMessageResponse {
    return { Err: { UnsupportedCanisterCall: { description } } };
}

function decodeAs<S extends AnySchema>(
    decode: (b: Uint8Array) => unknown[],
    schema: S,
    arg: Uint8Array
): z.output<S> | undefined {
    try {
        const [value] = decode(arg);
        return schema.safeParse(value).success ? (value as z.output<S>) : undefined;
    } catch {
        return undefined;
    }
}

/** The consent message for a call, or why there is none. */
export function consentMessage(request: ConsentMessageRequest, config: TokenConfig): ConsentMessageResponse {
    const lines: string[] = [];
    const fee = (stated: [] | [bigint]) => amountText(stated[0] ?? config.transfer_fee, config);
    const memo = (m: [] | [Uint8Array]) =>
        m[0] === undefined ? [] : [`Memo: ${[...m[0]].map((b) => b.toString(16).padStart(2, '0')).join('')}`];
    switch (request.method) {
        case 'icrc1_transfer': {
            const arg = decodeAs(decodeTransfer, TransferArg, request.arg);
            if (arg === undefined) return unsupported('the argument is not a valid TransferArg');
            lines.push(
                '# Send tokens',
                `Amount: ${amountText(arg.amount, config)}`,
                `To: ${accountText(arg.to)}`,
                `Fee: ${fee(arg.fee)}`,
                ...memo(arg.memo)
            );
            break;
        }
        case 'icrc2_approve': {
            const arg = decodeAs(decodeApprove, ApproveArgs, request.arg);
            if (arg === undefined) return unsupported('the argument is not a valid ApproveArgs');
            lines.push(
                '# Approve spending',
                `Spender: ${accountText(arg.spender)}`,
                `Allowance: ${amountText(arg.amount, config)}`,
                `Expires: ${arg.expires_at[0] === undefined ? 'never' : `${arg.expires_at[0]} ns after the epoch`}`,
                `Fee: ${fee(arg.fee)}`,
                ...memo(arg.memo)
            );
            break;
        }
        case 'icrc2_transfer_from': {
            const arg = decodeAs(decodeTransferFrom, TransferFromArgs, request.arg);
            if (arg === undefined) return unsupported('the argument is not a valid TransferFromArgs');
            lines.push(
                '# Spend from an approval',
                `Amount: ${amountText(arg.amount, config)}`,
                `From: ${accountText(arg.from)}`,
                `To: ${accountText(arg.to)}`,
                `Fee: ${fee(arg.fee)}`,
                ...memo(arg.memo)
            );
            break;
        }
        default:
            return unsupported(`no consent message for method ${request.method}`);
    }
    return {
        Ok: {
            consent_message: { GenericDisplayMessage: lines.join('\n\n') },
            metadata: { language: 'en', utc_offset_minutes: request.user_preferences.metadata.utc_offset_minutes }
        }
    };
}
