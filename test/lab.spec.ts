// Proves the lab's pure parts without infrastructure: a seed fixes the whole plan (crashes, lost
// acknowledgements, the rebalance), the modes put the offset commit and the answer where they claim,
// the tally counts losses, duplicates and drift exactly (bigint), the ledger's answer has an id derived
// from its request, the lost-acknowledgement fault cuts exactly the Produce response it armed for,
// and the report, its JSON and the chart show what was run.
import net from 'node:net';
import { decodeEvent } from '@oncepay/contracts';
import { AckLossInjector } from '../scripts/lab/ack-loss';
import { parseCliOptions } from '../scripts/lab/cli-options';
import type { LabResult } from '../scripts/lab/lab';
import { nameBasedUuid, recordOf, transferCompletedOf, transferRequestedOf } from '../scripts/lab/lab-events';
import {
  deliver,
  LAB_MODES,
  MODE_DESIGNS,
  type CrashPoint,
  type LabMode,
  type OffsetCommit,
} from '../scripts/lab/modes';
import {
  expectedBalances,
  planLab,
  REQUEST_BATCH_SIZE,
  type LabPlan,
  type LabTransfer,
} from '../scripts/lab/plan';
import { MAX_SEED, seededRandom } from '../scripts/lab/random';
import {
  HEADERS,
  markdownTable,
  renderMarkdown,
  repeatCommand,
  reportJson,
  resultsTable,
} from '../scripts/lab/report';
import type { ModeResult } from '../scripts/lab/run-mode';
import { escapeXml, renderSvg, tickStep } from '../scripts/lab/svg';
import { isClean, tally, type Observations, type Tally } from '../scripts/lab/tally';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('seededRandom', () => {
  it('gives the same numbers and ids for the same seed, and other ones for another seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return [random.next(), random.int(1, 6), random.uuid(), random.int(0, 1_000_000)];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(MAX_SEED)).toEqual(draw(MAX_SEED));
  });

  it('stays within bounds and makes well-formed version-4 ids', () => {
    const random = seededRandom(123);
    for (let i = 0; i < 1_000; i++) {
      const value = random.int(-3, 3);
      expect(value).toBeGreaterThanOrEqual(-3);
      expect(value).toBeLessThanOrEqual(3);
      const fraction = random.next();
      expect(fraction).toBeGreaterThanOrEqual(0);
      expect(fraction).toBeLessThan(1);
    }
    const id = random.uuid();
    expect(id).toMatch(UUID);
    expect(id[14]).toBe('4');
  });

  it('refuses a seed that is not an unsigned 32-bit integer', () => {
    for (const seed of [-1, 1.5, MAX_SEED + 1, Number.NaN])
      expect(() => seededRandom(seed)).toThrow(RangeError);
  });
});

