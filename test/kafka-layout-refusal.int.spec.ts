// A service whose Kafka replication settings the cluster cannot hold does not start: it exits 1 with a
// message naming the setting and the cluster size, before it serves or consumes anything. Run against
// the one-broker cluster `npm test` starts, with a namespace of its own, so no topic of it exists yet.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from '../scripts/infra/paths';
import { SERVICE_NODE_FLAGS, SERVICES } from '../scripts/infra/services';
import { createTestDatabase, TEST_API_KEYS, testEnv, type TestDatabase } from '@oncepay/test-support';

const ledger = SERVICES.find((service) => service.name === 'ledger')!;

/** Runs the built ledger-service to its exit; resolves with its exit code and what it wrote to stderr. */
function runLedger(
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...SERVICE_NODE_FLAGS, path.join(REPO_ROOT, ledger.workspace, 'dist', 'main.js')],
      {
        cwd: path.join(REPO_ROOT, ledger.workspace),
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          DATABASE_URL: databaseUrl,
          KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
          KAFKA_NAMESPACE: `refusal-${randomBytes(4).toString('hex')}.`,
          API_KEYS: TEST_API_KEYS,
          LOG_LEVEL: 'warn',
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('a service whose Kafka replication the cluster cannot hold', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('ledger');
  });
  afterAll(() => database?.drop());

  it('exits 1 naming KAFKA_REPLICATION_FACTOR and the brokers of the cluster', async () => {
    const { code, stderr } = await runLedger(database.url, {
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('ledger-service failed to start');
    expect(stderr).toContain('KAFKA_REPLICATION_FACTOR=3 but the cluster has 1 broker(s)');
  }, 60_000);
});
