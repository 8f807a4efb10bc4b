// `npm run bench -- --prefill <n>`: its flags, the retention windows it fills to, and its report's
// section. The fill itself runs against PostgreSQL in bench-prefill.int.spec.ts.
import { parseBenchOptions } from '../scripts/bench/options';
import { prefillWindows, retainedShare, type PrefillReport } from '../scripts/bench/prefill';
import { renderPrefill } from '../scripts/bench/report';

const now = new Date('2026-01-02T03:04:05.678Z');

describe('--prefill', () => {
  it('is off unless asked for', () => {
    const options = parseBenchOptions([], now);
    if (options.kind !== 'bench') throw new Error(options.kind);
    expect(options.plan.prefill).toBeNull();
  });

  it('takes a number of transfers, spread over 60 days unless --prefill-days says otherwise', () => {
    const plain = parseBenchOptions(['--prefill', '100000'], now);
    const spread = parseBenchOptions(['--prefill', '3000000', '--prefill-days', '7.5'], now);
    if (plain.kind !== 'bench' || spread.kind !== 'bench') throw new Error('not a bench run');
    expect(plain.plan.prefill).toEqual({ transfers: 100_000, historyDays: 60 });
    expect(spread.plan.prefill).toEqual({ transfers: 3_000_000, historyDays: 7.5 });
  });

  it('answers a usage error for a bad count or span, a lone --prefill-days, a soak or a flows run', () => {
    for (const argv of [
      ['--prefill', '0'],
      ['--prefill', '1.5'],
      ['--prefill', 'many'],
      ['--prefill', '1000', '--prefill-days', '0'],
      ['--prefill-days', '10'],
      ['--soak', '1m', '--prefill', '1000'],
      ['--flows', '--prefill', '1000'],
    ])
      expect(parseBenchOptions(argv, now).kind).toBe('usage-error');
  });
});

describe('the windows the history is filled to', () => {
  it("are the services' defaults: processed messages 720 h, SENT outbox rows 168 h, keys 24 h", () => {
    expect(prefillWindows({})).toEqual({
      processedMessagesS: 720 * 3600,
      outboxSentS: 168 * 3600,
      idempotencyKeysS: 24 * 3600,
    });
  });

  it('follow the hours variables, and SOAK_RETENTION_SECONDS replaces all three', () => {
    expect(
      prefillWindows({ PROCESSED_MESSAGES_RETENTION_HOURS: '48', OUTBOX_SENT_RETENTION_HOURS: '2' }),
    ).toEqual({ processedMessagesS: 48 * 3600, outboxSentS: 2 * 3600, idempotencyKeysS: 24 * 3600 });
    expect(prefillWindows({ SOAK_RETENTION_SECONDS: '5', OUTBOX_SENT_RETENTION_HOURS: '2' })).toEqual({
      processedMessagesS: 5,
      outboxSentS: 5,
      idempotencyKeysS: 5,
    });
  });

  it('keep the share of an evenly spread history that ends two hours before the fill', () => {
    // 60 days: the 30-day window keeps half, less the two hours the history stops short of now.
    expect(retainedShare(720 * 3600, 60)).toBeCloseTo((720 - 2) / (60 * 24));
    expect(retainedShare(24 * 3600, 60)).toBeCloseTo(22 / (60 * 24));
    expect(retainedShare(720 * 3600, 10)).toBe(1);
    expect(retainedShare(3600, 60)).toBe(0);
  });
});

describe("the report's history section", () => {
  const prefill: PrefillReport = {
    transfers: 100_000,
    historyDays: 60,
    windows: { processedMessagesS: 720 * 3600, outboxSentS: 168 * 3600, idempotencyKeysS: 24 * 3600 },
    fillSeconds: 12.34,
    vacuumSeconds: 5.6,
    tables: [
      { database: 'transfer', table: 'transfers', rows: 102_000, bytes: 50 * 1024 * 1024 },
      { database: 'ledger', table: 'journal_entries', rows: 180_000, bytes: 30.25 * 1024 * 1024 },
    ],
  };

  it('says what was filled, how long it took, the windows, and every table with its rows and size', () => {
    const markdown = renderPrefill(prefill).join('\n');
    expect(markdown).toContain('100000 settled transfers (and their refunds) spread over 60 days');
    expect(markdown).toContain('in 12.3 s before the services started, then VACUUM ANALYZE');
    expect(markdown).toContain('processed messages 720 h, SENT outbox rows 168 h, idempotency keys 24 h');
    expect(markdown).toMatch(/\| transfer +\| transfers +\| 102000 +\| 50\.0 +\|/);
    expect(markdown).toMatch(/\| ledger +\| journal_entries +\| 180000 +\| 30\.3 +\|/);
  });
});
