// Proves a service authenticates to a broker that requires it, from configuration alone: on a real
// Kafka broker whose second listener takes only SASL/PLAIN clients, the client OncePay builds with the
// right user produces and reads a message, the wrong password is refused, and a service started with
// KAFKA_SASL_* pointed at that listener reports Kafka up in /health, and so does the auditor with the same variables. (TLS is the same option of
// kafkajs; it is configured, not exercised here: no certificates are made in the test.)
import { createKafkaClient } from '@oncepay/messaging';
import {
  createTestDatabase,
  startTestService,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localStackDefaults } from '../apps/auditor/src/config/local-stack';
import { countDeadLetters } from '../apps/auditor/src/dead-letters';
import { AppModule } from '../apps/transfer-service/src/app.module';
import { startKafka, type KafkaBroker } from '../scripts/infra/kafka';
import { freePorts } from '../scripts/infra/net';

const USER = 'transfer-service';
const PASSWORD = 'a-password-of-the-transfer-service';

describe('Kafka with SASL/PLAIN', () => {
  let root: string;
  let broker: KafkaBroker;
  let saslBrokers: string[];
  let database: TestDatabase;
  let service: TestService | undefined;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-sasl-kafka-'));
    const [port, controllerPort, saslPort] = await freePorts(3);
    broker = await startKafka({
      dataDir: path.join(root, 'data'),
      logFile: path.join(root, 'kafka.log'),
      port: port!,
      controllerPort: controllerPort!,
      sasl: { port: saslPort!, users: { [USER]: PASSWORD } },
    });
    saslBrokers = [`127.0.0.1:${saslPort}`];
    database = await createTestDatabase('transfer');
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    await database?.drop();
    await broker?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  const client = (password: string) =>
    createKafkaClient({
      clientId: 'sasl-test',
      brokers: saslBrokers,
      sasl: { mechanism: 'plain', username: USER, password },
    });

  it('produces and reads a message as the configured user', async () => {
    const kafka = client(PASSWORD);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'sasl-probe', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'sasl-probe', messages: [{ key: 'k', value: 'hello' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'sasl-probe' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'sasl-probe', fromBeginning: true });
    const value = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: ({ message }) => Promise.resolve(resolve(String(message.value))) });
    });
    await consumer.disconnect();
    expect(value).toBe('hello');
  });

  it('is refused with the wrong password', async () => {
    const admin = client('not-the-password').admin();
    await expect(admin.connect()).rejects.toThrow(/SASL|[Aa]uthentication/);
    await admin.disconnect();
  });

  it('connects a service configured with KAFKA_SASL_*: /health reports Kafka up', async () => {
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: saslBrokers.join(','),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    const response = await fetch(`${service.baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ checks: { kafka: { status: 'up' } } });
  });

  it('lets the auditor count the dead letters as the user KAFKA_SASL_* names, and names the broker when refused', async () => {
    const security = (password: string) =>
      localStackDefaults({
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: USER,
        KAFKA_SASL_PASSWORD: password,
      }).kafkaSecurity;
    await expect(countDeadLetters(saslBrokers, 'audit-sasl.', security(PASSWORD))).resolves.toHaveLength(3);
    await expect(countDeadLetters(saslBrokers, 'audit-sasl.', security('wrong'))).rejects.toThrow(
      `cannot connect to the Kafka at ${saslBrokers.join(',')}`,
    );
  });
});
