/**
 * Each account's history as an index should list it, worked out from a ledger's blocks directly: the block ids
 * whose `tx` names the account as `from`, `to` or `spender`, newest first. Written apart from the index's own
 * reading of blocks, so the tests that compare the two check it.
 */
import type { Account, ICRC3Value } from '../../src/icrc/interface';

/** An account's name for these maps: the owner's bytes, and the subaccount's unless it is all zeros. */
export function accountName(account: Account): string {
    const sub = account.subaccount[0];
    return `${account.owner.toUint8Array().join(',')}/${sub === undefined || sub.every((b) => b === 0) ? '' : sub.join(',')}`;
}

/** Account name → block ids, newest first. */
export function historiesOf(blocks: readonly ICRC3Value[]): Map<string, bigint[]> {
    const histories = new Map<string, bigint[]>();
    blocks.forEach((block, id) => {
        const tx = 'Map' in block ? block.Map.find(([key]) => key === 'tx')?.[1] : undefined;
        const names = new Set<string>();
        for (const [key, value] of tx !== undefined && 'Map' in tx ? tx.Map : []) {
            if ((key !== 'from' && key !== 'to' && key !== 'spender') || !('Array' in value)) continue;
            const [owner, sub] = value.Array;
            if (owner === undefined || !('Blob' in owner)) continue;
            const zero = sub === undefined || !('Blob' in sub) || sub.Blob.every((b) => b === 0);
            names.add(`${owner.Blob.join(',')}/${zero ? '' : (sub as { Blob: Uint8Array }).Blob.join(',')}`);
        }
        for (const name of names) histories.set(name, [BigInt(id), ...(histories.get(name) ?? [])]);
    });
    return histories;
}
