// The console: a page that shows transfers moving through the state machine as their events cross
// Kafka, one transfer's timeline across the three services, and the delivery-semantics lab. Checks its
// environment first (one line per bad variable, exit 1), then observes the topics, then serves.
import path from 'node:path';
import { TOPICS, TRAIL_SERVICES, type TrailService } from '@oncepay/contracts';
import { createKafkaClient, kafkaSecurityOf, parseBrokerList, WireObserver } from '@oncepay/messaging';
import { createServiceLogger, kafkajsLogTo } from '@oncepay/service-runtime';
import { parseEnv, processEnv, type ConsoleEnv } from './config/config';
import { LabRuns } from './lab/lab-runs';
import { LiveFeed } from './live/live-feed';
import { TransferWindow } from './live/transfer-window';
import { allowedHostsOf, buildConsoleServer } from './server';
import { fetchTrail } from './timeline/trail';

const NAME = 'console';
/** How long a stopping console may take to close its server and consumer before it exits anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

async function main(env: ConsoleEnv): Promise<void> {
  const logger = createServiceLogger(NAME, env.LOG_LEVEL);
  const kafka = createKafkaClient({
    clientId: `oncepay-console-${env.CONSOLE_INSTANCE}`,
    brokers: parseBrokerList(env.KAFKA_BROKERS),
    ...kafkaSecurityOf(env),
    log: kafkajsLogTo(logger),
  });
  const feed = new LiveFeed(new TransferWindow(env.CONSOLE_WINDOW_TRANSFERS));
  const observer = new WireObserver({
    kafka,
    groupId: `${env.KAFKA_NAMESPACE}oncepay.console.${env.CONSOLE_INSTANCE}`,
    topics: Object.values(TOPICS).map((topic) => env.KAFKA_NAMESPACE + topic),
    onMessage: feed.accept,
    logger: {
      info: (message, details) => logger.info(details ?? {}, message),
      warn: (message, details) => logger.warn(details ?? {}, message),
      error: (message, details) => logger.error(details ?? {}, message),
    },
  });
  const baseUrls: Record<TrailService, string> = {
    transfer: env.TRANSFER_SERVICE_URL,
    ledger: env.LEDGER_SERVICE_URL,
    notification: env.NOTIFICATION_SERVICE_URL,
  };
  const labRoot = env.CONSOLE_LAB_ROOT;
  const app = await buildConsoleServer({
    feed,
    trailsOf: (transferId) =>
      Promise.all(
        TRAIL_SERVICES.map((service) =>
          fetchTrail(
            {
              service,
              baseUrl: baseUrls[service],
              apiKey: env.CONSOLE_API_KEY,
              timeoutMs: env.CONSOLE_TRAIL_TIMEOUT_MS,
            },
            transferId,
          ),
        ),
      ),
    labRuns: new LabRuns({
      repoRoot: labRoot,
      outRoot: env.CONSOLE_LAB_OUT ?? path.join(labRoot ?? '.', '.oncepay', 'console-lab'),
      env: processEnv(),
      timeoutMs: env.CONSOLE_LAB_TIMEOUT_MS,
    }),
    observing: () => observer.status === 'running',
    logger,
    allowedHosts: allowedHostsOf(env.PORT, env.CONSOLE_ALLOWED_HOSTS),
  });

  let closing = false;
  const close = (reason: string, code: number): void => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'console stopping');
    setTimeout(() => process.exit(code), CLOSE_TIMEOUT_MS).unref();
    void Promise.allSettled([app.close(), observer.stop()]).finally(() => {
      logger.flush();
      process.exit(code);
    });
  };
  process.once('SIGTERM', () => close('SIGTERM', 0));
  process.once('SIGINT', () => close('SIGINT', 0));

  await observer.start();
  await app.listen({ port: env.PORT, host: env.HOST });
  logger.info({ host: env.HOST, port: env.PORT }, `console listening on ${env.HOST}:${env.PORT}`);
  // The live view is the console's reason to be: without its observer it exits, for a supervisor to
  // start a fresh one.
  const watch = setInterval(() => {
    if (observer.status === 'failed') close('the wire observer stopped for good', 1);
  }, 1_000);
  watch.unref();
}

const parsed = parseEnv(processEnv());
if (!parsed.ok) {
  console.error(`${NAME}: invalid configuration, not starting:\n${parsed.problems.join('\n')}`);
  process.exit(1);
}
main(parsed.env).catch((error: unknown) => {
  console.error(`${NAME} failed to start:`, error);
  process.exit(1);
});
