/** Reading a ledger's whole block log, as ICRC-3 clients do: pages of `icrc3_get_blocks` until `log_length`. */
import type { ICRC3Value } from '../../src/icrc/interface';

type BlockReader = {
    icrc3_get_blocks(
        ranges: { start: bigint; length: bigint }[]
    ): Promise<{ log_length: bigint; blocks: { block: ICRC3Value }[] }>;
};

/** All blocks, oldest first (a ledger answers at most 100 per call). */
export async function allBlocks(ledger: BlockReader): Promise<ICRC3Value[]> {
    const blocks: ICRC3Value[] = [];
    for (;;) {
        const page = await ledger.icrc3_get_blocks([{ start: BigInt(blocks.length), length: 100n }]);
        blocks.push(...page.blocks.map((b) => b.block));
        if (page.blocks.length === 0 || BigInt(blocks.length) >= page.log_length) return blocks;
    }
}
