/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/test', '<rootDir>/src', '<rootDir>/examples'],
    testMatch: ['**/*.test.ts'],
    // The official Candid declarations ship as ES modules; they are compiled like the project's own files.
    // …and are reached by path, as the package's `exports` do not list them.
    moduleNameMapper: { '^@icp-sdk/canisters/declarations/(.*)$': '<rootDir>/node_modules/@icp-sdk/canisters/declarations/$1' },
    transformIgnorePatterns: ['/node_modules/(?!@icp-sdk/canisters/declarations/)'],
    transform: { '^.+\\.(t|j)sx?$': '<rootDir>/test/support/esbuild-jest.js' },
    testTimeout: 120_000
};
