// A Jest transformer that compiles TypeScript (with TC39 decorators) to CommonJS with esbuild, the bundler
// Azle itself uses. It replaces @swc/jest, whose per-platform binaries npm cannot all record in the lock file
// here (so `npm ci` would refuse it); esbuild's are all there.
const { createHash } = require('node:crypto');
const { transformSync, version } = require('esbuild');

/** @type {import('@jest/transform').SyncTransformer} */
module.exports = {
    canInstrument: false,
    getCacheKey(source, path) {
        return createHash('sha256').update(version).update('\0').update(path).update('\0').update(source).digest('hex');
    },
    process(source, path) {
        const result = transformSync(source, {
            loader: /\.tsx?$/.test(path) ? 'ts' : 'js',
            format: 'cjs',
            target: 'es2022',
            sourcemap: 'inline',
            sourcefile: path
        });
        return { code: result.code };
    }
};
