// Lint configuration. The layer rules below are the architecture (shared/docs/architecture.md), enforced.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sdk = ['botbuilder', 'botbuilder-*', 'botframework-*', 'restify', 'ioredis', 'argon2', 'ldapts', 'nodemailer'];
const nodeIo = ['fs', 'fs/*', 'node:*', 'net', 'http', 'https', 'child_process', 'os', 'crypto', 'dgram', 'tls'];

/** @param {string[]} groups @param {string} message */
const forbid = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'bench-results/**', 'web/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.js', 'test/support/*.js'], maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16 }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      // Issue 16: a promise nobody handles is a process exit waiting to happen. `void p` is allowed only for a
      // promise that is already handled (the rule still checks what is voided: a bare .then(ok) is not handled).
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false, checkThenables: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksConditionals: true, checksSpreads: true, checksVoidReturn: true }],
    },
  },
  {
    // In the browser a rejection only reaches the console: `void p` stays an accepted fire-and-forget there.
    files: ['web/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true, checkThenables: true }] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      ...forbid(
        [...sdk, ...nodeIo, 'zod', 'pino', 'prom-client', '../adapters/*', '../bot/*', '../dialogs/*', '../cards/*', '../locales/*', '../web/*', '**/adapters/**', '**/bot/**', '**/dialogs/**', '**/cards/**', '**/locales/**'],
        'domain/ is pure: it imports only domain/ (architecture.md).',
      ),
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'process.env is read in bot/config.ts only.' }],
      'no-restricted-globals': ['error', { name: 'process', message: 'domain/ does not touch the process.' }],
    },
  },
  {
    files: ['adapters/**/*.ts'],
    rules: {
      ...forbid(['botbuilder', 'botbuilder-*', 'botframework-*', 'restify', '**/dialogs/**', '**/cards/**', '**/bot/**'], 'adapters/ implement domain ports; no SDK, dialogs, cards or bot (architecture.md).'),
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'process.env is read in bot/config.ts only.' }],
    },
  },
  {
    files: ['cards/**/*.ts'],
    rules: {
      ...forbid([...sdk, 'zod/*', '**/adapters/**', '**/dialogs/**', '**/bot/**'], 'cards/ are pure builders (architecture.md).'),
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'process.env is read in bot/config.ts only.' }],
    },
  },
  {
    files: ['dialogs/**/*.ts'],
    rules: {
      ...forbid(['ioredis', 'argon2', 'ldapts', 'nodemailer', 'restify', '**/adapters/**', '**/bot/**'], 'dialogs/ orchestrate; no adapters, no infrastructure (architecture.md).'),
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'process.env is read in bot/config.ts only.' }],
    },
  },
  {
    files: ['locales/**/*.ts'],
    rules: forbid([...sdk, '**/adapters/**', '**/dialogs/**', '**/bot/**', '**/cards/**'], 'locales/ holds text only.'),
  },
  {
    files: ['bot/**/*.ts'],
    ignores: ['bot/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'process.env is read in bot/config.ts only.' }],
    },
  },
);
