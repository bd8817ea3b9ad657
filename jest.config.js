/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/test', '<rootDir>/src', '<rootDir>/examples'],
    testMatch: ['**/*.test.ts'],
    transform: {
        '^.+\\.(t|j)sx?$': [
            '@swc/jest',
            {
                jsc: {
                    parser: { syntax: 'typescript', decorators: true },
                    transform: { decoratorVersion: '2022-03' },
                    target: 'es2022'
                },
                module: { type: 'commonjs' }
            }
        ]
    },

    testTimeout: 120_000
};
