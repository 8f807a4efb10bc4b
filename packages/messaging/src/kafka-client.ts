// The one place that builds a kafkajs client, so every option that matters is set explicitly
// and the rest of OncePay never imports kafkajs directly (the library is in maintenance mode).
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

export interface KafkaClientOptions {
  clientId: string;
  /** host:port list of bootstrap brokers. */
  brokers: string[];
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // kafkajs retries metadata and connection errors itself; bounded so a dead broker surfaces as an error.
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 5_000 },
    // kafkajs logs every retry at ERROR level; the callers report what matters themselves.
    logLevel: logLevel.WARN,
  };
  return new Kafka(config);
}

/** Parses the comma separated `host:port,host:port` form used in configuration. */
export function parseBrokerList(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}
