/**
 * ICRC-21 consent messages: what a wallet shows a user before signing a call to this ledger. Built from the
 * call's own argument, decoded with the method's types, so the message describes exactly what will run.
 * Any caller may ask, the anonymous one included (ICRC-21: the endpoint needs no authentication).
 */
import type * as z from 'zod/mini';

import type { AnySchema } from '../../candid';
import { decoder } from '../../candid/wire';
import {
    type Account,
    ApproveArgs,
    type ConsentMessageRequest,
    type ConsentMessageResponse,
    type Icrc21Value,
    TransferArg,
    TransferFromArgs
} from '../../icrc/interface';
import type { TokenConfig } from './config';
import { NANOS_PER_SECOND, U64_MAX } from '../../ic/constants';

const decodeTransfer = decoder([TransferArg]);
const decodeApprove = decoder([ApproveArgs]);
const decodeTransferFrom = decoder([TransferFromArgs]);

/** One line of a consent message, before it is rendered for a device. */
type Field = [label: string, value: Icrc21Value];

function amountText(amount: bigint, config: TokenConfig): string {
    const scale = 10n ** BigInt(config.decimals);
    const whole = amount / scale;
    const fraction = (amount % scale).toString().padStart(config.decimals, '0').replace(/0+$/, '');
    return `${whole}${fraction === '' ? '' : `.${fraction}`} ${config.token_symbol}`;
}

function amountField(label: string, amount: bigint, config: TokenConfig): Field {
    // ICRC-21's `TokenAmount` carries a nat64; a larger amount is shown as text, in the same units
    if (amount > U64_MAX) return [label, { Text: { content: amountText(amount, config) } }];
    return [label, { TokenAmount: { decimals: config.decimals, amount, symbol: config.token_symbol } }];
}

function accountField(label: string, account: Account): Field {
    const [sub] = account.subaccount;
    const content =
        sub === undefined || sub.every((b) => b === 0)
            ? account.owner.toText()
            : `${account.owner.toText()} (subaccount ${[...sub].map((b) => b.toString(16).padStart(2, '0')).join('')})`;
    return [label, { Text: { content } }];
}

function memoFields(memo: [] | [Uint8Array]): Field[] {
    const [bytes] = memo;
    return bytes === undefined
        ? []
        : [['Memo', { Text: { content: [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('') } }]];
}

/** A field as a line of the generic (Markdown) display. */
function fieldLine([label, value]: Field, config: TokenConfig): string {
    if ('TokenAmount' in value) return `${label}: ${amountText(value.TokenAmount.amount, config)}`;
    if ('TimestampSeconds' in value) return `${label}: ${new Date(Number(value.TimestampSeconds.amount) * 1000).toISOString()}`;
    if ('DurationSeconds' in value) return `${label}: ${value.DurationSeconds.amount} s`;
    return `${label}: ${value.Text.content}`;
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

/** What the call does, as an intent and its fields; or why there is no message for it. */
function describeCall(request: ConsentMessageRequest, config: TokenConfig): { intent: string; fields: Field[] } | string {
    const fee = (stated: [] | [bigint]) => amountField('Fee', stated[0] ?? config.transfer_fee, config);
    switch (request.method) {
        case 'icrc1_transfer': {
            const arg = decodeAs(decodeTransfer, TransferArg, request.arg);
            if (arg === undefined) return 'the argument is not a valid TransferArg';
            return {
                intent: `Send ${config.token_symbol}`,
                fields: [
                    amountField('Amount', arg.amount, config),
                    accountField('To', arg.to),
                    fee(arg.fee),
                    ...memoFields(arg.memo)
                ]
            };
        }
        case 'icrc2_approve': {
            const arg = decodeAs(decodeApprove, ApproveArgs, request.arg);
            if (arg === undefined) return 'the argument is not a valid ApproveArgs';
            const [expires] = arg.expires_at;
            return {
                intent: `Approve spending of ${config.token_symbol}`,
                fields: [
                    accountField('Spender', arg.spender),
                    amountField('Allowance', arg.amount, config),
                    expires === undefined
                        ? ['Expires', { Text: { content: 'never' } }]
                        : ['Expires', { TimestampSeconds: { amount: expires / NANOS_PER_SECOND } }],
                    fee(arg.fee),
                    ...memoFields(arg.memo)
                ]
            };
        }
        case 'icrc2_transfer_from': {
            const arg = decodeAs(decodeTransferFrom, TransferFromArgs, request.arg);
            if (arg === undefined) return 'the argument is not a valid TransferFromArgs';
            return {
                intent: `Spend ${config.token_symbol} from an approval`,
                fields: [
                    amountField('Amount', arg.amount, config),
                    accountField('From', arg.from),
                    accountField('To', arg.to),
                    fee(arg.fee),
                    ...memoFields(arg.memo)
                ]
            };
        }
        default:
            return `no consent message for method ${request.method}`;
    }
}

/**
 * The consent message for a call, or why there is none: as fields when the device asks for `FieldsDisplay`,
 * otherwise as Markdown text (`GenericDisplay`, also the answer when the device names none).
 */
export function consentMessage(request: ConsentMessageRequest, config: TokenConfig): ConsentMessageResponse {
    const described = describeCall(request, config);
    if (typeof described === 'string') return unsupported(described);
    const [device] = request.user_preferences.device_spec;
    const consent_message =
        device !== undefined && 'FieldsDisplay' in device
            ? {
                  FieldsDisplayMessage: {
                      intent: described.intent,
                      fields: described.fields
                  }
              }
            : {
                  GenericDisplayMessage: [`# ${described.intent}`, ...described.fields.map((f) => fieldLine(f, config))].join(
                      '\n\n'
                  )
              };
    return {
        Ok: {
            consent_message,
            metadata: { language: 'en', utc_offset_minutes: request.user_preferences.metadata.utc_offset_minutes }
        }
    };
}
