// `npm run compose:smoke`: runs the unmodified docker-compose.yml for real, as a new user would, and
// checks what the README promises of it. On a machine without Docker Hub, the three upstream images
// (Node, PostgreSQL, Kafka) are replaced by stand-ins built offline from Debian, npm and Maven Central
// (standins/), through the image variables the compose file reads; nothing else about it changes.
//   1. a Docker engine (installed and started when there is none; stopped again at the end)
//   2. stand-in images, then a cold and a warm `compose build`, then `compose up --build` until healthy
//   3. the README's try-it flow through the published ports, and `npm run audit` against the stack, the
//      README's hold walk-through run as written (readme-walkthrough.ts), then the attacks of scripts/attack (minting money, probing accounts, bad input, a burst over the
//      rate limit, a stalled request, a service's database password)
//   4. `compose restart`, then `compose down` and `up` (no -v), each with transfers in flight: every
//      transfer settles exactly once, balances move by exactly what was sent, the audit stays clean
// It prints what it measured and ends with `N passed, N failed`. COMPOSE_SMOKE_KEEP=1 leaves the stack up.
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAttacks } from '../attack/attacks';
import { runReadmeWalkthrough } from './readme-walkthrough';
import { freePorts } from '../infra/net';
import { REPO_ROOT } from '../infra/paths';
import { DEV_ROLE_PASSWORD } from '../infra/stack-config';
import { DEMO } from '../stack/seed';
import { docker, imageSize, run, SMOKE_DIR, type RunOptions, type RunResult } from './docker';
import { ensureDockerEngine, findCompose, type Compose } from './engine';
import { Checks, expectStatus, seconds, until } from '../stack/checks';
import { StackClient, type Answer, type StackUrls } from '../stack/stack-client';
import { ensureBaseImage } from './standins/base';
import { buildKafkaStandIn } from './standins/kafka';
import { buildNodeStandIn } from './standins/node';
import { buildPostgresStandIn } from './standins/postgres';

const PROJECT = 'oncepay-smoke';
const STAND_INS = {
  debian: 'oncepay-standin/debian:bookworm',
  node: 'oncepay-standin/node:24-bookworm-slim',
  postgres: 'oncepay-standin/postgres:17',
  kafka: 'oncepay-standin/kafka:3.9.2',
};
/** The images compose builds (their `image:` names in docker-compose.yml): the services', and the rest. */
const BUILT_IMAGES = {
  runners: [
    'oncepay-transfer-service:local',
    'oncepay-ledger-service:local',
    'oncepay-notification-service:local',
  ],
  others: ['oncepay-auditor:local', 'oncepay-tools:local', 'oncepay-console:local'],
};
// The builds include the `audit` one-shot, which only `run` starts, so its image is this run's too.
const BUILD_ALL = ['--profile', 'audit', 'build'];
const RUNNER_SIZE_LIMIT_BYTES = 250_000_000; // 250 MB, as `docker images` counts
const LONG_RUNNING = [
  'kafka',
  'postgres',
  'transfer-service',
  'ledger-service',
  'notification-service',
  'console',
];
const HEALTHY_TIMEOUT_MS = 180_000;
const SETTLE_TIMEOUT_MS = 120_000;
const IN_FLIGHT_TRANSFERS = 60;
const IN_FLIGHT_AMOUNT = 100n; // 1.00 EUR each
const [alice, bob, treasury] = [DEMO.accounts.alice.id, DEMO.accounts.bob.id, DEMO.accounts.treasury.id];
const { a: demoA, b: demoB, ops } = DEMO.clients;
const keep = process.env.COMPOSE_SMOKE_KEEP === '1';
const runId = Date.now().toString(36);

