// `npm start`: the whole OncePay stack on this machine without Docker. PostgreSQL (one database per
// service, migrations applied), a single-node Kafka broker in KRaft mode, then the three services and
// the console.
// Ctrl-C stops everything it started. `npm start -- --fresh` wipes the stack's data first.
import fs from 'node:fs/promises';
import path from 'node:path';
import { migrateDatabase } from '../db/migrate';
import { startLocalInfra } from '../infra/local-infra';
import { assertPortFree } from '../infra/net';
import { DATA_DIR } from '../infra/paths';
import { CONSOLE } from '../infra/services';
import {
  kafkaBrokers,
  postgresUrl,
  stackConfig,
  stackConsoleEnv,
  stackServiceEnv,
} from '../infra/stack-config';
import { buildWorkspaces } from './fresh-stack';
import { seedDemoData, tryItCurl } from './seed';
import { startApp, startService, type RunningService } from './service-process';

const STACK_STATE_DIR = path.join(DATA_DIR, 'stack');

function log(line: string): void {
  console.log(`[stack] ${line}`);
}

async function main(): Promise<void> {
  const fresh = process.argv.includes('--fresh');
  await assertAllPortsFree();
  if (fresh) {
    log(`--fresh: wiping ${STACK_STATE_DIR}`);
    await fs.rm(STACK_STATE_DIR, { recursive: true, force: true });
  }
  log('building the services');
  buildWorkspaces();
  const infra = await startLocalInfra(STACK_STATE_DIR, log);
  const services: RunningService[] = [];
  const shutdown = once(async (reason: string) => {
    log(`stopping (${reason})`);
    await Promise.allSettled(services.map((service) => service.stop()));
    await infra.stop();
    log('stopped');
  });
  process.once('SIGINT', () => void shutdown('Ctrl-C').then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));
  try {
    for (const service of stackConfig.services) {
      const applied = await migrateDatabase(infra.postgresAdminUrl, service.name, service.database);
      log(
        `${service.database}: ${applied.length ? `applied ${applied.join(', ')}` : 'migrations up to date'}`,
      );
    }
    for (const service of stackConfig.services) {
      services.push(
        await startService(
          service,
          stackServiceEnv(service, 'log'),
          (name, code) => void shutdown(`${name} exited with code ${code}`).then(() => process.exit(1)),
        ),
      );
    }
    // After the services: it observes the topics they created and asks them for their trails.
    services.push(
      await startApp(
        CONSOLE.name,
        CONSOLE.workspace,
        stackConsoleEnv('log'),
        (name, code) => void shutdown(`${name} exited with code ${code}`).then(() => process.exit(1)),
      ),
    );
    // The demo data goes in with the published dev keys, which a stack given keys of its own refuses.
    if (stackConfig.devApiKeys) await seedDemoData();
  } catch (error) {
    await shutdown('a start-up step failed');
    throw error;
  }
  printReady();
}

async function assertAllPortsFree(): Promise<void> {
  await assertPortFree(stackConfig.postgres.port, 'PostgreSQL');
  await assertPortFree(stackConfig.kafka.port, 'Kafka');
  await assertPortFree(stackConfig.kafka.controllerPort, 'Kafka controller');
  for (const service of stackConfig.services)
    await assertPortFree(stackConfig.servicePort(service), `${service.name}-service`);
  await assertPortFree(stackConfig.consolePort, 'console');
}

function printReady(): void {
  log('OncePay is up:');
  for (const service of stackConfig.services) {
    log(`  ${service.name}-service  http://127.0.0.1:${stackConfig.servicePort(service)}/health`);
  }
  log(
    `  console               http://127.0.0.1:${stackConfig.consolePort}/  (transfers live, timelines, the lab)`,
  );
  // The published dev password is shown; one of the operator's own (ONCEPAY_POSTGRES_PASSWORD) is not
  // printed where a terminal or a CI log keeps it.
  const ownPassword = process.env.ONCEPAY_POSTGRES_PASSWORD !== undefined;
  log(`  PostgreSQL  ${postgresUrl('postgres', undefined, ownPassword ? '***' : undefined)}`);
  log(`  Kafka       ${kafkaBrokers()}`);
  if (stackConfig.devApiKeys) {
    log('Demo data: a treasury, alice (demo-a, 1000.00 EUR) and bob (demo-b). Try a transfer:');
    console.log(`\n${tryItCurl()}\n`);
  } else {
    log('ONCEPAY_API_KEYS is set: no demo data (it is seeded with the published dev keys).');
  }
  log('Press Ctrl-C to stop everything.');
}

function once<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let running: Promise<void> | undefined;
  return (...args) => (running ??= action(...args));
}

main().catch((error: unknown) => {
  console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
