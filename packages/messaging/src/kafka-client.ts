// The one place that builds a kafkajs client, so every option that matters is set explicitly
// and the rest of OncePay never imports kafkajs directly (the library is in maintenance mode).
import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig } from 'kafkajs';

export interface KafkaClientOptions {
  clientId: string;
  /** host:port list of bootstrap brokers. */
  brokers: string[];
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** TLS to the brokers; `ca` replaces the system's certificate authorities (PEM texts). */
  tls?: { ca?: string[] };
  /** SASL authentication: who this client is to the brokers' ACLs. */
  sasl?: KafkaSasl;
  /** Where kafkajs's own log lines go (`level` is kafkajs's: 1 error, 2 warn, 4 info, 5 debug); its console JSON by default. */
  log?: (level: number, namespace: string, entry: { message: string; [field: string]: unknown }) => void;
  /**
   * Called with every new connection to a broker before kafkajs uses it. Only the delivery-semantics
   * lab (scripts/lab) sets it, to inject a seeded network fault (a Produce response that never
   * arrives) on the real wire; no service does.
   */
  instrumentBrokerSocket?: (socket: net.Socket) => void;
}

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export interface KafkaSasl {
  mechanism: (typeof SASL_MECHANISMS)[number];
  username: string;
  password: string;
}

/**
 * How stale a producer's or consumer's view of the topics may get (kafkajs' default is 5 minutes).
 * Partitions added to a running topic are seen within this long: producers start placing keys on them
 * and consumer groups rebalance to take them (docs/architecture.md, "Partitions and replication").
 * A metadata request per client every 30 s costs the brokers nothing worth counting.
 */
export const METADATA_MAX_AGE_MS = 30_000;

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
    ...(options.tls ? { ssl: options.tls.ca ? { ca: options.tls.ca } : true } : {}),
    ...(options.sasl ? { sasl: saslConfig(options.sasl) } : {}),
    ...(options.log ? { logCreator: logCreatorOf(options.log) } : {}),
    ...(options.instrumentBrokerSocket
      ? { socketFactory: instrumentedSocketFactory(options.instrumentBrokerSocket) }
      : {}),
  };
  return new Kafka(config);
}

const KEEP_ALIVE_DELAY_MS = 60_000;

/** kafkajs' own socket factory (src/network/socketFactory.js), with the socket shown to `instrument`. */
function instrumentedSocketFactory(instrument: (socket: net.Socket) => void): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    instrument(socket);
    return socket;
  };
}

function logCreatorOf(log: NonNullable<KafkaClientOptions['log']>): NonNullable<KafkaConfig['logCreator']> {
  return () =>
    ({ namespace, level, log: entry }) =>
      log(level, namespace, entry);
}

/** kafkajs types each mechanism apart; the three take the same username and password. */
function saslConfig(sasl: KafkaSasl): NonNullable<KafkaConfig['sasl']> {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/** Parses the comma separated `host:port,host:port` form used in configuration. */
export function parseBrokerList(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}
