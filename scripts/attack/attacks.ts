// What a client holding an ordinary API key (or a service's database password) tries against a running
// stack, each through the stack's public surface, with the answer OncePay must give. The compose smoke
// test runs them against `docker compose up`; `npm run attack` against a stack started as `npm start`
// starts it. Expects the demo data of scripts/stack/seed.ts and the services' default limits.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { accountIdFor } from '@oncepay/contracts';
import { Client } from 'pg';
import { ownerRoleOf, SERVICES, serviceRoleOf, type ServiceSpec } from '../infra/services';
import { DEMO } from '../stack/seed';
import { expectStatus, seconds, until, type Checks } from '../stack/checks';
import type { Answer, StackClient } from '../stack/stack-client';

export interface AttackTarget {
  /** The stack's PostgreSQL as published to this machine. */
  postgres: { host: string; port: number };
  /** The password of the roles its migration step provisioned (ONCEPAY_ROLE_PASSWORD). */
  rolePassword: string;
}

/** The services' default HTTP_REQUEST_TIMEOUT_MS, which the stacks attacked here keep (test/attack.spec.ts). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

const { a: demoA, b: demoB } = DEMO.clients;
const [alice, bob] = [DEMO.accounts.alice.id, DEMO.accounts.bob.id];
const SETTLE_TIMEOUT_MS = 60_000;
/** A few hundred requests in well under a second: far over the default 100 per second. */
const BURST = 300;

export async function runAttacks(checks: Checks, client: StackClient, target: AttackTarget): Promise<void> {
  await checks.check(
    'a client cannot mint money: an account allowed to go negative is 403, none opened',
    async () => {
      const key = randomUUID();
      expectStatus(await client.openAccount(demoB, key, true), 403);
      // The account that key would have opened does not exist.
      expectStatus(await client.getAccount(demoB, accountIdFor(demoB.id, key)), 404);
      return 'demo-b got 403 OPERATOR_ROLE_REQUIRED';
    },
  );

  await checks.check(
    "a client learns nothing of another client's account: it answers as one that does not exist",
    async () => {
      const nobody = randomUUID();
      const [theirs, none] = [await client.getAccount(demoB, alice), await client.getAccount(demoB, nobody)];
      expectStatus(theirs, 404);
      expectSameProblem(theirs, alice, none, nobody);
      const debitTheirs = await settle(client, { fromAccountId: alice, toAccountId: bob });
      const debitNone = await settle(client, { fromAccountId: nobody, toAccountId: bob });
      if (debitTheirs !== 'FAILED ACCOUNT_NOT_FOUND' || debitNone !== debitTheirs)
        throw new Error(`debiting alice's account: ${debitTheirs}; a random one: ${debitNone}`);
      return `GET 404 ${String(theirs.body.code)} for both; a debit of alice's account ${debitTheirs}, as of a random id`;
    },
  );

  await checks.check(
    'bad input is a 400 problem, never a 5xx: NUL or a lone surrogate in reference, one account on both sides, a cursor of year 0000',
    async () => {
      const body = { fromAccountId: bob, toAccountId: alice, amount: '1', currency: DEMO.currency };
      const transfers = `${client.urls.transfer}/v1/transfers`;
      const answers = [
        await client.send(
          'POST',
          transfers,
          demoB,
          { ...body, reference: 'rent\u0000' },
          { 'idempotency-key': randomUUID() },
        ),
        await client.send(
          'POST',
          transfers,
          demoB,
          { ...body, reference: 'rent\ud800' },
          { 'idempotency-key': randomUUID() },
        ),
        await client.send(
          'POST',
          transfers,
          demoB,
          { ...body, toAccountId: bob },
          { 'idempotency-key': randomUUID() },
        ),
        await client.send('GET', `${transfers}?cursor=${cursorOf('0000-01-01T00:00:00.000Z')}`, demoB),
      ];
      for (const answer of answers) expectStatus(answer, 400);
      return answers.map((answer) => String(answer.body.code)).join(', ');
    },
  );

  await checks.check(
    `a burst of ${BURST} requests from one client gets 429 with Retry-After; another client is still served`,
    async () => {
      const url = `${client.urls.ledger}/v1/accounts/${bob}`;
      const started = Date.now();
      const burst = Promise.all(Array.from({ length: BURST }, () => client.send('GET', url, demoB)));
      const other = await client.send('GET', `${client.urls.ledger}/v1/accounts/${alice}`, demoA);
      const answers = await burst;
      const took = Date.now() - started;
      const limited = answers.filter((answer) => answer.status === 429);
      const served = answers.filter((answer) => answer.status === 200);
      if (limited.length === 0) throw new Error(`no 429 among ${BURST} requests in ${took} ms`);
      if (served.length + limited.length !== BURST)
        throw new Error(`statuses: ${[...new Set(answers.map((answer) => answer.status))].join(', ')}`);
      const retryAfter = limited[0]?.headers.get('retry-after');
      if (!retryAfter || limited.some((answer) => answer.body.code !== 'RATE_LIMITED'))
        throw new Error(`a 429 without Retry-After or RATE_LIMITED: ${JSON.stringify(limited[0]?.body)}`);
      expectStatus(other, 200);
      return `${served.length} served, ${limited.length} limited (Retry-After: ${retryAfter}) in ${took} ms; demo-a got 200`;
    },
  );

  await checks.check(
    'a client that sends headers and one byte of a body, then stalls, is cut off after the request timeout',
    async () => {
      const closedAfterMs = await stallOneRequest(client.urls.transfer, demoA.apiKey);
      const timeout = DEFAULT_REQUEST_TIMEOUT_MS;
      // The server checks its connections once a second: cut off within the timeout plus that and some slack.
      if (closedAfterMs < timeout - 500 || closedAfterMs > timeout + 4_000)
        throw new Error(`closed after ${closedAfterMs} ms; the timeout is ${timeout} ms`);
      return `closed after ${seconds(closedAfterMs)} (timeout ${seconds(timeout)})`;
    },
  );

  await checks.check(
    "a service's database password opens only that service's tables, with no way to rewrite the journal",
    async () => {
      const [ledger, transfer] = [serviceNamed('ledger'), serviceNamed('transfer')];
      const rewrite = await refusalAs(target, ledger, ledger.database, 'DELETE FROM journal_entries');
      const trigger = await refusalAs(
        target,
        ledger,
        ledger.database,
        'ALTER TABLE journal_entries DISABLE TRIGGER ALL',
      );
      const ddl = await refusalAs(target, transfer, transfer.database, 'CREATE TABLE stolen (id int)');
      const elsewhere = await refusalAs(target, transfer, ledger.database, 'SELECT 1');
      // The same password under the owner's name: the owner cannot log in at all.
      const owner = await refusalAs(target, ledger, ledger.database, 'SELECT 1', ownerRoleOf(ledger.name));
      if (!owner.startsWith('28')) throw new Error(`logging in as the ledger's owner: ${owner}`);
      for (const refusal of [rewrite, trigger, ddl, elsewhere])
        if (!refusal.startsWith('42501'))
          throw new Error(`expected 42501 (insufficient privilege), got ${refusal}`);
      return [rewrite, trigger, ddl, elsewhere, owner].map((refusal) => refusal.slice(6)).join('; ');
    },
  );
}

