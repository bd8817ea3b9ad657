/**
 * The write tracking on a real Azle module: the instrumentation leaves out stores it proves go to the shadow
 * stack and shares marks between stores through one local (see src/replica/wasm/write-marks.ts). A mark left
 * out wrongly would make a rollback miss a page, so this checks the outcome, byte by byte: after each
 * `increment` of examples/counter, every 1 KiB page whose bytes changed is marked, except pages of the shadow
 * stack, which is empty between messages.
 */
import { readFileSync } from 'node:fs';

import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

import { counterService } from '../../examples/counter/service';
import { wasmOf } from '../../scripts/lib/build';
import { BareHost } from '../../src/replica/bare-host';
import { CallContext, newMessage } from '../../src/replica/message';
import { JOURNAL_PAGE_SHIFT, TRACKED_PAGES, WASM_PAGE } from '../../src/replica/wasm/instrument';

const caller = Principal.anonymous().toUint8Array();

function update(host: BareHost, method: string, arg: Uint8Array): void {
    const message = newMessage({
        kind: 'update',
        methodName: method,
        caller,
        arg,
        callContext: new CallContext(caller, method, 0n, () => undefined),
        instructionLimit: 0n,
        replicated: true
    });
    host.run(message, `canister_update ${method}`);
    if (message.response === undefined) throw new Error(`${method} did not reply`);
}

describe('write tracking of examples/counter', () => {
    it('marks every page an update changes, outside the shadow stack', async () => {
        const wasm = new Uint8Array(readFileSync(await wasmOf('counter')));
        const host = new BareHost(wasm, {});
        const instrumented = host.instrumented;
        const journal = host.journal;
        if (instrumented === undefined || journal === undefined) throw new Error('the host did not instrument the module');
        const stackTop = instrumented.shadowStackTop;
        expect(stackTop).toBe(1024 * 1024); // Rust's 1 MiB stack, laid out first
        host.run(
            newMessage({
                kind: 'init',
                methodName: 'canister_init',
                caller,
                arg: counterService.encodeInit(IDL, [{ max_step: 1_000n }]),
                instructionLimit: 0n,
                replicated: true
            }),
            'canister_init'
        );
        const increment = counterService.idlFactory({ IDL })._fields.find(([name]) => name === 'increment')?.[1];
        if (increment === undefined) throw new Error('the counter has no increment');
        const memory = host.exports.memory as WebAssembly.Memory;
        const bitmapStart = instrumented.bitmapPage * WASM_PAGE;
        const bitmapEnd = bitmapStart + TRACKED_PAGES;
        let checkedPages = 0;
        for (let by = 1n; by <= 5n; by++) {
            journal.commit(); // clears the marks
            const before = new Uint8Array(memory.buffer).slice();
            update(host, 'increment', new Uint8Array(IDL.encode(increment.argTypes, [{ by, memo: [] }])));
            const heap = new Uint8Array(memory.buffer);
            const marked = (page: number) => heap[bitmapStart + page] === 1;
            const unmarked: number[] = [];
            for (let page = (stackTop as number) >> JOURNAL_PAGE_SHIFT; page < heap.length >> JOURNAL_PAGE_SHIFT; page++) {
                const start = page << JOURNAL_PAGE_SHIFT;
                if (start >= bitmapStart && start < bitmapEnd) continue;
                const end = start + (1 << JOURNAL_PAGE_SHIFT);
                const now = Buffer.from(heap.buffer, start, end - start);
                // memory grown by the update was zero before it
                const was = start >= before.length ? Buffer.alloc(end - start) : Buffer.from(before.buffer, start, end - start);
                if (now.equals(was)) continue;
                checkedPages++;
                // a store marks the page of its first byte, and may spill up to 15 bytes into the next one
                const onlySpilled = marked(page - 1) && now.subarray(15).equals(was.subarray(15));
                if (!marked(page) && !onlySpilled) unmarked.push(page);
            }
            expect(unmarked).toEqual([]);
        }
        expect(checkedPages).toBeGreaterThan(100); // the updates really did write the heap
    }, 60_000);
});
