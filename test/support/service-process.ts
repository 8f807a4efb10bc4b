// Runs a built service as its own process, the way `npm start` and production do, against the test
// run's PostgreSQL and Kafka. Cross-service tests use this: several Nest apps inside one jest worker
// would share one Prisma WebAssembly engine between module registries, which corrupts its memory.
import net from 'node:net';
import { SERVICES, type ServiceSpec } from '../../scripts/infra/services';
import { startService } from '../../scripts/stack/service-process';
import { testEnv } from './env';
import { TEST_CLIENTS, TEST_KAFKA_NAMESPACE } from './service';

export interface ServiceProcess {
  name: ServiceSpec['name'];
  baseUrl: string;
  /** Everything the process printed, for a failing test's message. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startServiceProcess(
  name: ServiceSpec['name'],
  databaseUrl: string,
): Promise<ServiceProcess> {
  const spec = SERVICES.find((service) => service.name === name);
  if (!spec) throw new Error(`unknown service ${name}`);
  const port = await freePort();
  const logs: string[] = [];
  const running = await startService(
    spec,
    {
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      KAFKA_NAMESPACE: TEST_KAFKA_NAMESPACE,
      API_KEYS: Object.values(TEST_CLIENTS)
        .map((client) => `${client.id}:${client.apiKey}`)
        .join(','),
      // Kept in `logs`, not printed: tests read them (e.g. to follow a correlation id).
      LOG_LEVEL: 'log',
    },
    (service, code) => logs.push(`${service} exited unexpectedly with code ${code}`),
    (line) => logs.push(line),
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${logs.slice(-30).join('\n')}`);
  });
  return { name, baseUrl: `http://127.0.0.1:${port}`, logs, stop: () => running.stop() };
}

/** A port nothing listens on right now: the OS picks it, we release it, the service takes it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