function log(line: string): void {
  console.log(`[compose-smoke] ${line}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  const checks = new Checks(log);
  const measured: string[] = [];
  const engine = await ensureDockerEngine(log);
  let compose: ComposeProject | undefined;
  try {
    const composeTool = await findCompose(log);
    log(
      `Docker engine ${engine.version}${engine.startedHere ? ' (started here)' : ''}, ${composeTool.label} ${composeTool.version}`,
    );
    const standInsTook = await timed(buildStandIns);
    measured.push(`stand-in images built in ${seconds(standInsTook)}`);
    compose = new ComposeProject(composeTool, await composeEnvironment());
    const client = new StackClient(compose.urls);

    await compose.run(['down', '-v', '--remove-orphans'], { allowFailure: true });
    // Cold: no layer from an earlier build is reused. Warm: nothing changed, everything is.
    await removeBuiltImages();
    const cold = await timed(() => compose!.run(BUILD_ALL, { echo: true }));
    const warm = await timed(() => compose!.run(BUILD_ALL));
    measured.push(`compose build: cold ${seconds(cold)}, warm ${seconds(warm)}`);

    const upStarted = Date.now();
    await compose.run(['up', '-d', '--build']);
    const up = await checks.check(
      '`compose up --build`: every service healthy, migrations and seed done',
      () => waitUntilHealthy(compose!),
    );
    measured.push(`compose up to healthy and seeded: ${seconds(Date.now() - upStarted)}`);
    measured.push(...(await imageSizes(checks)));
    if (up) {
      await tryItFlow(checks, client, compose);
      await checks.check(
        "the README's hold walk-through runs as written: capture, refunds, void, expiry",
        () => runReadmeWalkthrough(client, compose!.urls),
      );
      await runAttacks(checks, client, {
        postgres: { host: '127.0.0.1', port: Number(compose.env.ONCEPAY_POSTGRES_PORT) },
        rolePassword: DEV_ROLE_PASSWORD,
      });
      await restartWithTransfersInFlight(checks, client, compose, 'compose restart', async () => {
        await compose!.run(['restart']);
      });
      await restartWithTransfersInFlight(
        checks,
        client,
        compose,
        'compose down, then up (no -v)',
        async () => {
          await compose!.run(['down']);
          await compose!.run(['up', '-d']);
        },
      );
    }
  } catch (error) {
    checks.failed += 1;
    log(`FAIL the smoke test stopped: ${error instanceof Error ? error.message : error}`);
  } finally {
    if (compose && checks.failed > 0) await compose.saveLogs('end');
    if (compose && !keep) await compose.run(['down', '-v', '--remove-orphans'], { allowFailure: true });
    if (!keep) await engine.stop();
  }
  for (const line of measured) log(`measured: ${line}`);
  log(`took ${seconds(Date.now() - started)}`);
  console.log(checks.summary());
  return checks.failed === 0 ? 0 : 1;
}

async function buildStandIns(): Promise<void> {
  await ensureBaseImage(STAND_INS.debian, log);
  log('building the stand-ins for node:24-bookworm-slim, postgres:17 and apache/kafka:3.9.2');
  await buildNodeStandIn({ baseImage: STAND_INS.debian, tag: STAND_INS.node });
  await buildPostgresStandIn({ baseImage: STAND_INS.debian, tag: STAND_INS.postgres });
  await buildKafkaStandIn({ baseImage: STAND_INS.debian, tag: STAND_INS.kafka });
}

/**
 * Removes the images compose built before, with the layers only they used, so the next build is cold.
 * (`build --no-cache` would not do: it also stops the five builds of one run sharing their stages.)
 */
async function removeBuiltImages(): Promise<void> {
  await docker(['image', 'rm', ...BUILT_IMAGES.runners, ...BUILT_IMAGES.others], { allowFailure: true });
  // The outputs of stages no tagged image descends from (manifests, production-dependencies) are left
  // untagged and unreferenced: dangling, which is what this removes.
  await docker(['image', 'prune', '-f']);
}

/** The compose file's variables: stand-in image names, and free host ports for everything it publishes. */
async function composeEnvironment(): Promise<Record<string, string>> {
  const [postgres, kafka, transfer, ledger, notification, consolePort] = await freePorts(6);
  return {
    ONCEPAY_NODE_IMAGE: STAND_INS.node,
    ONCEPAY_DEBIAN_IMAGE: STAND_INS.debian,
    ONCEPAY_POSTGRES_IMAGE: STAND_INS.postgres,
    ONCEPAY_KAFKA_IMAGE: STAND_INS.kafka,
    ONCEPAY_POSTGRES_PORT: String(postgres),
    ONCEPAY_KAFKA_PORT: String(kafka),
    ONCEPAY_TRANSFER_PORT: String(transfer),
    ONCEPAY_LEDGER_PORT: String(ledger),
    ONCEPAY_NOTIFICATION_PORT: String(notification),
    ONCEPAY_CONSOLE_PORT: String(consolePort),
  };
}

class ComposeProject {
  readonly urls: StackUrls;

  constructor(
    private readonly tool: Compose,
    readonly env: Record<string, string>,
  ) {
    const local = (port: string | undefined): string => `http://127.0.0.1:${port}`;
    this.urls = {
      transfer: local(env.ONCEPAY_TRANSFER_PORT),
      ledger: local(env.ONCEPAY_LEDGER_PORT),
      notification: local(env.ONCEPAY_NOTIFICATION_PORT),
    };
  }

  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(
      this.tool.command,
      [...this.tool.baseArgs, '-p', PROJECT, '-f', 'docker-compose.yml', ...args],
      {
        ...opts,
        cwd: REPO_ROOT,
        env: { ...this.env, ...opts.env },
      },
    );
  }

  /** The state of the service's newest container, from the labels compose puts on it (v1 and v2 alike). */
  async state(service: string): Promise<ContainerState | undefined> {
    const { stdout } = await docker([
      ...['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`],
      ...['--filter', `label=com.docker.compose.service=${service}`],
    ]);
    const id = stdout.trim().split('\n')[0];
    if (!id) return undefined;
    const inspected = await docker(['inspect', '--format', '{{json .State}}', id], { allowFailure: true });
    return inspected.code === 0 ? (JSON.parse(inspected.stdout) as ContainerState) : undefined;
  }

  /** Keeps the containers' logs (a later `down` takes them away) and prints where, and what dead-lettered. */
  async saveLogs(label: string): Promise<void> {
    const file = path.join(SMOKE_DIR, `compose-${runId}-${label.replace(/[^a-z0-9]+/gi, '-')}.log`);
    const logs = await this.run(['logs', '--no-color', '--timestamps'], { allowFailure: true });
    await fs.writeFile(file, logs.stdout + logs.stderr);
    log(`the stack's logs (${label}): ${file}`);
    const worth = logs.stdout.split('\n').filter((line) => /dead-letter|failed|error/i.test(line));
    console.log(worth.slice(-40).join('\n'));
  }
}