describe('planLab', () => {
  const options = { seed: 2026, transfers: 50, crashesPerPoint: 2 };

  it('is a function of its options: the same seed plans the same transfers and faults', () => {
    expect(planLab(options)).toEqual(planLab(options));
    const other = planLab({ ...options, seed: 2027 });
    expect(other.transfers.map((t) => t.transferId)).not.toEqual(
      planLab(options).transfers.map((t) => t.transferId),
    );
  });

  it('plans transfers between distinct accounts, with positive bigint amounts and unique ids', () => {
    const plan = planLab(options);
    const accountIds = new Set(plan.accounts.map((account) => account.id));
    expect(plan.transfers).toHaveLength(50);
    for (const [index, transfer] of plan.transfers.entries()) {
      expect(transfer.index).toBe(index);
      expect(accountIds.has(transfer.fromAccountId) && accountIds.has(transfer.toAccountId)).toBe(true);
      expect(transfer.fromAccountId).not.toBe(transfer.toAccountId);
      expect(typeof transfer.amountMinor).toBe('bigint');
      expect(transfer.amountMinor > 0n).toBe(true);
    }
    const ids = plan.transfers.flatMap((t) => [t.transferId, t.eventId]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('crashes each consumer the same number of times at each point, at distinct transfers', () => {
    const plan = planLab(options);
    for (const role of ['ledger', 'notifier'] as const) {
      const faults = plan.faults.filter((fault) => fault.role === role);
      expect(faults.filter((fault) => fault.point === 'before-effect')).toHaveLength(2);
      expect(faults.filter((fault) => fault.point === 'after-effect')).toHaveLength(2);
      expect(new Set(faults.map((fault) => fault.transferIndex)).size).toBe(4);
      for (const fault of faults) {
        expect(fault.transferIndex).toBeGreaterThanOrEqual(0);
        expect(fault.transferIndex).toBeLessThan(50);
        expect(fault.id).toBe(`${role}-${fault.point}@${fault.transferIndex}`);
      }
    }
  });

  it('can crash at every transfer, and refuses more crashes than transfers', () => {
    const plan = planLab({ seed: 1, transfers: 4, crashesPerPoint: 2 });
    expect(plan.faults.filter((f) => f.role === 'ledger').map((f) => f.transferIndex)).toEqual([0, 1, 2, 3]);
    // Every transfer has a ledger crash: no room for the rebalance, which never shares a delivery.
    expect(plan.rebalance).toBeNull();
    expect(() => planLab({ seed: 1, transfers: 3, crashesPerPoint: 2 })).toThrow(RangeError);
    const quiet = planLab({ seed: 1, transfers: 3, crashesPerPoint: 0 });
    expect([quiet.faults, quiet.ackLosses, quiet.rebalance]).toEqual([[], [], null]);
  });

  it('loses one acknowledgement per crash point count, at distinct request batches', () => {
    const plan = planLab({ seed: 2026, transfers: 95, crashesPerPoint: 3 });
    expect(plan.ackLosses).toHaveLength(3);
    const batches = plan.ackLosses.map((loss) => loss.batch);
    expect(new Set(batches).size).toBe(3);
    expect([...batches].sort((a, b) => a - b)).toEqual(batches);
    for (const loss of plan.ackLosses) {
      expect(loss.batch).toBeGreaterThanOrEqual(0);
      expect(loss.batch * REQUEST_BATCH_SIZE).toBeLessThan(95);
      expect(loss.id).toBe(`requests-ack-lost@batch-${loss.batch}`);
    }
    // Never more than there are batches.
    expect(planLab({ seed: 1, transfers: 12, crashesPerPoint: 5 }).ackLosses).toHaveLength(2);
  });

  it('plans the rebalance at a transfer none of the ledger crashes waits for', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const plan = planLab({ seed, transfers: 6, crashesPerPoint: 2 });
      const rebalance = plan.rebalance;
      if (!rebalance) throw new Error('a rebalance planned');
      const ledgerCrashes = plan.faults.filter((f) => f.role === 'ledger').map((f) => f.transferIndex);
      expect(ledgerCrashes).not.toContain(rebalance.transferIndex);
      expect(rebalance.transferIndex).toBeLessThan(6);
      expect(rebalance.id).toBe(`ledger-rebalance@${rebalance.transferIndex}`);
    }
  });

  it('expects every transfer posted exactly once, which moves money without creating any', () => {
    const plan = planLab(options);
    const expected = expectedBalances(plan);
    const total = [...expected.values()].reduce((sum, balance) => sum + balance, 0n);
    expect(total).toBe(plan.accounts.reduce((sum, account) => sum + account.openingBalanceMinor, 0n));
    const first = plan.accounts[0];
    if (!first) throw new Error('no account');
    const moved = plan.transfers.reduce(
      (sum, t) =>
        sum +
        (t.toAccountId === first.id ? t.amountMinor : 0n) -
        (t.fromAccountId === first.id ? t.amountMinor : 0n),
      0n,
    );
    expect(expected.get(first.id)).toBe(first.openingBalanceMinor + moved);
  });

  it('kept the transfers and crashes of every seed when the new faults were added', () => {
    // The acknowledgement losses and the rebalance are drawn after everything else, so a seed from a
    // report made before them plans the same transfers and crashes. These values are the lab v1's
    // (docs/delivery-semantics.md quotes this seed's run).
    const plan = planLab({ seed: 1587329568, transfers: 200, crashesPerPoint: 2 });
    expect(plan.faults.map((fault) => fault.id)).toEqual([
      'ledger-after-effect@110',
      'ledger-before-effect@143',
      'ledger-after-effect@159',
      'ledger-before-effect@162',
      'notifier-before-effect@36',
      'notifier-after-effect@47',
      'notifier-before-effect@52',
      'notifier-after-effect@170',
    ]);
    expect(plan.transfers[199]?.transferId).toBe('7110badc-667e-40b3-bda9-8aece5886648');
    expect(plan.ackLosses.map((loss) => loss.batch)).toEqual([7, 17]);
    expect(plan.rebalance).toEqual({ id: 'ledger-rebalance@154', transferIndex: 154 });
  });
});

describe('deliver', () => {
  /** The steps a delivery ran, stopping at `crashAt` as a SIGKILL would. */
  async function stepsOf(offsets: OffsetCommit, crashAt?: CrashPoint): Promise<string[]> {
    const steps: string[] = [];
    const crashed = new Error('crashed');
    await deliver(offsets, {
      commitOffset: async () => void steps.push('commit'),
      applyEffect: async () => void steps.push('effect'),
      afterEffect: async () => void steps.push('answer'),
      crashPoint: async (point) => {
        if (point === crashAt) throw crashed;
      },
    }).catch((error: unknown) => {
      if (error !== crashed) throw error;
    });
    return steps;
  }

  it('commits before the effect at most once, after it (and after the answer step) otherwise', async () => {
    expect(await stepsOf('before-effect')).toEqual(['commit', 'effect', 'answer']);
    expect(await stepsOf('after-effect')).toEqual(['effect', 'answer', 'commit']);
  });

  it('leaves a committed offset and no effect when at-most-once crashes before the effect: a loss', async () => {
    expect(await stepsOf('before-effect', 'before-effect')).toEqual(['commit']);
  });

  it('leaves an effect, no answer step and no committed offset when crashing after the effect', async () => {
    // For a dual write that is the lost answer: the redelivery is a duplicate, and sends nothing.
    expect(await stepsOf('after-effect', 'after-effect')).toEqual(['effect']);
    expect(await stepsOf('after-effect', 'before-effect')).toEqual([]);
  });
});

describe('the mode designs', () => {
  it('give only effectively-once the whole of OncePay: dedup in both consumers, the outbox, the idempotent producer', () => {
    const complete = LAB_MODES.filter((mode) => {
      const design = MODE_DESIGNS[mode];
      return (
        design.ledger.dedup &&
        design.notifier.dedup &&
        design.ledger.answer === 'outbox' &&
        design.requestProducer === 'idempotent'
      );
    });
    expect(complete).toEqual(['effectively-once']);
  });

  it('take one mechanism away in each of the new modes', () => {
    expect(MODE_DESIGNS['dual-write'].ledger).toEqual({
      offsets: 'after-effect',
      dedup: true,
      answer: 'fresh-only',
    });
    expect(MODE_DESIGNS['non-idempotent-producer']).toMatchObject({
      requestProducer: 'not-idempotent',
      ledger: { dedup: false },
      notifier: { dedup: false },
    });
    expect(MODE_DESIGNS['kafka-transactions']).toMatchObject({
      ledger: { offsets: 'in-kafka-transaction', dedup: false, answer: 'kafka-transaction' },
      notifier: { dedup: true },
    });
    for (const mode of LAB_MODES)
      if (mode !== 'non-idempotent-producer') expect(MODE_DESIGNS[mode].requestProducer).toBe('idempotent');
  });
});

describe('AckLossInjector', () => {
  /** A Kafka-shaped frame: size, then (for a request) api key, version and correlation id. */
  const request = (apiKey: number, correlationId: number): Buffer => {
    const frame = Buffer.alloc(16);
    frame.writeInt32BE(12, 0);
    frame.writeInt16BE(apiKey, 4);
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(correlationId, 8);
    return frame;
  };
  const response = (correlationId: number, body: string): Buffer => {
    const bytes = Buffer.from(body);
    const frame = Buffer.alloc(8 + bytes.length);
    frame.writeInt32BE(4 + bytes.length, 0);
    frame.writeInt32BE(correlationId, 4);
    bytes.copy(frame, 8);
    return frame;
  };

  /** Sends the requests through an instrumented socket to a server answering `answers`; what came back. */
  async function exchange(
    injector: AckLossInjector,
    requests: Buffer[],
    answers: Buffer,
  ): Promise<{ received: Buffer; ended: boolean }> {
    const server = net.createServer((socket) => {
      let seen = 0;
      socket.on('data', (chunk) => {
        seen += chunk.length;
        // Answered in two pieces, split inside a frame, once every request arrived.
        if (seen === requests.reduce((sum, r) => sum + r.length, 0)) {
          socket.write(answers.subarray(0, 11));
          setImmediate(() => socket.end(answers.subarray(11)));
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      return await new Promise((resolve) => {
        const chunks: Buffer[] = [];
        const socket = net.connect({ host: '127.0.0.1', port }, () => {
          for (const r of requests) socket.write(r);
        });
        injector.instrument(socket);
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('end', () => resolve({ received: Buffer.concat(chunks), ended: true }));
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('passes every response on while not armed', async () => {
    const answers = Buffer.concat([response(1, 'metadata'), response(2, 'produced')]);
    const result = await exchange(new AckLossInjector(), [request(3, 1), request(0, 2)], answers);
    expect(result.received.equals(answers)).toBe(true);
  });

  it('drops the connection at the response to the first Produce request after arming, not before', async () => {
    const injector = new AckLossInjector();
    injector.arm('fault-1');
    const answers = Buffer.concat([response(1, 'metadata'), response(2, 'produced'), response(3, 'later')]);
    // Request 1 is a Metadata request (api key 3): not the one the fault waits for.
    const result = await exchange(injector, [request(3, 1), request(0, 2), request(0, 3)], answers);
    expect(result.received.equals(response(1, 'metadata'))).toBe(true);
    expect(result.ended).toBe(true);
    expect(injector.fired).toEqual(['fault-1']);
    expect(injector.isArmed).toBe(false);
    expect(() => injector.arm('fault-2')).not.toThrow();
    expect(() => injector.arm('fault-3')).toThrow(/fault-2 is still armed/);
  });
});

describe('tally', () => {
  // By hand, so the expected drift is plain arithmetic: four accounts of 1000, three transfers.
  const a = 'aaaaaaaa-0000-4000-8000-000000000000';
  const b = 'bbbbbbbb-0000-4000-8000-000000000000';
  const c = 'cccccccc-0000-4000-8000-000000000000';
  const d = 'dddddddd-0000-4000-8000-000000000000';
  const transfer = (index: number, from: string, to: string, amountMinor: bigint): LabTransfer => ({
    index,
    transferId: `00000000-0000-4000-8000-00000000000${index}`,
    eventId: `11111111-0000-4000-8000-00000000000${index}`,
    fromAccountId: from,
    toAccountId: to,
    amountMinor,
  });
  const plan: LabPlan = {
    seed: 0,
    crashesPerPoint: 0,
    accounts: [a, b, c, d].map((id, i) => ({ id, name: `account-${i}`, openingBalanceMinor: 1_000n })),
    transfers: [transfer(0, a, b, 100n), transfer(1, c, d, 30n), transfer(2, a, b, 7n)],
    faults: [],
    ackLosses: [],
    rebalance: null,
  };
  const [t0, t1, t2] = [0, 1, 2].map((index) => `00000000-0000-4000-8000-00000000000${index}`) as [
    string,
    string,
    string,
  ];

  /** What the databases would hold after posting each transfer the given number of times. */
  function observe(postings: Record<string, number>, notifications: Record<string, number>): Observations {
    const balances = new Map(plan.accounts.map((account) => [account.id, account.openingBalanceMinor]));
    for (const t of plan.transfers) {
      const times = BigInt(postings[t.transferId] ?? 0);
      balances.set(t.fromAccountId, (balances.get(t.fromAccountId) ?? 0n) - times * t.amountMinor);
      balances.set(t.toAccountId, (balances.get(t.toAccountId) ?? 0n) + times * t.amountMinor);
    }
    return {
      postingsPerTransfer: new Map(Object.entries(postings).filter(([, n]) => n > 0)),
      notificationsPerTransfer: new Map(Object.entries(notifications).filter(([, n]) => n > 0)),
      balances,
      topicDuplicates: { requests: 0, answers: 0 },
    };
  }
  const everyOnce = { [t0]: 1, [t1]: 1, [t2]: 1 };

  it('is clean when every transfer was posted and notified exactly once', () => {
    const result = tally(plan, observe(everyOnce, everyOnce));
    expect(result).toEqual({
      requested: 3,
      lost: 0,
      postedTwice: 0,
      notificationsDuplicated: 0,
      notificationsMissing: 0,
      balanceDriftMinor: 0n,
      requestsOnTopicTwice: 0,
      answersOnTopicTwice: 0,
    } satisfies Tally);
    expect(isClean(result)).toBe(true);
  });

  it('passes the duplicates read back from each topic through apart, and is not clean with any', () => {
    const result = tally(plan, {
      ...observe(everyOnce, everyOnce),
      topicDuplicates: { requests: 2, answers: 5 },
    });
    expect(result).toMatchObject({ requestsOnTopicTwice: 2, answersOnTopicTwice: 5 });
    expect(isClean(result)).toBe(false);
    for (const topicDuplicates of [
      { requests: 1, answers: 0 },
      { requests: 0, answers: 1 },
    ])
      expect(isClean(tally(plan, { ...observe(everyOnce, everyOnce), topicDuplicates }))).toBe(false);
  });

  it('counts a lost transfer, a double posting, double and missing notifications, and the drift they cause', () => {
    const result = tally(plan, observe({ [t0]: 1, [t2]: 2 }, { [t1]: 0, [t2]: 3 }));
    expect(result).toEqual({
      requested: 3,
      lost: 1, // t1
      postedTwice: 1, // t2
      notificationsDuplicated: 1, // t2
      notificationsMissing: 1, // t0 (t1 was never posted: lost, not missing a notification)
      // t1 lost: c is 30 too high, d 30 too low. t2 twice: a is 7 too low, b 7 too high.
      balanceDriftMinor: 30n + 30n + 7n + 7n,
      requestsOnTopicTwice: 0,
      answersOnTopicTwice: 0,
    } satisfies Tally);
    expect(isClean(result)).toBe(false);
  });

  it('measures drift exactly in bigint, beyond what a float holds', () => {
    const observed = observe(everyOnce, everyOnce);
    observed.balances.set(a, 1_000n - 100n - 7n + 2n ** 60n + 1n);
    expect(tally(plan, observed).balanceDriftMinor).toBe(2n ** 60n + 1n);
  });

  it('refuses rows of transfers the lab never requested, and an account without a balance', () => {
    const stray = '99999999-0000-4000-8000-000000000000';
    expect(() => tally(plan, observe(everyOnce, { ...everyOnce, [stray]: 1 }))).toThrow(/never requested/);
    const observed = observe(everyOnce, everyOnce);
    observed.balances.delete(d);
    expect(() => tally(plan, observed)).toThrow(/has no balance/);
  });
});

describe('the lab events', () => {
  it('derives name-based ids as RFC 9562 version 5 does', () => {
    // The RFC's own example: the DNS namespace and www.example.com.
    expect(nameBasedUuid('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('gives the ledger the same answer id on every delivery of a request, and both decode as contracts', () => {
    const [transfer] = planLab({ seed: 5, transfers: 1, crashesPerPoint: 0 }).transfers;
    if (!transfer) throw new Error('one transfer planned');
    const request = transferRequestedOf(transfer, new Date('2026-11-27T10:00:00Z'));
    const first = transferCompletedOf(request, new Date('2026-11-27T10:00:01Z'));
    const again = transferCompletedOf(request, new Date('2026-11-27T10:05:00Z'));
    expect(first.id).toBe(again.id);
    expect(first.id).toMatch(UUID);
    expect(first.causationId).toBe(request.id);
    for (const event of [request, first]) {
      const decoded = decodeEvent(recordOf(event, 'lab.topic').value);
      expect(decoded).toEqual({ ok: true, event: expect.objectContaining({ id: event.id }) });
    }
    expect(request.payload.amountMinor).toBe(transfer.amountMinor);
  });
});

function resultOf(mode: LabMode, overrides: Partial<Tally>, crashes = 4): ModeResult {
  return {
    mode,
    crashes: Array.from({ length: crashes }, (_, i) => `crash-${i}`),
    otherFaults: ['requests-ack-lost@batch-1', 'ledger-rebalance@7'],
    elapsedMs: 1_000,
    tally: {
      requested: 30,
      lost: 0,
      postedTwice: 0,
      notificationsDuplicated: 0,
      notificationsMissing: 0,
      balanceDriftMinor: 0n,
      requestsOnTopicTwice: 0,
      answersOnTopicTwice: 0,
      ...overrides,
    },
  };
}

function labResultOf(plan: LabPlan, modes: readonly LabMode[] = LAB_MODES): LabResult {
  const overrides: Record<LabMode, [Partial<Tally>, number]> = {
    'at-most-once': [{ lost: 1, notificationsMissing: 1, balanceDriftMinor: 9_007_199_254_740_993n }, 3],
    'at-least-once': [
      { postedTwice: 1, notificationsDuplicated: 2, balanceDriftMinor: 35_368n, answersOnTopicTwice: 2 },
      4,
    ],
    'effectively-once': [{}, 4],
    'dual-write': [{ notificationsMissing: 1 }, 4],
    'non-idempotent-producer': [
      {
        postedTwice: 12,
        notificationsDuplicated: 13,
        balanceDriftMinor: 314_674n,
        requestsOnTopicTwice: 10,
        answersOnTopicTwice: 22,
      },
      4,
    ],
    'kafka-transactions': [{ postedTwice: 2, balanceDriftMinor: 84_204n }, 4],
  };
  return {
    plan,
    runId: 'abc123',
    partitions: 2,
    results: modes.map((mode) => resultOf(mode, overrides[mode][0], overrides[mode][1])),
  };
}

const cellsOf = (row: string | undefined): string[] =>
  (row ?? '')
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());

describe('the report', () => {
  const plan = planLab({ seed: 42, transfers: 30, crashesPerPoint: 1 });
  const lab = labResultOf(plan);

  it('names the seed and the exact command that repeats the run, with --modes only when not all ran', () => {
    const markdown = renderMarkdown(lab, 'lab-report.svg');
    expect(repeatCommand({ seed: 42, transfers: 30, crashesPerPoint: 1 })).toBe(
      'npm run lab -- --seed 42 --transfers 30 --crashes 1',
    );
    expect(repeatCommand({ seed: 42, transfers: 30, crashesPerPoint: 1, modes: [...LAB_MODES] })).toBe(
      'npm run lab -- --seed 42 --transfers 30 --crashes 1',
    );
    expect(
      repeatCommand({
        seed: 42,
        transfers: 30,
        crashesPerPoint: 1,
        modes: ['dual-write', 'kafka-transactions'],
      }),
    ).toBe('npm run lab -- --seed 42 --transfers 30 --crashes 1 --modes dual-write,kafka-transactions');
    expect(markdown).toContain('Seed **42**');
    expect(markdown).toContain('`npm run lab -- --seed 42 --transfers 30 --crashes 1`');
    expect(markdown).toContain('![lost, duplicated and drifted per mode](lab-report.svg)');
    expect(renderMarkdown(labResultOf(plan, ['kafka-transactions']), 'x.svg')).toContain(
      '`npm run lab -- --seed 42 --transfers 30 --crashes 1 --modes kafka-transactions`',
    );
  });

  it('has one row per mode with its counts, the drift exact, and every fault of the schedule', () => {
    const markdown = renderMarkdown(lab, 'lab-report.svg');
    const rows = resultsTable(lab.results).split('\n');
    expect(rows).toHaveLength(2 + LAB_MODES.length);
    expect(cellsOf(rows[0])).toEqual(HEADERS);
    expect(cellsOf(rows[2])).toEqual([
      'at-most-once',
      '30',
      '1',
      '0',
      '0',
      '1',
      '9007199254740993',
      '0',
      '0',
      '5',
    ]);
    expect(cellsOf(rows[3])).toEqual([
      'at-least-once, no dedup',
      '30',
      '0',
      '1',
      '2',
      '0',
      '35368',
      '0',
      '2',
      '6',
    ]);
    expect(cellsOf(rows[4])).toEqual([
      'effectively-once (OncePay)',
      '30',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '6',
    ]);
    expect(cellsOf(rows[5])).toEqual(['dual write, no outbox', '30', '0', '0', '0', '1', '0', '0', '0', '6']);
    expect(cellsOf(rows[6])).toEqual([
      'producer without idempotence',
      '30',
      '0',
      '12',
      '13',
      '0',
      '314674',
      '10',
      '22',
      '6',
    ]);
    expect(cellsOf(rows[7])).toEqual([
      'Kafka transactions',
      '30',
      '0',
      '2',
      '0',
      '0',
      '84204',
      '0',
      '0',
      '6',
    ]);
    for (const fault of plan.faults)
      expect(markdown).toMatch(
        new RegExp(`\\| ${fault.role} +\\| +#${fault.transferIndex} \\| ${fault.point} +\\|`),
      );
    for (const loss of plan.ackLosses)
      expect(markdown).toMatch(
        new RegExp(
          `\\| request producer \\| +#${loss.batch * REQUEST_BATCH_SIZE} to #\\d+ \\| acknowledgement lost \\|`,
        ),
      );
    expect(markdown).toMatch(
      new RegExp(`\\| ledger +\\| +#${plan.rebalance?.transferIndex} \\| rebalance +\\|`),
    );
    for (const mode of LAB_MODES)
      expect(markdown).toContain(`- **${MODE_DESIGNS[mode].label}** ${MODE_DESIGNS[mode].description}.`);
  });

  it('gives the console the table as JSON: the same columns and cells, per mode', () => {
    const json = reportJson(lab);
    expect(json).toMatchObject({
      seed: 42,
      runId: 'abc123',
      command: 'npm run lab -- --seed 42 --transfers 30 --crashes 1',
    });
    expect(json.columns).toEqual(HEADERS);
    expect(json.rows.map((row) => row.mode)).toEqual([...LAB_MODES]);
    const tableRows = resultsTable(lab.results).split('\n').slice(2);
    json.rows.forEach((row, i) => {
      expect(row.label).toBe(MODE_DESIGNS[row.mode].label);
      expect(row.cells).toEqual(cellsOf(tableRows[i]));
    });
    // Plain JSON: bigint drift as its printed digits, nothing lost in a round trip.
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.rows[0]?.cells[6]).toBe('9007199254740993');
    // The producer's duplicates apart from the ledger's republished answers.
    const column = (name: string): number => json.columns.indexOf(name);
    const producer = json.rows.find((row) => row.mode === 'non-idempotent-producer');
    expect(producer?.cells[column('requests on topic twice')]).toBe('10');
    expect(producer?.cells[column('answers on topic twice')]).toBe('22');
  });

  it('pads Markdown tables and aligns numbers right', () => {
    expect(markdownTable(['a', 'count'], [['xyz', '7']], ['left', 'right'])).toBe(
      ['| a   | count |', '| --- | ----: |', '| xyz |     7 |'].join('\n'),
    );
  });
});

describe('the chart', () => {
  const plan = planLab({ seed: 42, transfers: 30, crashesPerPoint: 1 });
  const svg = renderSvg(labResultOf(plan));

  it('is an SVG document with the seed, a legend entry per mode and every value as a label', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('seed 42');
    for (const mode of LAB_MODES) expect(svg).toContain(`>${escapeXml(MODE_DESIGNS[mode].label)}</text>`);
    expect(svg).toContain('>9007199254740993</text>');
    expect(svg).toContain('>314674</text>');
    for (const line of ['requests on', 'answers on', 'topic twice'])
      expect(svg).toContain(`>${line}</tspan>`);
  });

  it('draws one bar per mode for each of the six counts and for the drift, scaled to the tallest', () => {
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].filter(
      (match) => !match[0].includes('height="14"'),
    );
    const modes = LAB_MODES.length;
    expect(bars).toHaveLength(7 * modes);
    const heights = bars.map((match) => Number(match[2]));
    // The plot is 240 pixels from 0 to the gridline above the tallest count (22); a zero has no height. Groups in order: lost,
    // posted twice, notifications duplicated, notifications missing, requests on topic twice, answers
    // on topic twice.
    const counts = [
      [1, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 12, 2],
      [0, 2, 0, 0, 13, 0],
      [1, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 10, 0],
      [0, 2, 0, 0, 22, 0],
    ];
    // tickStep(22) is 10: gridlines at 10, 20 and 30, the top of the plot.
    const top = 30;
    expect(tickStep(22)).toBe(10);
    expect(heights.slice(0, 6 * modes)).toEqual(
      counts.flat().map((count) => Math.round((count / top) * 2400) / 10),
    );
    // The effectively-once drift bar (third of the last group) is flat.
    expect(heights[6 * modes + 2]).toBe(0);
  });

  it('lays the legend out in rows that stay inside the picture', () => {
    const legend = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="14" height="14"/g)];
    expect(legend).toHaveLength(LAB_MODES.length);
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
    for (const [, x, y] of legend) {
      expect(Number(x) + 300).toBeLessThan(width);
      expect(Number(y) + 14).toBeLessThan(height);
    }
  });

  it('escapes text and chooses round gridline steps', () => {
    expect(escapeXml(`<a & "b">`)).toBe('&#60;a &#38; &#34;b&#34;&#62;');
    expect([0, 2, 4, 7, 40, 120_172].map(tickStep)).toEqual([1, 1, 1, 2, 10, 50_000]);
  });
});

describe('parseCliOptions', () => {
  const defaults = { randomSeed: () => 31337, outDir: '/tmp/lab' };

  it('defaults to a random seed (the caller prints it), 200 transfers, 2 crashes per point, all six modes', () => {
    expect(parseCliOptions([], defaults)).toEqual({
      kind: 'lab',
      seed: 31337,
      transfers: 200,
      crashesPerPoint: 2,
      modes: [...LAB_MODES],
      outDir: '/tmp/lab',
    });
    expect(LAB_MODES).toHaveLength(6);
  });

  it('takes the seed, the sizes, the modes and the output folder from flags', () => {
    expect(
      parseCliOptions(
        [
          '--seed',
          '0',
          '--transfers',
          '30',
          '--crashes',
          '1',
          '--modes',
          'kafka-transactions, dual-write',
          '--out',
          'reports',
        ],
        defaults,
      ),
    ).toEqual({
      kind: 'lab',
      seed: 0,
      transfers: 30,
      crashesPerPoint: 1,
      // In LAB_MODES order, whatever the order asked.
      modes: ['dual-write', 'kafka-transactions'],
      outDir: 'reports',
    });
    expect(parseCliOptions(['--help'], defaults)).toEqual({ kind: 'help' });
  });

  it('refuses bad numbers, unknown flags and modes, and more crashes than transfers, naming the flag', () => {
    const errorOf = (argv: string[]): string => {
      const parsed = parseCliOptions(argv, defaults);
      return parsed.kind === 'usage-error' ? parsed.message : `parsed as ${parsed.kind}`;
    };
    expect(errorOf(['--seed', '-1'])).toMatch(/--seed/);
    expect(errorOf(['--seed', String(MAX_SEED + 1)])).toMatch(/--seed/);
    expect(errorOf(['--seed', '1e3'])).toMatch(/--seed/);
    expect(errorOf(['--transfers', '0'])).toMatch(/--transfers/);
    expect(errorOf(['--transfers', '3', '--crashes', '2'])).toMatch(/at least 4/);
    expect(errorOf(['--fast'])).toMatch(/fast/);
    expect(errorOf(['--modes', 'exactly-once'])).toMatch(/--modes .*unknown: "exactly-once"/);
    expect(errorOf(['--modes', 'dual-write,'])).toMatch(/--modes/);
    expect(errorOf(['--modes', ''])).toMatch(/--modes/);
  });
});
