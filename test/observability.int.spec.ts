// Proves each service's GET /metrics tells what happened, counted where it should be, on the three real
// services over the real broker: transfers accepted and settled by outcome and reason, a replayed request
// as a replay, a redelivered TransferRequested as a duplicate the ledger's dedup absorbed, the consumers'
// events by outcome, HTTP requests by route template and status, and the outbox, pool and process gauges.
import { createLedgerClient, createTransferClient } from '@oncepay/client';
import { randomUUID } from 'node:crypto';
import { TOPICS } from '@oncepay/contracts';
import { IdempotentProducer } from '@oncepay/messaging';
import {
  bootServices,
  createTestKafka,
  dashboardMetricNames,
  TEST_CLIENTS,
  testTopic,
  waitFor,
  type BootedServices,
  type TestDatabase,
} from '@oncepay/test-support';
import { Client } from 'pg';

type ServiceName = 'transfer' | 'ledger' | 'notification';
/** Who calls: the API key the typed clients send. */
type As = { apiKey: string };
const asA: As = TEST_CLIENTS.a;
const asB: As = TEST_CLIENTS.b;
const asOperator: As = TEST_CLIENTS.operator;

/** One sample of the text format: `name{label="value",...} number`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('metrics of the three services', () => {
  let stack: BootedServices<ServiceName> | undefined;
  const url = (name: ServiceName) => stack?.baseUrl(name) ?? '';

  beforeAll(async () => {
    stack = await bootServices(['ledger', 'transfer', 'notification']);
  }, 120_000);
  afterAll(() => stack?.stop());

  async function scrape(name: ServiceName): Promise<Sample[]> {
    const response = await fetch(`${url(name)}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(await response.text());
  }

  async function openAccount(client: As, allowNegativeBalance = false): Promise<string> {
    const { data, response } = await createLedgerClient(url('ledger'), client).POST('/v1/accounts', {
      body: { currency: 'EUR', allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    return data!.id;
  }

  async function transfer(client: As, key: string, from: string, to: string, amount: string) {
    return createTransferClient(url('transfer'), client).POST('/v1/transfers', {
      params: { header: { 'Idempotency-Key': key } },
      body: { fromAccountId: from, toAccountId: to, amount, currency: 'EUR' },
    });
  }

  async function settled(id: string, client: As): Promise<string> {
    const transfers = createTransferClient(url('transfer'), client);
    const done = await waitFor(
      async () => (await transfers.GET('/v1/transfers/{id}', { params: { path: { id } } })).data!,
      (transfer) => transfer.status !== 'PENDING',
      { timeoutMs: 60_000, what: `transfer ${id} to settle` },
    );
    return done.status;
  }

  it('count transfers, replays, redeliveries absorbed by dedup, consumer outcomes and requests', async () => {
    const treasury = await openAccount(asOperator, true);
    const alice = await openAccount(asA);
    const bob = await openAccount(asB);
    const fundKey = randomUUID();
    const funded = await transfer(asOperator, fundKey, treasury, alice, '1000');
    expect(funded.response.status).toBe(202);
    const fundId = funded.data!.id;
    expect(await settled(fundId, asOperator)).toBe('COMPLETED');
    const replay = await transfer(asOperator, fundKey, treasury, alice, '1000');
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    const overdraft = await transfer(asA, randomUUID(), alice, bob, '5000');
    expect(await settled(overdraft.data!.id, asA)).toBe('FAILED');

    // A redelivery, as after a crash between the ledger's commit and its offset commit: the funding
    // TransferRequested again, exactly as the relay published it.
    const [row] = await adminRows(stack!.database('transfer'), fundId);
    const producer = new IdempotentProducer(createTestKafka());
    await producer.connect();
    await producer.send([
      { topic: testTopic(TOPICS.transferRequests), key: row!.key, value: row!.value, headers: row!.headers },
    ]);
    await producer.disconnect();

    const ledger = await waitFor(
      () => scrape('ledger'),
      (samples) => total(samples, 'oncepay_consumer_events_total', { outcome: 'duplicate' }) >= 1,
      { what: 'the ledger to count the redelivery as a duplicate' },
    );
    expect(total(ledger, 'oncepay_consumer_events_total', { outcome: 'duplicate' })).toBe(1);
    expect(total(ledger, 'oncepay_consumer_events_total', { outcome: 'processed' })).toBe(2);
    expect(total(ledger, 'oncepay_consumer_batch_size_count')).toBeGreaterThanOrEqual(2);
    expect(ledger.some((s) => s.name === 'oncepay_consumer_lag_messages')).toBe(true);
    expect(total(ledger, 'oncepay_consumer_state', { group: 'ledger-service', state: 'running' })).toBe(1);
    expect(total(ledger, 'oncepay_consumer_state', { group: 'ledger-service' })).toBe(1);

    const transfers = await waitFor(
      () => scrape('transfer'),
      (samples) => total(samples, 'oncepay_transfers_settled_total') === 2,
      { what: 'both transfers counted settled' },
    );
    expect(total(transfers, 'oncepay_transfers_accepted_total')).toBe(2);
    expect(total(transfers, 'oncepay_transfers_settled_total', { status: 'COMPLETED' })).toBe(1);
    expect(
      total(transfers, 'oncepay_transfers_settled_total', { status: 'FAILED', reason: 'INSUFFICIENT_FUNDS' }),
    ).toBe(1);
    expect(total(transfers, 'oncepay_idempotent_replays_total', { route: '/v1/transfers' })).toBe(1);
    expect(
      total(transfers, 'oncepay_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/transfers',
        status_code: '202',
      }),
    ).toBe(3);
    expect(total(transfers, 'oncepay_transfer_ledger_answers_ignored_total')).toBe(0);
    expect(total(transfers, 'oncepay_outbox_published_messages_total')).toBeGreaterThanOrEqual(4);
    expect(total(transfers, 'oncepay_outbox_pending_messages')).toBe(0);
    expect(transfers.some((s) => s.name === 'oncepay_outbox_oldest_pending_age_seconds')).toBe(true);
    expect(total(transfers, 'oncepay_db_pool_connections')).toBeGreaterThan(0);
    expect(total(transfers, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    // Route templates only: the transfer's id never becomes a label value.
    expect(transfers.some((s) => Object.values(s.labels).some((v) => v.includes(fundId)))).toBe(false);

    const notification = await waitFor(
      () => scrape('notification'),
      (samples) => total(samples, 'oncepay_consumer_events_total', { outcome: 'processed' }) >= 2,
      { what: 'the notification-service to count both outcomes' },
    );
    expect(total(notification, 'oncepay_consumer_events_total', { outcome: 'processed' })).toBe(2);
    expect(new Set(notification.map((s) => s.labels.service))).toEqual(new Set(['notification-service']));
  }, 120_000);

  it('exports every metric the provisioned Grafana dashboard queries', async () => {
    // Declared by `# TYPE`: a labelled counter nothing has incremented yet has no sample, but exists.
    const exported = new Set<string>();
    for (const name of ['transfer', 'ledger', 'notification'] as const) {
      const text = await (await fetch(`${url(name)}/metrics`)).text();
      for (const [, metric, type] of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
        exported.add(metric as string);
        if (type === 'histogram')
          for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${metric}${suffix}`);
      }
    }
    expect(dashboardMetricNames().filter((name) => !exported.has(name))).toEqual([]);
  });
});

/** The outbox row of a transfer's TransferRequested, read as the superuser. */
async function adminRows(
  database: TestDatabase,
  transferId: string,
): Promise<Array<{ key: string; value: string; headers: Record<string, string> }>> {
  const client = new Client({ connectionString: database.adminUrl });
  await client.connect();
  try {
    const result = await client.query<{ key: string; value: string; headers: Record<string, string> }>(
      `SELECT key, value, headers FROM outbox_messages WHERE topic = $1 AND key = $2`,
      [TOPICS.transferRequests, transferId],
    );
    return result.rows;
  } finally {
    await client.end();
  }
}
