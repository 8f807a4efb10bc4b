// `npm run attack`: starts a fresh local stack the way `npm start` does (its roles, its default limits,
// its demo data) and tries on it what a client with an ordinary API key, or with a service's database
// password, would (scripts/attack/attacks.ts). Prints a PASS or FAIL line per attack and
// `N passed, N failed`; exits 1 when an attack got through.
import path from 'node:path';
import { DATA_DIR } from '../infra/paths';
import { stackConfig } from '../infra/stack-config';
import { Checks } from '../stack/checks';
import { busyServicePorts, startFreshStack } from '../stack/fresh-stack';
import { seedDemoData } from '../stack/seed';
import { StackClient } from '../stack/stack-client';
import { runAttacks } from './attacks';

function log(line: string): void {
  console.log(`[attack] ${line}`);
}

async function main(): Promise<number> {
  const busy = await busyServicePorts();
  if (busy.length > 0) {
    log(
      `a stack is running on ${busy.join(', ')}: stop it first; the attack run starts a fresh one of its own`,
    );
    return 2;
  }
  const checks = new Checks(log);
  const stack = await startFreshStack({
    dir: path.join(DATA_DIR, 'attack'),
    logLevel: 'warn',
    serviceEnv: {},
    log,
    onExit: (name, code) => log(`${name} exited with code ${code} while under attack`),
  });
  try {
    await seedDemoData();
    const [transfer, ledger, notification] = stackConfig.services.map((service) =>
      stackConfig.serviceUrl(service),
    );
    const client = new StackClient({ transfer: transfer!, ledger: ledger!, notification: notification! });
    await runAttacks(checks, client, {
      postgres: { host: stackConfig.postgres.host, port: stackConfig.postgres.port },
      rolePassword: stackConfig.postgres.rolePassword,
    });
  } finally {
    await stack.stop();
  }
  console.log(checks.summary());
  return checks.failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
