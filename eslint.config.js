// Lint rules, including the project's dependency rules: every workspace imports only the layers below
// its own, domain packages stay free of frameworks, and only config modules read the environment.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const FRAMEWORK_IMPORTS = ['@nestjs/*', '@prisma/*', 'kafkajs', '**/generated/prisma/**'];
// The delivery-semantics lab's consumers include deliberately unsafe disciplines (at-most-once,
// at-least-once without dedup). They exist only in scripts/lab, and no service code may reach them.
const LAB_IMPORTS = {
  group: ['**/scripts/lab', '**/scripts/lab/**'],
  message: 'scripts/lab holds the lab-only unsafe consumer modes; services and packages never import it.',
};

// The dependency direction, bottom first: a workspace imports only workspaces of the layers below its
// own, never one beside or above it, so the chain can be drawn from the package names alone.
const LAYERS = [
  { layer: 'contracts: events, ids, money', workspaces: ['packages/contracts'] },
  {
    layer: 'pure domain',
    workspaces: ['packages/transfer-state-machine', 'packages/posting-rules'],
    pure: true,
  },
  { layer: 'SQL access', workspaces: ['packages/sql'] },
  { layer: 'dedup and messaging', workspaces: ['packages/dedup', 'packages/messaging'] },
  { layer: 'the HTTP edge (Nest on Fastify)', workspaces: ['packages/http-edge'] },
  {
    layer: 'the service runtime (config, pool, Kafka, retention, health)',
    workspaces: ['packages/service-runtime'],
  },
  {
    layer: 'services, the auditor and the operator commands',
    workspaces: [
      'apps/transfer-service',
      'apps/ledger-service',
      'apps/notification-service',
      'apps/auditor',
      'apps/ops',
    ],
  },
  {
    // The typed client of the services' APIs, for scripts and tests: above the services, so none of
    // them may import it, and self-contained, so it imports no workspace at all (only its generated types).
    layer: 'the typed API client (scripts and tests only)',
    workspaces: ['packages/client'],
    selfContained: true,
  },
  {
    // The console reads the services through their APIs, with the typed client, like any other user.
    layer: 'the console',
    workspaces: ['apps/console'],
  },
];

/** Every workspace must have a layer: one missing from LAYERS would have no direction rule at all. */
function assertEveryWorkspaceHasALayer() {
  const fs = require('node:fs');
  const path = require('node:path');
  const layered = new Set(LAYERS.flatMap(({ workspaces }) => workspaces));
  const missing = ['packages', 'apps']
    .flatMap((group) => fs.readdirSync(path.join(__dirname, group)).map((name) => `${group}/${name}`))
    .filter((workspace) => fs.existsSync(path.join(__dirname, workspace, 'package.json')))
    .filter((workspace) => !layered.has(workspace));
  if (missing.length > 0)
    throw new Error(`eslint.config.js: add ${missing.join(', ')} to LAYERS (the dependency direction)`);
}

function dependencyDirectionRules() {
  assertEveryWorkspaceHasALayer();
  const packageName = (workspace) => `@oncepay/${workspace.split('/')[1]}`;
  return LAYERS.flatMap(({ layer, workspaces, pure, selfContained }, index) =>
    workspaces.map((workspace) => {
      const notBelow = LAYERS.slice(selfContained ? 0 : index)
        .flatMap((other) => other.workspaces)
        .filter((other) => other !== workspace);
      const patterns = [
        LAB_IMPORTS,
        // The top layer has nothing above it to refuse.
        ...(notBelow.length === 0
          ? []
          : [
              {
                group: notBelow.map(packageName),
                message: selfContained
                  ? `${workspace} (${layer}) imports no other workspace: see LAYERS in eslint.config.js.`
                  : `${workspace} (${layer}) imports only the layers below it: see LAYERS in eslint.config.js.`,
              },
            ]),
        {
          group: ['**/packages/*/src/**', '**/apps/*/src/**'],
          message: 'Import another workspace by its package name (@oncepay/...), not by path.',
        },
      ];
      if (pure || index === 0)
        patterns.push({
          group: FRAMEWORK_IMPORTS,
          message: 'Domain packages import no NestJS, Prisma or kafkajs code.',
        });
      return {
        files: [`${workspace}/src/**/*.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns }] },
      };
    }),
  );
}

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.oncepay/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: a forgotten await or an unhandled case in this async Kafka and PostgreSQL code
    // loses work silently, so the compiler's knowledge of promises and unions is put to use.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
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
    // The console's page: a plain ES module that runs in the browser, not in Node.
    files: ['apps/console/src/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'Node', 'CSS', 'EventSource', 'fetch', 'setInterval', 'clearInterval'].map(
          (name) => [name, 'readonly'],
        ),
      ),
    },
  },
  {
    files: ['eslint.config.js', 'jest.config.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...dependencyDirectionRules(),
  {
    // Services read the environment only in their config module, where it is validated.
    files: ['apps/*/src/**/*.ts', 'packages/*/src/**/*.ts'],
    // A service's main hands the process environment to runService, which checks it before Nest starts.
    // Its tracing.ts hands the OTEL_* variables to the OpenTelemetry SDK, which reads them itself by the specification.
    ignores: ['apps/*/src/config/**', 'apps/*/src/main.ts', 'apps/*/src/tracing.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through the config module.' },
      ],
    },
  },
);
