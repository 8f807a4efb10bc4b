// Proves the lab's pure parts without infrastructure: a seed fixes the whole plan, the three modes put
// the offset commit where they claim, the tally counts losses, duplicates and drift exactly (bigint),
// the ledger's answer has an id derived from its request, and the report and chart show what was run.
import { decodeEvent } from '@oncepay/contracts';
import { parseCliOptions } from '../scripts/lab/cli-options';
import type { LabResult } from '../scripts/lab/lab';
import { nameBasedUuid, recordOf, transferCompletedOf, transferRequestedOf } from '../scripts/lab/lab-events';
import {
  deliver,
  LAB_MODES,
  MODE_DESCRIPTIONS,
  MODE_LABELS,
  type CrashPoint,
  type LabMode,
} from '../scripts/lab/modes';
import { expectedBalances, planLab, type LabPlan, type LabTransfer } from '../scripts/lab/plan';
import { MAX_SEED, seededRandom } from '../scripts/lab/random';
import { markdownTable, renderMarkdown, repeatCommand, resultsTable } from '../scripts/lab/report';
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
    expect(() => planLab({ seed: 1, transfers: 3, crashesPerPoint: 2 })).toThrow(RangeError);
    expect(planLab({ seed: 1, transfers: 3, crashesPerPoint: 0 }).faults).toEqual([]);
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
});

describe('deliver', () => {
  /** The steps a delivery ran, stopping at `crashAt` as a SIGKILL would. */
  async function stepsOf(mode: LabMode, crashAt?: CrashPoint): Promise<string[]> {
    const steps: string[] = [];
    const crashed = new Error('crashed');
    await deliver(mode, {
      commitOffset: async () => void steps.push('commit'),
      applyEffect: async () => void steps.push('effect'),
      crashPoint: async (point) => {
        if (point === crashAt) throw crashed;
      },
    }).catch((error: unknown) => {
      if (error !== crashed) throw error;
    });
    return steps;
  }

  it('commits before the effect at most once, after it otherwise', async () => {
    expect(await stepsOf('at-most-once')).toEqual(['commit', 'effect']);
    expect(await stepsOf('at-least-once')).toEqual(['effect', 'commit']);
    expect(await stepsOf('effectively-once')).toEqual(['effect', 'commit']);
  });

  it('leaves a committed offset and no effect when at-most-once crashes before the effect: a loss', async () => {
    expect(await stepsOf('at-most-once', 'before-effect')).toEqual(['commit']);
  });

  it('leaves an effect and no committed offset when an at-least-once mode crashes after it: a redelivery', async () => {
    for (const mode of ['at-least-once', 'effectively-once'] as const) {
      expect(await stepsOf(mode, 'after-effect')).toEqual(['effect']);
      expect(await stepsOf(mode, 'before-effect')).toEqual([]);
    }
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
    } satisfies Tally);
    expect(isClean(result)).toBe(true);
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
    elapsedMs: 1_000,
    tally: {
      requested: 30,
      lost: 0,
      postedTwice: 0,
      notificationsDuplicated: 0,
      notificationsMissing: 0,
      balanceDriftMinor: 0n,
      ...overrides,
    },
  };
}

function labResultOf(plan: LabPlan): LabResult {
  return {
    plan,
    runId: 'abc123',
    partitions: 2,
    results: [
      resultOf(
        'at-most-once',
        { lost: 1, notificationsMissing: 1, balanceDriftMinor: 9_007_199_254_740_993n },
        3,
      ),
      resultOf('at-least-once', { postedTwice: 1, notificationsDuplicated: 2, balanceDriftMinor: 35_368n }),
      resultOf('effectively-once', {}),
    ],
  };
}

