// Lint rules, including the project's dependency rules: domain packages stay free of frameworks,
// and only config modules read the environment.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const FRAMEWORK_IMPORTS = ['@nestjs/*', '@prisma/*', 'kafkajs', '**/generated/prisma/**'];
// The delivery-semantics lab's consumers include deliberately unsafe disciplines (at-most-once,
// at-least-once without dedup). They exist only in scripts/lab, and no service code may reach them.
const LAB_IMPORTS = {
  group: ['**/scripts/lab', '**/scripts/lab/**'],
  message: 'scripts/lab holds the lab-only unsafe consumer modes; services and packages never import it.',
};

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.oncepay/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true, 'ts-nocheck': true }],
    },
  },
  {
    files: ['eslint.config.js', 'jest.config.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Nothing the services run may import the lab (see LAB_IMPORTS), tests included.
    files: ['apps/**/*.ts', 'packages/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [LAB_IMPORTS] }] },
  },
  {
    // Domain code: plain TypeScript the services and tests share; no framework, ORM or broker inside.
    files: [
      'packages/contracts/src/**/*.ts',
      'packages/transfer-state-machine/src/**/*.ts',
      'packages/dedup/src/domain/**/*.ts',
      'packages/posting-rules/src/**/*.ts',
    ],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: FRAMEWORK_IMPORTS,
              message: 'Domain packages import no NestJS, Prisma or kafkajs code.',
            },
            // Repeated: for the files it matches, this block's rule replaces the one above.
            LAB_IMPORTS,
          ],
        },
      ],
    },
  },
  {
    // Services read the environment only in their config module, where it is validated.
    files: ['apps/*/src/**/*.ts', 'packages/*/src/**/*.ts'],
    // A service's main hands the process environment to runService, which checks it before Nest starts.
    ignores: ['apps/*/src/config/**', 'apps/*/src/main.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through the config module.' },
      ],
    },
  },
);
