/**
 * Stable memory's journal on its own: a rollback restores exactly what a message wrote, however much it wrote
 * (the pieces it saves outgrow the journal's buffer between messages), and the next message journals afresh.
 */
import { StableMemory } from './memory';
import { WASM_PAGE } from './wasm/instrument';

function filled(length: number, seed: number): Uint8Array {
    return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('stable memory journal', () => {
    it('rolls back a write of 3 pages, then rolls back a small write after a commit', () => {
        const stable = new StableMemory();
        stable.grow(4);
        const before = filled(4 * WASM_PAGE, 1);
        stable.write(0, before);
        stable.commit();

        stable.write(100, filled(3 * WASM_PAGE, 2)); // 49 pieces of 4 KiB: more than the buffer kept between messages
        stable.rollback();
        expect(Buffer.compare(stable.read(0, 4 * WASM_PAGE), before)).toBe(0);

        stable.write(5, filled(10, 3));
        stable.commit();
        const committed = stable.read(0, 4 * WASM_PAGE);
        stable.write(4090, filled(20, 4)); // two pieces
        stable.rollback();
        expect(Buffer.compare(stable.read(0, 4 * WASM_PAGE), committed)).toBe(0);
    });

    it('gives back the size a rolled-back message grew', () => {
        const stable = new StableMemory();
        stable.grow(1);
        stable.commit();
        stable.grow(2);
        stable.write(WASM_PAGE, filled(10, 5));
        stable.rollback();
        expect(stable.sizeInPages).toBe(1);
    });
});
