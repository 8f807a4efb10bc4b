// Proves a real service process whose consumer kafkajs stops for good does not linger, answering HTTP
// while it moves nothing: it logs the failure at fatal, closes and exits 1, for its supervisor to start
// a fresh one. (In-process, packages/service-runtime/src/messaging-runtime.int.spec.ts shows the
// readiness and liveness answers on the way.)
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { sampleTransferRequested } from '@oncepay/test-support';
import { encodeEvent } from '@oncepay/contracts';
import { IdempotentProducer } from '@oncepay/messaging';
import {
  createTestDatabase,
  createTestKafka,
  createTestTopics,
  TEST_API_KEYS,
  testEnv,
  uniqueName,
  type TestDatabase,
} from '@oncepay/test-support';
import { REPO_ROOT } from '../scripts/infra/paths';

describe('a service whose consumer stops for good', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
  });
  afterAll(() => database.drop());

  it('logs it at fatal and exits 1', async () => {
    const topic = uniqueName('crash');
    await createTestTopics([topic, `${topic}.dlt`]);
    const producer = new IdempotentProducer(createTestKafka());
    await producer.connect();
    const encoded = encodeEvent(sampleTransferRequested());
    await producer.send([{ topic, key: encoded.key, value: encoded.value, headers: encoded.headers }]);
    await producer.disconnect();

    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'test', 'fixtures', 'crashing-consumer-service.cjs')],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          DATABASE_URL: database.url,
          KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
          KAFKA_NAMESPACE: '',
          API_KEYS: TEST_API_KEYS,
          CRASH_TOPIC: topic,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    for (const stream of [child.stdout, child.stderr])
      readline.createInterface({ input: stream }).on('line', (line) => lines.push(line));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`still running after 60 s:\n${lines.join('\n')}`));
      }, 60_000);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code).toBe(1);
    const fatal = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.level === 'fatal');
    expect(fatal).toMatchObject({
      service: 'crash-test',
      message: 'consumer crash-test stopped: the service cannot go on',
      error: expect.stringContaining('a bug after the commit'),
    });
  }, 90_000);
});
