/**
 * A progress bar for long work: redrawn in place on a terminal, and in a log (CI) one line at each quarter,
 * so the output stays readable in both.
 */
export type Progress = { advance(by?: number): void; done(summary: string): void };

export function progress(label: string, total: number): Progress {
    const live = process.stdout.isTTY === true;
    const started = performance.now();
    let count = 0;
    let lastQuarter = 0;
    const draw = () => {
        const width = 30;
        const filled = total === 0 ? width : Math.round((count / total) * width);
        const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
        return `  ${label} [${bar}] ${count.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
    };
    return {
        advance(by = 1) {
            count += by;
            if (live) process.stdout.write(`\r\x1b[K${draw()}`);
            else {
                const quarter = Math.floor((count / total) * 4);
                if (quarter > lastQuarter && count < total) {
                    lastQuarter = quarter;
                    console.log(draw());
                }
            }
        },
        done(summary) {
            const seconds = ((performance.now() - started) / 1000).toFixed(1);
            if (live) process.stdout.write('\r\x1b[K');
            console.log(`  ${label}: ${summary} (${seconds} s)`);
        }
    };
}
