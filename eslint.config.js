// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.scratch/', 'node_modules/', '.serverless/', '.mgn-flow/', 'coverage/', 'bench/results.json', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@aws-sdk/*'], message: 'Only src/adapters/aws, src/local, src/dashboard, src/cli and tests import @aws-sdk/*.' }] },
      ],
    },
  },
  {
    files: ['src/adapters/aws/**', 'src/local/**', 'src/dashboard/**', 'test/**', 'bench/**', 'src/cli/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
