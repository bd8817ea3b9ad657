// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['**/node_modules/', '**/.azle/', '**/.dfx/', 'coverage/'] },
    js.configs.recommended,
    ...tseslint.configs.strict,
    {
        languageOptions: {
            globals: { console: 'readonly', process: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' }
        },
        rules: {
            '@typescript-eslint/no-explicit-any': 'error',
            '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
            'no-restricted-imports': [
                'error',
                {
                    patterns: [
                        {
                            group: ['azle'],
                            message:
                                'only canisters import azle: library code takes its exports as a parameter (see src/candid/implement.ts).'
                        }
                    ]
                }
            ]
        }
    },
    {
        // Only canisters and their build tooling may import Azle.
        files: ['examples/**', 'src/canisters/**', 'test/fixtures/**', 'scripts/**', 'test/**'],
        rules: { 'no-restricted-imports': 'off' }
    },
    {
        files: ['**/*.cjs', 'jest.config.js', 'test/support/esbuild-jest.js'],
        rules: { '@typescript-eslint/no-require-imports': 'off' }
    }
);
