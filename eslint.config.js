import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'fs/promises',
  'path',
  'child_process',
  'http',
  'https',
  'net',
  'os',
  'crypto',
  'stream',
  'worker_threads',
  'dns',
  'timers',
  'process',
];
const ioPackages = [
  'pg',
  'kysely',
  'dockerode',
  '@aws-sdk/*',
  'fastify',
  '@electric-sql/pglite',
  'pino',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.sluice/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: no Node built-ins, no I/O, no wall clock.
    files: ['workflows/**/*.ts'],
    // Tests drive workflows from outside the sandbox and need the SDK's client and worker.
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins
            .flatMap((m) => [m, `node:${m}`])
            .map((name) => ({ name, message: 'workflows must be deterministic: no Node built-ins' })),
          patterns: [
            {
              group: ioPackages,
              message: 'workflows must not import I/O libraries; use activities',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' }],
    },
  },
  {
    // Migrations are frozen in time and typed against no schema: Kysely<any> is the pattern.
    files: ['core/db/migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
