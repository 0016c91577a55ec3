// @ts-check
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { noImportCycles } from './lint/no-import-cycles.mjs';

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
    { group: ['pino', '@duckdb/*', 'commander'], message: 'No I/O libraries in deterministic code.' },
  ],
};

/** What the tools at the top (benches, tests, scripts) build on: every library room. */
const TOOLED = [
  'core',
  'workflows',
  'activities',
  'pipelines',
  'schedules',
  'emulator',
  'workers',
  'local',
  'cli',
];

/**
 * The rooms of docs/ARCHITECTURE.md and the rooms each may import besides itself. Arrows point one
 * way: nothing imports scripts/, bench/ or test/, and no room imports one that imports it back.
 */
const MAY_IMPORT = {
  core: [],
  workflows: ['core'],
  activities: ['core'],
  pipelines: ['core'],
  schedules: ['core'],
  emulator: ['core'],
  workers: ['core', 'activities', 'pipelines'],
  infra: ['core', 'workers'],
  local: ['core', 'pipelines', 'emulator', 'workers'],
  cli: ['core', 'workflows', 'activities', 'pipelines', 'schedules', 'workers', 'local'],
  bench: TOOLED,
  test: [...TOOLED, 'infra'],
  scripts: [...TOOLED, 'test'],
};
const ROOMS = Object.keys(MAY_IMPORT);
const roomZones = Object.entries(MAY_IMPORT).map(([room, allowed]) => ({
  target: `./${room}`,
  from: ROOMS.filter((other) => other !== room && !allowed.includes(other)).map((other) => `./${other}`),
  message: `${room}/ may import ${allowed.length ? allowed.map((r) => `${r}/`).join(', ') : 'only itself'} (docs/ARCHITECTURE.md, "Rooms").`,
}));

export default tseslint.config(
  { ignores: ['node_modules/', '.medallion/', 'coverage/', 'dist/', 'eslint.config.mjs', 'lint/'] },
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
    plugins: { 'import-x': importX, medallion: { rules: { 'no-import-cycles': noImportCycles } } },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mts', '.js', '.mjs'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: roomZones }],
      // Not import-x/no-cycle: it skips type-only imports, and a type cycle ties two files together too.
      'medallion/no-import-cycles': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts', 'core/**/*.ts', 'pipelines/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', deterministicImports] },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['callee.name', 'callee.property.name'].map((callee) => ({
          selector: `CallExpression[${callee}=/^(patched|deprecatePatch)$/]:not([arguments.0.callee.name='patchId'])`,
          message:
            'Register the patch in workflows/patches.ts and call it as patched(patchId(\'...\')) (docs/ARCHITECTURE.md, "Changing workflow code").',
        })),
      ],
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