interface ContainerState {
  Status: string;
  ExitCode: number;
  Health?: { Status: string };
}

/** Every long-running service healthy, the migration and seed steps exited 0. */
async function waitUntilHealthy(compose: ComposeProject): Promise<string> {
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
  for (;;) {
    const waiting: string[] = [];
    for (const service of LONG_RUNNING) {
      const state = await compose.state(service);
      if (state?.Health?.Status !== 'healthy')
        waiting.push(`${service} ${state?.Health?.Status ?? 'missing'}`);
    }
    for (const step of ['migrate', 'seed']) {
      const state = await compose.state(step);
      if (state?.Status === 'exited' && state.ExitCode !== 0)
        throw new Error(`${step} exited with ${state.ExitCode}`);
      if (state?.Status !== 'exited') waiting.push(`${step} ${state?.Status ?? 'missing'}`);
    }
    if (waiting.length === 0)
      return 'kafka, postgres, 3 services and the console healthy; migrate and seed exited 0';
    if (Date.now() > deadline) throw new Error(`still waiting for: ${waiting.join(', ')}`);
    await sleep(1_000);
  }
}

async function imageSizes(checks: Checks): Promise<string[]> {
  const lines: string[] = [];
  for (const image of [...BUILT_IMAGES.runners, ...BUILT_IMAGES.others])
    lines.push(`image ${image}: ${megabytes(await imageSize(image))}`);
  await checks.check('each service image weighs under 250 MB', async () => {
    const sizes = await Promise.all(BUILT_IMAGES.runners.map(imageSize));
    const over = BUILT_IMAGES.runners.filter((_, i) => sizes[i]! >= RUNNER_SIZE_LIMIT_BYTES);
    if (over.length > 0) throw new Error(`over 250 MB: ${over.join(', ')}`);
    return sizes.map(megabytes).join(', ');
  });
  return lines;
}