/** Two problem answers alike, word for word, once each names its account id the same way. */
function expectSameProblem(a: Answer, aId: string, b: Answer, bId: string): void {
  const left = JSON.stringify(a.body).replaceAll(aId, '<id>');
  const right = JSON.stringify(b.body).replaceAll(bId, '<id>');
  if (a.status !== b.status || left !== right)
    throw new Error(`${a.status} ${left} differs from ${b.status} ${right}`);
}

/** A 1-cent transfer from demo-b, then its outcome once settled: `COMPLETED`, or `FAILED <reason>`. */
async function settle(
  client: StackClient,
  accounts: { fromAccountId: string; toAccountId: string },
): Promise<string> {
  const accepted = await client.postTransfer(demoB, randomUUID(), {
    ...accounts,
    amount: '1',
    currency: DEMO.currency,
  });
  expectStatus(accepted, 202);
  const id = String(accepted.body.id);
  let outcome = '';
  await until(`transfer ${id} to settle`, SETTLE_TIMEOUT_MS, async () => {
    const { body } = await client.getTransfer(demoB, id);
    outcome = body.status === 'FAILED' ? `FAILED ${String(body.failureReason)}` : String(body.status);
    return body.status !== 'PENDING';
  });
  return outcome;
}

/** A list cursor as the API issues them (base64url of [createdAt, id]), at `createdAt`. */
function cursorOf(createdAt: string): string {
  return Buffer.from(JSON.stringify([createdAt, randomUUID()])).toString('base64url');
}

/** Sends the headers and one byte of a 100-byte body, then nothing; resolves with when the server closed. */
function stallOneRequest(baseUrl: string, apiKey: string): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const started = Date.now();
    socket.on('connect', () =>
      socket.write(
        `POST /v1/transfers HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Authorization: Bearer ${apiKey}\r\nIdempotency-Key: ${randomUUID()}\r\nContent-Length: 100\r\n\r\n{`,
      ),
    );
    socket.on('close', () => resolve(Date.now() - started));
    socket.on('error', () => undefined);
    socket.setTimeout(60_000, () => {
      socket.destroy();
      reject(new Error('still open after 60 s'));
    });
    socket.resume();
  });
}

function serviceNamed(name: ServiceSpec['name']): ServiceSpec {
  const service = SERVICES.find((spec) => spec.name === name);
  if (!service) throw new Error(`no service ${name}`);
  return service;
}

/** `sql` as `service`'s role (or `user`) on `database`: the refusal as `<SQLSTATE> <message>`, or `accepted`. */
async function refusalAs(
  target: AttackTarget,
  service: ServiceSpec,
  database: string,
  sql: string,
  user = serviceRoleOf(service.name),
): Promise<string> {
  const client = new Client({ ...target.postgres, user, password: target.rolePassword, database });
  try {
    await client.connect();
    await client.query(sql);
    return 'accepted';
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return `${code} ${message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
