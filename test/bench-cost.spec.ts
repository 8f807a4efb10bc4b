// The benchmark's cost per completed transfer, its pure parts: the division (CPU by the transfers
// completed in the window, the writes by those of the whole phase), Kafka's end-offset deltas and log
// bytes, the rendered table; and the load generator's cheap POST /v1/transfers, against a local server.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { phaseCost } from '../scripts/bench/bench';
import { unitCosts } from '../scripts/bench/cost';
import type { CounterReading } from '../scripts/bench/db-counters';
import { failureLabel, transferPoster } from '../scripts/bench/http-client';
import {
  kafkaDelta,
  logSegmentBytes,
  offsetDelta,
  USED_STACK_BYTES_NOTE,
  type KafkaReading,
} from '../scripts/bench/kafka-counters';
import { parseBenchOptions, parseServiceEnv } from '../scripts/bench/options';
import type { ProcessUsage } from '../scripts/bench/process-sampler';
import { renderCost, type PhaseResult } from '../scripts/bench/report';

function usage(name: string, cpuSeconds: number): ProcessUsage {
  return {
    name,
    kind: 'service',
    pid: 1,
    cpuSeconds,
    cores: cpuSeconds / 20,
    peakRssBytes: 0,
    peakGroupMemoryBytes: null,
    peakProcessCount: 1,
    samples: 1,
    aliveAtEnd: true,
  };
}

const dbReading = (inserted: number, updated: number, deleted: number, walBytes: number): CounterReading => ({
  databases: {
    transfer: { inserted, updated, deleted },
    ledger: { inserted: inserted * 2, updated: 0, deleted: 0 },
  },
  walBytes,
  walRecords: walBytes / 100,
});

describe('the cost of one completed transfer', () => {
  it('divides CPU by the transfers completed in the window, the writes by those of the whole phase', () => {
    const costs = unitCosts({
      processes: [usage('transfer-service', 2), usage('postgresql', 3)],
      completedInWindow: 4_000,
      completedInPhase: 5_000,
      database: {
        databases: { transfer: { inserted: 10_000, updated: 5_000, deleted: 500, rowsWritten: 15_500 } },
        walBytes: 10_240_000,
        walRecords: 50_000,
      },
      messages: 20_000,
      kafkaBytes: 5_120_000,
    });
    expect(costs).toEqual({
      cpuMsByProcess: { 'transfer-service': 0.5, postgresql: 0.75 },
      cpuMsTotal: 1.25,
      rowsByDatabase: { transfer: { inserted: 2, updated: 1, deleted: 0.1, written: 3.1 } },
      rowsTotal: 3.1,
      walBytes: 2_048,
      walRecords: 10,
      messages: 4,
      kafkaBytes: 1_024,
    });
  });

  it('is unknown, not zero or infinite, when nothing completed or nothing was measured', () => {
    const costs = unitCosts({
      processes: [usage('kafka', 1)],
      completedInWindow: 0,
      completedInPhase: 0,
      database: {
        databases: { ledger: { inserted: 1, updated: 0, deleted: 0, rowsWritten: 1 } },
        walBytes: 1,
        walRecords: 1,
      },
      messages: 3,
      kafkaBytes: null,
    });
    expect(costs).toMatchObject({
      cpuMsByProcess: { kafka: null },
      cpuMsTotal: null,
      rowsByDatabase: { ledger: null },
      rowsTotal: null,
      walBytes: null,
      messages: null,
      kafkaBytes: null,
    });
  });

  it('of a phase: the growth of both readings, over the phase', () => {
    const kafka = (offsets: Record<string, number>, logBytes: number | null): KafkaReading => ({
      offsets,
      logBytes,
    });
    const cost = phaseCost(
      { processes: [usage('ledger-service', 1)], completedInWindow: 1_000 },
      2_000,
      { database: dbReading(100, 50, 0, 1_000), kafka: kafka({ a: 10 }, 4_096) },
      { database: dbReading(4_100, 2_050, 0, 2_049_000), kafka: kafka({ a: 4_010, b: 2_000 }, 2_101_248) },
    );
    expect(cost.completedInPhase).toBe(2_000);
    expect(cost.database.databases.transfer).toEqual({
      inserted: 4_000,
      updated: 2_000,
      deleted: 0,
      rowsWritten: 6_000,
    });
    expect(cost.kafka).toEqual({
      messagesByTopic: { a: 4_000, b: 2_000 },
      messages: 6_000,
      bytes: 2_097_152,
      bytesNote: null,
    });
    expect(cost.perTransfer).toMatchObject({
      cpuMsByProcess: { 'ledger-service': 1 },
      rowsTotal: 7, // 3 in transfer, 4 in ledger
      walBytes: 1_024,
      messages: 3,
      kafkaBytes: 1_048.576,
    });
  });
});