/** The README's "Try it": a transfer, its retry, a reused key, an overdraft, one notification each. */
async function tryItFlow(checks: Checks, client: StackClient, compose: ComposeProject): Promise<void> {
  await checks.check('the three services answer /health on ports published on 127.0.0.1', async () => {
    const statuses = await Promise.all(Object.values(compose.urls).map((url) => client.health(url)));
    if (statuses.some((status) => status !== 200)) throw new Error(`statuses ${statuses.join(', ')}`);
    return Object.values(compose.urls).join(', ');
  });
  await checks.check('the console answers /health/live and serves its page on 127.0.0.1', async () => {
    const url = `http://127.0.0.1:${compose.env.ONCEPAY_CONSOLE_PORT}`;
    const [live, page] = await Promise.all([fetch(`${url}/health/live`), fetch(`${url}/`)]);
    const html = await page.text();
    if (live.status !== 200 || !html.includes('OncePay console'))
      throw new Error(`/health/live ${live.status}, / ${page.status}`);
    return url;
  });
  await checks.check('the seed step opened the treasury, alice and bob, and funded alice', async () => {
    await until('alice funded', 30_000, async () => (await client.balance(demoA, alice)) > 0n);
    const opened = await client.openAccount(demoB, DEMO.accounts.bob.key, false);
    if (opened.status !== 200) throw new Error(`bob: expected 200 (already open), got ${opened.status}`);
    const treasuryBalance = await client.balance(ops, treasury);
    return `treasury (ops) ${treasuryBalance}, alice ${await client.balance(demoA, alice)}, bob ${await client.balance(demoB, bob)}`;
  });
  const aliceBefore = await client.balance(demoA, alice);
  const bobBefore = await client.balance(demoB, bob);
  const rent = { fromAccountId: alice, toAccountId: bob, amount: '2500', currency: DEMO.currency };
  const key = `smoke-rent-${runId}`;
  let transferId = '';
  await checks.check(
    'a transfer is accepted (202), its retry replays it, another body with the key is 422',
    async () => {
      const first = await client.postTransfer(demoA, key, rent);
      expectStatus(first, 202);
      transferId = String(first.body.id);
      const retry = await client.postTransfer(demoA, key, rent);
      expectStatus(retry, 202);
      if (retry.headers.get('idempotent-replayed') !== 'true' || retry.body.id !== transferId)
        throw new Error('the retry was not a replay of the first answer');
      expectStatus(await client.postTransfer(demoA, key, { ...rent, amount: '2600' }), 422);
      return `transfer ${transferId}`;
    },
  );
  await checks.check('the transfer completes and moves exactly 25.00 EUR once', async () => {
    await untilStatus(client, transferId, 'COMPLETED');
    await expectBalances(client, aliceBefore - 2500n, bobBefore + 2500n);
  });
  let overdraftId = '';
  await checks.check(
    'an overdraft is accepted, then FAILED with INSUFFICIENT_FUNDS, nothing posted',
    async () => {
      const answer = await client.postTransfer(demoA, `smoke-too-much-${runId}`, {
        ...rent,
        amount: '99999999',
      });
      expectStatus(answer, 202);
      overdraftId = String(answer.body.id);
      const failed = await untilStatus(client, overdraftId, 'FAILED');
      if (failed.body.failureReason !== 'INSUFFICIENT_FUNDS')
        throw new Error(`failureReason ${String(failed.body.failureReason)}`);
      await expectBalances(client, aliceBefore - 2500n, bobBefore + 2500n);
    },
  );
  await checks.check('exactly one notification for each outcome', async () => {
    await expectOneNotificationEach(client, [transferId, overdraftId]);
  });
  await checks.check('`npm run audit` against the compose stack is clean', () => auditCompose(compose));
  await checks.check('`compose run --rm audit`, the auditor from its image, is clean too', async () => {
    const result = await compose.run(['run', '--rm', 'audit'], { allowFailure: true });
    if (result.code !== 0) throw new Error(`exit ${result.code}:\n${result.stdout}${result.stderr}`);
    return `${result.stdout.split('\n').filter((line) => line.includes('PASS')).length} checks passed`;
  });
}

/**
 * Sends transfers from alice to bob while `restart` runs; clients retry with the same Idempotency-Key
 * until they get an answer, as the README tells them to. Then every transfer must settle COMPLETED, the
 * balances move by exactly what was accepted, each has one notification, and the audit is clean.
 */
