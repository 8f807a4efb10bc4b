// A service started with a bad configuration (a typo in a compose file, a missing variable, the
// published dev API keys in production) prints the invalid settings, one per line, and exits 1: no
// stack trace, no colour codes, nothing started.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DEV_API_KEYS } from '@oncepay/http-edge';
import { REPO_ROOT } from '../scripts/infra/paths';
import { SERVICES } from '../scripts/infra/services';

describe.each(SERVICES.map((service) => [service.name, service.workspace]))(
  'the %s-service with an invalid environment',
  (name, workspace) => {
    const start = (env: Record<string, string>) =>
      spawnSync(process.execPath, [path.join(REPO_ROOT, workspace, 'dist', 'main.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          FORCE_COLOR: '1', // a terminal would get colours; the message must not need them
          ...env,
        },
        encoding: 'utf8',
        timeout: 30_000,
      });

    it('names each invalid variable and exits 1 without a stack trace', () => {
      const result = start({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://db/x',
        KAFKA_BROKERS: 'kafka:9092',
        API_KEYS: 'demo-a:client:too-short,demo-b:oncepay-dev-key-b',
      });

      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `${name}-service: invalid configuration, not starting:`,
        '  PORT: Invalid input: expected number, received NaN',
        '  DATABASE_URL: must be a postgresql:// URL',
        '  API_KEYS: entry 1: the key must be 16+ characters, or sha256= and 64 lower-case hex digits',
        '  API_KEYS: entry 2: must be clientId:role:key (the key plain, or sha256=<hex digest>)',
      ]);
    });

    it('refuses the published dev API keys with NODE_ENV=production', () => {
      const valid = {
        DATABASE_URL: 'postgresql://db/x',
        KAFKA_BROKERS: 'kafka:9092',
        NODE_ENV: 'production',
        API_KEYS: DEV_API_KEYS,
      };
      const result = start(valid);

      expect(result.status).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `${name}-service: invalid configuration, not starting:`,
        expect.stringMatching(
          /^ {2}API_KEYS: holds the published dev key of ops, demo-a, demo-b, refused with NODE_ENV=production/,
        ),
      ]);
    });
  },
);
