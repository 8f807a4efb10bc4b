// Publishes the plan's transfer requests, REQUEST_BATCH_SIZE per send, with the producer the mode
// names, over connections that the plan's lost acknowledgements cut (ack-loss.ts). Every mode gets the
// same cuts at the same sends; only the producer differs.
import { createKafkaClient, IdempotentProducer, type ProducerRecord } from '@oncepay/messaging';
import { AckLossInjector } from './ack-loss';
import { recordOf, transferRequestedOf } from './lab-events';
import { MODE_DESIGNS, type LabMode } from './modes';
import { REQUEST_BATCH_SIZE, type LabPlan } from './plan';

type Kafka = ReturnType<typeof createKafkaClient>;

interface RequestSender {
  connect(): Promise<void>;
  send(records: ProducerRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface PublishOptions {
  mode: LabMode;
  plan: LabPlan;
  brokers: string[];
  clientId: string;
  topic: string;
  log: (line: string) => void;
}

/** Resolves with the ids of the lost acknowledgements that happened (every one the plan has). */
export async function publishRequests(options: PublishOptions): Promise<string[]> {
  const { plan, topic } = options;
  const injector = new AckLossInjector();
  const kafka = createKafkaClient({
    clientId: options.clientId,
    brokers: options.brokers,
    instrumentBrokerSocket: injector.instrument,
    // kafkajs' errors only (level 1), such as the dropped connection: its warnings here are the
    // reminders that v2 changed its default partitioner (the default, murmur2, is the one
    // IdempotentProducer names) and that IdempotentProducer bounds its retries (on purpose).
    log: (level, namespace, entry) => {
      if (level <= 1) options.log(`kafkajs ${namespace}: ${entry.message}`);
    },
  });
  const sender =
    MODE_DESIGNS[options.mode].requestProducer === 'idempotent'
      ? new IdempotentProducer(kafka)
      : producerWithoutIdempotence(kafka);
  const lostAt = new Map(plan.ackLosses.map((loss) => [loss.batch, loss.id]));
  const now = new Date();
  await sender.connect();
  try {
    for (let batch = 0; batch * REQUEST_BATCH_SIZE < plan.transfers.length; batch++) {
      const lost = lostAt.get(batch);
      if (lost) injector.arm(lost);
      await sender.send(
        plan.transfers
          .slice(batch * REQUEST_BATCH_SIZE, (batch + 1) * REQUEST_BATCH_SIZE)
          .map((transfer) => recordOf(transferRequestedOf(transfer, now), topic)),
      );
      if (injector.isArmed) throw new Error(`${lost}: the send wrote no Produce request to cut`);
    }
  } finally {
    await sender.disconnect();
  }
  return [...injector.fired];
}

/**
 * kafkajs' producer with idempotence off and retries on, as a producer is configured when nobody
 * thought about it: a retry after a lost acknowledgement carries no producer id or sequence number, so
 * the broker cannot tell it from new records and appends them again.
 */
function producerWithoutIdempotence(kafka: Kafka): RequestSender {
  const producer = kafka.producer({
    idempotent: false,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 5_000 },
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(records) {
      const topics = [...new Set(records.map((record) => record.topic))];
      await producer.sendBatch({
        acks: -1,
        topicMessages: topics.map((topic) => ({
          topic,
          messages: records
            .filter((record) => record.topic === topic)
            .map(({ key, value, headers }) => ({ key, value, headers })),
        })),
      });
    },
  };
}
