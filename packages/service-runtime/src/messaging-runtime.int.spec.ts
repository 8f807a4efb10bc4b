// Proves a service's Kafka side works inside Nest end to end on the real broker and database: the
// topics are created at boot, an event written to the outbox in a database transaction is published
// by the relay, and an EventConsumer subclass receives it; shutdown stops all of it cleanly. And a
// consumer kafkajs stops for good (a crash it will not restart) turns readiness and liveness red and
// reports the service fatal, which in a real process closes it and exits.
import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { executorOfPrisma } from '@oncepay/sql';
import {
  enqueueEvent,
  type ConsumedEvent,
  type HandleOutcome,
  type IdempotentProducer,
} from '@oncepay/messaging';
import {
  createPrismaClient,
  createTestDatabase,
  sampleTransferRequested,
  startTestService,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@oncepay/test-support';
import { baseEnvSchema } from './env';
import { EventConsumer, type TransactionalDatabase } from './messaging-runtime';
import { ServiceCoreModule } from './service-core.module';
import { ServiceStatus } from './service-status';
import { KAFKA, PRISMA, PRODUCER } from './tokens';

describe('ServiceCoreModule messaging runtime', () => {
  const topic = uniqueName('wiring');
  const received: string[] = [];
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
  });
  afterAll(() => database.drop());

  function buildModule(env: Record<string, unknown>, sabotage?: () => Promise<void>): DynamicModule {
    @Injectable()
    class RecordingConsumer extends EventConsumer {
      protected readonly groupId = uniqueName('group');
      protected readonly topics = [topic];
      protected override afterHandled = sabotage;
      protected handleBatch = async (batch: readonly ConsumedEvent[]): Promise<HandleOutcome[]> => {
        received.push(...batch.map(({ event }) => event.id));
        return batch.map(() => 'processed');
      };
      constructor(
        @Inject(KAFKA) kafka: ConstructorParameters<typeof EventConsumer>[0],
        @Inject(PRODUCER) producer: IdempotentProducer,
      ) {
        super(kafka, producer);
      }
    }

    @Module({})
    class WiringTestModule {}
    return {
      module: WiringTestModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: 'wiring-test',
          envSchema: baseEnvSchema,
          env,
          createPrisma: () => createPrismaClient('transfer', database.url),
          messaging: { topics: [topic], outbox: true },
        }),
      ],
      providers: [RecordingConsumer],
    };
  }

  it('publishes an outbox event through the relay to a consumer', async () => {
    const service = await startTestService(buildModule, { DATABASE_URL: database.url });
    try {
      const prisma = service.app.get<TransactionalDatabase>(PRISMA);
      const event = sampleTransferRequested();
      await prisma.$transaction((tx) => enqueueEvent(executorOfPrisma(tx), event, topic));
      await waitFor(
        () => Promise.resolve(received),
        (ids) => ids.includes(event.id),
        { what: 'the consumer to receive the event' },
      );
      expect(received).toEqual([event.id]);
    } finally {
      await service.close();
    }
  });

  it('parks a row it cannot publish past OUTBOX_MAX_ATTEMPTS, and says so on /metrics', async () => {
    const service = await startTestService(buildModule, {
      DATABASE_URL: database.url,
      OUTBOX_MAX_ATTEMPTS: '1',
    });
    try {
      const prisma = service.app.get<TransactionalDatabase>(PRISMA);
      const scrape = async () => (await fetch(`${service.baseUrl}/metrics`)).text();
      expect(await scrape()).toMatch(/^oncepay_outbox_parked_rows\{service="wiring-test"\} 0$/m);
      // A topic nobody created: the broker refuses it for the row's sake, not its own.
      await prisma.$transaction((tx) =>
        enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), uniqueName('never-created')),
      );
      // The gauge reads the table, the counter counts in the relay once its pass returns: a scrape may
      // fall between the two, so wait for both.
      const metrics = await waitFor(
        scrape,
        (text) =>
          /^oncepay_outbox_parked_rows\{[^}]*\} 1$/m.test(text) &&
          /^oncepay_outbox_parked_rows_total\{[^}]*\} 1$/m.test(text),
        { what: 'the parked row on /metrics, in the gauge and the counter' },
      );
      expect(metrics).toMatch(/^oncepay_outbox_parked_rows_total\{service="wiring-test"\} 1$/m);
      expect(metrics).toMatch(/^oncepay_outbox_pending_messages\{service="wiring-test"\} 0$/m);
    } finally {
      await service.close();
    }
  });

  it('turns readiness and liveness red and reports the service fatal when kafkajs stops its consumer for good', async () => {
    // A TypeError after the batch committed: kafkajs neither retries it nor restarts the consumer.
    const sabotage = () => Promise.reject(new TypeError('a bug after the commit'));
    const service = await startTestService((env) => buildModule(env, sabotage), {
      DATABASE_URL: database.url,
    });
    try {
      const fatal: unknown[] = [];
      service.app.get(ServiceStatus).onFatal((error) => fatal.push(error));
      const prisma = service.app.get<TransactionalDatabase>(PRISMA);
      await prisma.$transaction((tx) => enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), topic));
      await waitFor(
        () => Promise.resolve(fatal),
        (errors) => errors.length === 1,
        { what: 'the fatal report' },
      );
      // kafkajs hands it on wrapped (KafkaJSNonRetriableError), with the bug's message.
      expect(String(fatal[0])).toContain('a bug after the commit');
      const ready = await fetch(`${service.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('2');
      const report = (await ready.json()) as { checks: Record<string, { status: string; error?: string }> };
      const consumer = Object.entries(report.checks).find(([name]) => name.startsWith('consumer:'));
      expect(consumer?.[1]).toMatchObject({
        status: 'down',
        error: 'failed: KafkaJSNonRetriableError: a bug after the commit',
      });
      expect(report.checks.database).toMatchObject({ status: 'up' });
      const live = await fetch(`${service.baseUrl}/health/live`);
      expect(live.status).toBe(503);
      expect(await live.json()).toMatchObject({ status: 'error' });
    } finally {
      await service.close();
    }
  });
});