describe("Kafka's counters", () => {
  it('count the growth of each topic; a new topic counts from 0, an unchanged one is left out', () => {
    expect(offsetDelta({ a: 5, b: 7, c: 1 }, { a: 9, b: 7, c: 1, d: 3 })).toEqual({
      messagesByTopic: { a: 4, d: 3 },
      messages: 7,
    });
  });

  it('refuse end offsets that went back (a topic deleted and created again)', () => {
    expect(() => offsetDelta({ a: 9 }, { a: 2 })).toThrow("topic a's end offsets went back");
  });

  it('say why the bytes were not measured on a broker the benchmark did not start', () => {
    expect(kafkaDelta({ offsets: {}, logBytes: null }, { offsets: { a: 1 }, logBytes: null })).toEqual({
      messagesByTopic: { a: 1 },
      messages: 1,
      bytes: null,
      bytesNote: USED_STACK_BYTES_NOTE,
    });
  });

  it("sum the partitions' log segments, not their preallocated indexes nor KRaft's metadata log", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-kafka-logs-'));
    try {
      const write = async (partition: string, file: string, bytes: number) => {
        await fs.mkdir(path.join(dir, partition), { recursive: true });
        await fs.writeFile(path.join(dir, partition, file), Buffer.alloc(bytes));
      };
      await write('oncepay.transfers-0', '00000000000000000000.log', 1_000);
      await write('oncepay.transfers-0', '00000000000000000000.index', 10_000);
      await write('oncepay.transfers-1', '00000000000000000042.log', 300);
      await write('__consumer_offsets-7', '00000000000000000000.log', 20);
      await write('__cluster_metadata-0', '00000000000000000000.log', 5_000);
      await fs.writeFile(path.join(dir, 'meta.properties'), 'node.id=1');
      expect(await logSegmentBytes(dir)).toBe(1_320);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the cost table of the report', () => {
  const phase = (
    name: string,
    overrides: Partial<PhaseResult['cost']>,
  ): Pick<PhaseResult, 'name' | 'completedInWindow' | 'processes' | 'cost'> => {
    const processes = [usage('transfer-service', 1), usage('load generator', 0.25)];
    const database = {
      databases: { transfer: { inserted: 3_000, updated: 1_000, deleted: 0, rowsWritten: 4_000 } },
      walBytes: 2_048_000,
      walRecords: 9_000,
    };
    const kafka = {
      messagesByTopic: { 'oncepay.transfers': 1_000, __consumer_offsets: 500 },
      messages: 1_500,
      bytes: 512_000,
      bytesNote: null,
    };
    const cost = { completedInPhase: 1_000, database, kafka, ...overrides };
    return {
      name,
      completedInWindow: 500,
      processes,
      cost: {
        ...cost,
        perTransfer: unitCosts({
          processes,
          completedInWindow: 500,
          completedInPhase: cost.completedInPhase,
          database: cost.database,
          messages: cost.kafka.messages,
          kafkaBytes: cost.kafka.bytes,
        }),
      },
    };
  };

  it('has a column per phase, a row per process, database and Kafka measure, and says its divisors', () => {
    const lines = renderCost({
      phases: [
        phase('closed loop, 64 workers', {}) as PhaseResult,
        phase('open loop, 1000/s offered', {
          kafka: { messagesByTopic: {}, messages: 0, bytes: null, bytesNote: USED_STACK_BYTES_NOTE },
        }) as PhaseResult,
      ],
    });
    const text = lines.join('\n');
    expect(text).toContain('## Cost per completed transfer');
    const row = (label: string) =>
      lines
        .find((line) => line.startsWith(`| ${label} `))
        ?.split('|')
        .map((cell) => cell.trim())
        .slice(2, -1);
    expect(row('completed: in the window / in the phase')).toEqual(['500 / 1000', '500 / 1000']);
    expect(row('CPU ms, transfer-service')).toEqual(['2.000', '2.000']);
    expect(row('CPU ms, load generator')).toEqual(['0.500', '0.500']);
    expect(row('CPU ms, total')).toEqual(['2.500', '2.500']);
    expect(row('rows written, transfer (inserted / updated / deleted)')).toEqual([
      '4.00 (3.00 / 1.00 / 0.00)',
      '4.00 (3.00 / 1.00 / 0.00)',
    ]);
    expect(row('WAL KB (the whole server)')).toEqual(['2.00', '2.00']);
    expect(row('Kafka messages')).toEqual(['1.50', '0.00']);
    expect(row('Kafka KB (log segments)')).toEqual(['0.50', 'not measured']);
    expect(text).toContain(
      'closed loop, 64 workers, Kafka messages per completed transfer by topic: __consumer_offsets 0.50, oncepay.transfers 1.00',
    );
    expect(text).toContain(`Kafka bytes: ${USED_STACK_BYTES_NOTE}`);
    expect(text).toContain('divided by every transfer of the phase that COMPLETED');
  });
});

describe('--service-env', () => {
  it('is repeatable, reaches the services of a stack of its own, and is refused where it cannot apply', () => {
    const options = parseBenchOptions([
      '--service-env',
      'BATCH_LINGER_MS=5',
      '--service-env',
      'KAFKA_PARTITIONS=6',
    ]);
    expect(options).toMatchObject({
      kind: 'bench',
      serviceEnv: { BATCH_LINGER_MS: '5', KAFKA_PARTITIONS: '6' },
    });
    expect(
      parseBenchOptions(['--retention-window', '30s', '--service-env', 'DATABASE_POOL_SIZE=4']),
    ).toMatchObject({
      serviceEnv: { SOAK_RETENTION_SECONDS: '30', DATABASE_POOL_SIZE: '4' },
    });
    for (const argv of [
      ['--service-env', 'NOEQUALS'],
      ['--service-env', '=5'],
      ['--service-env', 'A=1', '--service-env', 'A=2'],
      ['--retention-window', '30s', '--service-env', 'SOAK_RETENTION_SECONDS=1'],
      ['--flows', '--service-env', 'A=1'],
      ['--soak', '1m', '--service-env', 'A=1'],
    ])
      expect(parseBenchOptions(argv)).toMatchObject({ kind: 'usage-error' });
  });

  it('keeps a value with = signs and an empty one as given', () => {
    expect(parseServiceEnv(['URL=postgres://x/y?a=b', 'EMPTY='])).toEqual({
      URL: 'postgres://x/y?a=b',
      EMPTY: '',
    });
  });
});

describe("the load generator's POST /v1/transfers", () => {
  let server: http.Server;
  let baseUrl: string;
  const seen: { headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ headers: request.headers, body });
        const amount = (JSON.parse(body) as { amount: string }).amount;
        if (amount === '503') {
          response.writeHead(503, { 'content-type': 'application/problem+json' });
          response.end(JSON.stringify({ title: 'unavailable' }));
          return;
        }
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ id: 'a3c5e1f0-0000-4000-8000-000000000001', status: 'PENDING', amount }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const body = (amount: string) => ({
    fromAccountId: 'a3c5e1f0-0000-4000-8000-00000000000a',
    toAccountId: 'a3c5e1f0-0000-4000-8000-00000000000b',
    amount,
    currency: 'EUR' as const,
  });

  it('sends the key, the API key and the JSON body, and answers the accepted transfer', async () => {
    const { postTransfer, close } = transferPoster(baseUrl, 'secret', { maxSockets: 2 });
    try {
      const answer = await postTransfer(body('42'), 'key-1');
      expect(answer.status).toBe(202);
      expect(answer.transfer?.id).toBe('a3c5e1f0-0000-4000-8000-000000000001');
      const request = seen[seen.length - 1]!;
      expect(request.headers).toMatchObject({
        authorization: 'Bearer secret',
        'idempotency-key': 'key-1',
        'content-type': 'application/json',
      });
      expect(JSON.parse(request.body)).toEqual(body('42'));
    } finally {
      await close();
    }
  });

  it('answers another status without a transfer, and keeps its connection usable', async () => {
    const { postTransfer, close } = transferPoster(baseUrl, 'secret', { maxSockets: 1 });
    try {
      expect(await postTransfer(body('503'), 'key-2')).toEqual({ status: 503, transfer: null });
      // One connection: the next request goes through only if the refused answer's body was read.
      expect((await postTransfer(body('1'), 'key-3')).status).toBe(202);
    } finally {
      await close();
    }
  });

  it('rejects when nothing answers, with a short label', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { postTransfer, close } = transferPoster(`http://127.0.0.1:${port}`, 'secret');
    try {
      const error = await postTransfer(body('1'), 'key-4').then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(failureLabel(error)).toBe('ECONNREFUSED');
    } finally {
      await close();
    }
  });
});
