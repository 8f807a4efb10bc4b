// A service started with a bad configuration (a typo in a compose file, a missing variable) prints the
// invalid settings, one per line, and exits 1: no stack trace, no colour codes, nothing started.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../scripts/infra/paths';
import { SERVICES } from '../scripts/infra/services';

describe.each(SERVICES.map((service) => [service.name, service.workspace]))(
  'the %s-service with an invalid environment',
  (name, workspace) => {
    it('names each invalid variable and exits 1 without a stack trace', () => {
      const result = spawnSync(process.execPath, [path.join(REPO_ROOT, workspace, 'dist', 'main.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          FORCE_COLOR: '1', // a terminal would get colours; the message must not need them
          PORT: 'eighty',
          DATABASE_URL: 'mysql://db/x',
          KAFKA_BROKERS: 'kafka:9092',
          API_KEYS: 'demo-a:too-short',
        },
        encoding: 'utf8',
        timeout: 30_000,
      });

      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `${name}-service: invalid configuration, not starting:`,
        '  PORT: Invalid input: expected number, received NaN',
        '  DATABASE_URL: must be a postgresql:// URL',
        '  API_KEYS: each entry must be clientId:apiKey with a key of 16+ characters',
      ]);
    });
  },
);