async function restartWithTransfersInFlight(
  checks: Checks,
  client: StackClient,
  compose: ComposeProject,
  what: string,
  restart: () => Promise<void>,
): Promise<void> {
  const aliceBefore = await client.balance(demoA, alice);
  const bobBefore = await client.balance(demoB, bob);
  const ids: string[] = [];
  let retries = 0;
  let restartTook = 0;
  const failedBefore = checks.failed;
  await sendSettleAndAudit();
  // Saved now: the next scenario's `down` would take this one's logs away.
  if (checks.failed > failedBefore) await compose.saveLogs(what);

  async function sendSettleAndAudit(): Promise<void> {
    const ok = await checks.check(`${what} with transfers in flight: every request answered`, async () => {
      let next = 0;
      let restarting: Promise<void> | undefined;
      const send = async (): Promise<void> => {
        for (let i = next++; i < IN_FLIGHT_TRANSFERS; i = next++) {
          // A third of the transfers in, the stack restarts under the rest.
          if (i === Math.floor(IN_FLIGHT_TRANSFERS / 3))
            restarting = timed(restart).then((ms) => {
              restartTook = ms;
            });
          const body = {
            fromAccountId: alice,
            toAccountId: bob,
            amount: String(IN_FLIGHT_AMOUNT),
            currency: DEMO.currency,
          };
          const answer = await untilAnswered(
            () =>
              client.postTransfer(demoA, `smoke-${runId}-${what.replace(/[^a-z0-9]+/gi, '-')}-${i}`, body),
            () => {
              retries += 1;
            },
          );
          expectStatus(answer, 202);
          ids.push(String(answer.body.id));
          await sleep(50);
        }
      };
      await Promise.all([send(), send(), send()]);
      await restarting;
      return `${ids.length} accepted, ${retries} client retries, the restart took ${seconds(restartTook)}`;
    });
    if (!ok) return;
    await checks.check(`${what}: the stack is healthy again`, () => waitUntilHealthy(compose));
    await checks.check(`${what}: every transfer COMPLETED exactly once, balances exact`, async () => {
      const started = Date.now();
      for (const id of ids) await untilStatus(client, id, 'COMPLETED');
      const moved = IN_FLIGHT_AMOUNT * BigInt(ids.length);
      await expectBalances(client, aliceBefore - moved, bobBefore + moved);
      return `settled ${seconds(Date.now() - started)} after the last answer; ${moved} moved`;
    });
    await checks.check(`${what}: exactly one notification per transfer`, () =>
      expectOneNotificationEach(client, ids),
    );
    await checks.check(`${what}: the audit is clean`, () => auditCompose(compose));
  }
}

async function auditCompose(compose: ComposeProject): Promise<string> {
  const result = await run('npm', ['run', '--silent', 'audit'], {
    cwd: REPO_ROOT,
    env: {
      ONCEPAY_POSTGRES_PORT: compose.env.ONCEPAY_POSTGRES_PORT ?? '',
      ONCEPAY_KAFKA_PORT: compose.env.ONCEPAY_KAFKA_PORT ?? '',
    },
    allowFailure: true,
  });
  if (result.code !== 0) throw new Error(`audit exited ${result.code}:\n${result.stdout}${result.stderr}`);
  const passes = result.stdout.split('\n').filter((line) => line.includes('PASS')).length;
  return `${passes} checks passed`;
}

async function untilStatus(client: StackClient, id: string, expected: string): Promise<Answer> {
  let last: Answer | undefined;
  await until(`transfer ${id} ${expected}`, SETTLE_TIMEOUT_MS, async () => {
    last = await untilAnswered(() => client.getTransfer(demoA, id));
    if (last.body.status !== 'PENDING' && last.body.status !== expected)
      throw new Error(`transfer ${id} is ${String(last.body.status)}, expected ${expected}`);
    return last.body.status === expected;
  });
  return last!;
}

async function expectBalances(
  client: StackClient,
  aliceExpected: bigint,
  bobExpected: bigint,
): Promise<void> {
  const [aliceNow, bobNow] = [await client.balance(demoA, alice), await client.balance(demoB, bob)];
  if (aliceNow !== aliceExpected || bobNow !== bobExpected)
    throw new Error(
      `balances alice ${aliceNow} (expected ${aliceExpected}), bob ${bobNow} (expected ${bobExpected})`,
    );
}

/** Waits for each transfer's notification, then checks there is one and only one. */
async function expectOneNotificationEach(client: StackClient, ids: string[]): Promise<string> {
  for (const id of ids) {
    await until(
      `a notification for ${id}`,
      SETTLE_TIMEOUT_MS,
      async () => (await client.notificationCount(demoA, id)) > 0,
    );
    const count = await client.notificationCount(demoA, id);
    if (count !== 1) throw new Error(`${count} notifications for transfer ${id}`);
  }
  return `${ids.length} transfers, one notification each`;
}

/**
 * Repeats a request while the stack cannot answer it (connection refused or reset, a timeout, a 5xx):
 * what a client of a payment API does with an idempotency key. Bounded, like everything here.
 */
async function untilAnswered(
  request: () => Promise<Answer>,
  onRetry: () => void = () => undefined,
): Promise<Answer> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    try {
      const answer = await request();
      if (answer.status < 500) return answer;
      if (Date.now() > deadline) return answer;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    onRetry();
    await sleep(500);
  }
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await action();
  return Date.now() - started;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1_000_000)} MB`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
