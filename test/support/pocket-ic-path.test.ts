/**
 * The PocketIC path of the test helper loads in this test setup: with POCKET_IC_BIN naming a missing file,
 * createIc gets as far as starting the server, which reports the missing binary (no PocketIC here).
 */
import { createIc } from './ic';

it('reaches PocketIcServer.start when POCKET_IC_BIN is set', async () => {
    const saved = process.env.POCKET_IC_BIN;
    process.env.POCKET_IC_BIN = '/nonexistent/pocket-ic';
    try {
        await expect(createIc()).rejects.toThrow('Could not find the PocketIC binary at /nonexistent/pocket-ic');
    } finally {
        if (saved === undefined) delete process.env.POCKET_IC_BIN;
        else process.env.POCKET_IC_BIN = saved;
    }
});
