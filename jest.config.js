/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/test', '<rootDir>/src', '<rootDir>/examples'],
    testMatch: ['**/*.test.ts'],
    transform: { '^.+\\.(t|j)sx?$': '<rootDir>/test/support/esbuild-jest.js' },
    testTimeout: 120_000
};
