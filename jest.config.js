// One jest run over every workspace: a project per package and app, plus the cross-service tests in test/.
// Unit tests are `*.spec.ts`; tests against the real broker and database are `*.int.spec.ts`.
// Run through `npm test`, which starts PostgreSQL and Kafka first (see scripts/test/run.ts).
const fs = require('node:fs');
const path = require('node:path');

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.jest.json') }] };
// Workspaces import each other's sources in tests, so no build is needed before running them.
const moduleNameMapper = {
  '^@oncepay/test-support$': path.join(__dirname, 'test/support/index.ts'),
  '^@oncepay/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  // Dynamic imports carry the `.js` extension node16 resolution asks for; jest loads the .ts source.
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

function project(dir) {
  return {
    displayName: path.basename(dir),
    rootDir: dir,
    testMatch: ['<rootDir>/**/*.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    testEnvironment: 'node',
    transform,
    moduleNameMapper,
  };
}

const workspaces = ['packages', 'apps'].flatMap((group) =>
  fs
    .readdirSync(path.join(__dirname, group))
    .map((name) => path.join(__dirname, group, name))
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json'))),
);

module.exports = {
  projects: [...workspaces, path.join(__dirname, 'test')].map(project),
  // Integration tests wait on real brokers and databases.
  testTimeout: 60_000,
};