describe('the report', () => {
  const plan = planLab({ seed: 42, transfers: 30, crashesPerPoint: 1 });
  const lab = labResultOf(plan);

  it('names the seed and the exact command that repeats the run', () => {
    const markdown = renderMarkdown(lab, 'lab-report.svg');
    expect(repeatCommand({ seed: 42, transfers: 30, crashesPerPoint: 1 })).toBe(
      'npm run lab -- --seed 42 --transfers 30 --crashes 1',
    );
    expect(markdown).toContain('Seed **42**');
    expect(markdown).toContain('`npm run lab -- --seed 42 --transfers 30 --crashes 1`');
    expect(markdown).toContain('![lost, duplicated and drifted per mode](lab-report.svg)');
  });

  it('has one row per mode with its counts, the drift exact, and the fault schedule', () => {
    const markdown = renderMarkdown(lab, 'lab-report.svg');
    const rows = resultsTable(lab.results).split('\n');
    expect(rows).toHaveLength(5);
    const cells = (row: string | undefined) =>
      (row ?? '')
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
    expect(cells(rows[2])).toEqual(['at-most-once', '30', '1', '0', '0', '1', '9007199254740993', '3']);
    expect(cells(rows[3])).toEqual(['at-least-once, no dedup', '30', '0', '1', '2', '0', '35368', '4']);
    expect(cells(rows[4])).toEqual(['effectively-once (OncePay)', '30', '0', '0', '0', '0', '0', '4']);
    for (const fault of plan.faults)
      expect(markdown).toMatch(
        new RegExp(`\\| ${fault.role} +\\| +#${fault.transferIndex} \\| ${fault.point} +\\|`),
      );
    for (const mode of LAB_MODES)
      expect(markdown).toContain(`- **${MODE_LABELS[mode]}** ${MODE_DESCRIPTIONS[mode]}.`);
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
    for (const label of ['at-most-once', 'at-least-once, no dedup', 'effectively-once (OncePay)'])
      expect(svg).toContain(`>${label}</text>`);
    expect(svg).toContain('>9007199254740993</text>');
    expect(svg).toContain('>35368</text>');
  });

  it('draws one bar per mode for each of the four counts and for the drift, scaled to the tallest', () => {
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].filter(
      (match) => !match[0].includes('height="14"'),
    );
    expect(bars).toHaveLength(5 * 3);
    const heights = bars.map((match) => Number(match[2]));
    // The tallest count (2) fills the 240-pixel plot, 1 fills half of it, a zero has no height.
    // lost, posted twice, notifications duplicated, notifications missing; each: the three modes in order.
    expect(heights.slice(0, 12)).toEqual(
      [1, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0].map((count) => (count / 2) * 240),
    );
    expect(heights[14]).toBe(0);
  });

  it('escapes text and chooses round gridline steps', () => {
    expect(escapeXml(`<a & "b">`)).toBe('&#60;a &#38; &#34;b&#34;&#62;');
    expect([0, 2, 4, 7, 40, 120_172].map(tickStep)).toEqual([1, 1, 1, 2, 10, 50_000]);
  });
});

describe('parseCliOptions', () => {
  const defaults = { randomSeed: () => 31337, outDir: '/tmp/lab' };

  it('defaults to a random seed (the caller prints it), 200 transfers and 2 crashes per point', () => {
    expect(parseCliOptions([], defaults)).toEqual({
      kind: 'lab',
      seed: 31337,
      transfers: 200,
      crashesPerPoint: 2,
      outDir: '/tmp/lab',
    });
  });

  it('takes the seed, the sizes and the output folder from flags', () => {
    expect(
      parseCliOptions(['--seed', '0', '--transfers', '30', '--crashes', '1', '--out', 'reports'], defaults),
    ).toEqual({ kind: 'lab', seed: 0, transfers: 30, crashesPerPoint: 1, outDir: 'reports' });
    expect(parseCliOptions(['--help'], defaults)).toEqual({ kind: 'help' });
  });

  it('refuses bad numbers, unknown flags and more crashes than transfers, naming the flag', () => {
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
  });
});
