// @ts-check
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

/** Workflow code is replayed: it must not reach the outside world. */
const deterministicImports = {
  paths: nodeBuiltins.map((name) => ({
    name,
    message: 'Workflows and core/ must stay deterministic: no Node APIs.',
  })),
  patterns: [
    { group: ['@aws-sdk/*', '@smithy/*'], message: 'AWS calls belong in activities/.' },
    {
      group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
      message: 'Workflow code may only use @temporalio/workflow.',
    },
    {
      group: ['**/activities/**', '**/workers/**', '**/emulator/**', '**/cli/**'],
      message: 'Arrows point one way: workflows/core import only core/.',
    },
    { group: ['pino', '@duckdb/*', 'commander'], message: 'No I/O libraries in deterministic code.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', '.medallion/', 'coverage/', 'dist/', 'eslint.config.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['workflows/**/*.ts', 'core/**/*.ts', 'pipelines/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', deterministicImports] },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop from @temporalio/workflow.' },
        { name: 'process', message: 'Workflows have no process environment.' },
        { name: 'clearTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use workflowNowMs() from workflows/workflow-clock.ts.' },
        {
          object: 'Math',
          property: 'random',
          message: 'Use uuid4() or a seeded generator from the workflow input.',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
