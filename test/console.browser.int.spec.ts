// Proves the console end to end in a real browser (Debian's Chromium, driven by playwright-core) over the
// real services, broker and databases: a transfer made through the API while the page is open appears in
// the live table and reaches COMPLETED there; its timeline shows where its events sat on Kafka, the
// ledger's answer, and every service's own trail (accepted and the outbox row, the ledger's consumption
// at a partition and offset and its decision, the notification); the same envelope published twice is
// marked `duplicate` in the live view; a lab run started from the page shows every mode's row; and the
// page is readable at desktop and phone width: screenshots of both are written to
// .oncepay/console-screenshots and checked (PNG, the viewport's size, not blank), and at 360 px nothing
// but the tables scrolls sideways.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { encodeEvent, TOPICS } from '@oncepay/contracts';
import { IdempotentProducer } from '@oncepay/messaging';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { freePort } from '../scripts/infra/net';
import { REPO_ROOT } from '../scripts/infra/paths';
import { labPassthroughEnv } from '../scripts/infra/stack-config';
import { LAB_MODES } from '../scripts/lab/modes';
import {
  bootServices,
  createTestKafka,
  requestJson,
  sampleTransferRequested,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  testTopic,
  waitFor,
  type BootedServices,
} from '@oncepay/test-support';

const CHROMIUM = process.env.ONCEPAY_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO_ROOT, '.oncepay', 'console-screenshots');
const LAB_OUT = path.join(REPO_ROOT, '.oncepay', 'console-browser-test-lab');
/** A whole lab run: three modes (six once the lab grows), each with consumers killed and restarted. */
const LAB_MS = 540_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 780 };
/** Generous: two cores shared by a whole stack and a browser; the test waits for effects, never for time. */
const SETTLE_MS = 90_000;

describe('the console in a browser, over the real stack', () => {
  let stack: BootedServices<'transfer' | 'ledger' | 'notification'> | undefined;
  let consoleProcess: ChildProcess | undefined;
  const consoleLogs: string[] = [];
  let consoleUrl: string;
  let transfers: string;
  let ledger: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set ONCEPAY_CHROMIUM)`);
    stack = await bootServices(['ledger', 'transfer', 'notification']);
    const ledgerUrl = stack.baseUrl('ledger');
    const transferUrl = stack.baseUrl('transfer');
    const notificationUrl = stack.baseUrl('notification');
    [ledger, transfers] = [ledgerUrl, transferUrl];
    const port = await freePort();
    consoleUrl = `http://127.0.0.1:${port}`;
    consoleProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'apps', 'console', 'dist', 'main.js')], {
      cwd: path.join(REPO_ROOT, 'apps', 'console'),
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'development',
        PORT: String(port),
        TRANSFER_SERVICE_URL: transferUrl,
        LEDGER_SERVICE_URL: ledgerUrl,
        NOTIFICATION_SERVICE_URL: notificationUrl,
        CONSOLE_API_KEY: TEST_CLIENTS.operator.apiKey,
        KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
        KAFKA_NAMESPACE: TEST_KAFKA_NAMESPACE,
        LOG_LEVEL: 'log',
        // The lab it starts finds this run's PostgreSQL and Kafka as `npm run lab` does: by the ONCEPAY_* ports.
        CONSOLE_LAB_ROOT: REPO_ROOT,
        CONSOLE_LAB_OUT: LAB_OUT,
        ...labPassthroughEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [consoleProcess.stdout, consoleProcess.stderr])
      if (stream) readline.createInterface({ input: stream }).on('line', (line) => consoleLogs.push(line));
    await waitFor(
      () =>
        fetch(`${consoleUrl}/health/ready`).then(
          (response) => response.status,
          () => 0,
        ),
      (status) => status === 200 || consoleProcess?.exitCode !== null,
      { timeoutMs: SETTLE_MS, intervalMs: 200, what: 'the console to observe the topics' },
    );
    if (consoleProcess.exitCode !== null)
      throw new Error(`the console exited at start:\n${consoleLogs.slice(-30).join('\n')}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: DESKTOP });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (consoleProcess && consoleProcess.exitCode === null) {
      const exited = new Promise((resolve) => consoleProcess?.once('exit', resolve));
      consoleProcess.kill('SIGTERM');
      await exited;
    }
    await stack?.stop();
  }, 60_000);

  /** Fails with what the console printed, which is what one needs to see when it did not show something. */
  async function expectVisible(selector: string, what: string): Promise<void> {
    try {
      await page.locator(selector).first().waitFor({ state: 'attached', timeout: SETTLE_MS });
    } catch (error) {
      throw new Error(
        `the page did not show ${what} (${selector}) within ${SETTLE_MS} ms: ${String(error)}\n` +
          `console logs:\n${consoleLogs.slice(-20).join('\n')}`,
      );
    }
  }

  it('shows a transfer made while the page is open reach COMPLETED, and its timeline', async () => {
    await page.goto(consoleUrl);
    await expectVisible('#connection[data-state="live"]', 'its live stream connected');
    const operator = { headers: TEST_CLIENTS.operator.auth };
    const open = async (allowNegativeBalance: boolean): Promise<string> => {
      const response = await requestJson(ledger, 'POST', '/v1/accounts', {
        ...operator,
        body: { currency: 'EUR', allowNegativeBalance },
      });
      expect(response.status).toBe(201);
      return (response.body as { id: string }).id;
    };
    const [treasury, payee] = [await open(true), await open(false)];
    const accepted = await requestJson(transfers, 'POST', '/v1/transfers', {
      headers: { ...operator.headers, 'idempotency-key': randomUUID() },
      body: { fromAccountId: treasury, toAccountId: payee, amount: '4200', currency: 'EUR' },
    });
    expect(accepted.status).toBe(202);
    const transferId = (accepted.body as { id: string }).id;

    const row = `#transfers tr[data-transfer-id="${transferId}"]`;
    await expectVisible(row, 'the new transfer in the live table');
    await expectVisible(`${row}[data-status="COMPLETED"]`, 'the transfer reach COMPLETED');
    expect(await page.locator(`${row} .chip`).textContent()).toBe('COMPLETED');
    expect(await page.locator(`${row} td`).nth(2).textContent()).toBe('42.00 EUR');

    await page.getByRole('button', { name: `Show the timeline of transfer ${transferId}` }).click();
    await expectVisible(`#timeline[data-transfer-id="${transferId}"]`, 'the timeline of the transfer');
    const wire = page.locator('#timeline-entries li[data-source="wire"]');
    // Its request, the ledger's answer and the final word, each where it sat on Kafka.
    await expectVisible(
      '#timeline-entries li[data-source="wire"]:has-text("TransferPosted")',
      "the ledger's answer",
    );
    const wireTexts = await wire.allTextContents();
    expect(wireTexts.join('\n')).toMatch(
      new RegExp(
        `TransferRequested #1 from transfer-service: the transfer is PENDING\\s*${TEST_KAFKA_NAMESPACE}${TOPICS.transferRequests} partition \\d+ offset \\d+`,
      ),
    );
    // The console reads two topics, with no order between them: it may see the final word before the
    // ledger's answer, and then shows that answer as stale, which it is by then.
    expect(wireTexts.join('\n')).toMatch(
      /TransferPosted #2 from ledger-service(: the transfer is COMPLETED|, ignored by the state machine \(older than sequence 3 already applied\))\s*\S+ledger-results.v1 partition \d+ offset \d+/,
    );
    expect(wireTexts.join('\n')).toMatch(/TransferCompleted #3 from transfer-service/);
    // Each service's own account of it, every lane available: transfer-service accepted it and wrote
    // its outbox row; the ledger consumed it at a partition and offset and decided; the
    // notification-service consumed the outcome or made its notification. The page reloads the timeline
    // on the transfer's wire events, and the notification-service's step follows the last of them: the
    // test asks again (clicks) until the step shows.
    const timelineButton = page.getByRole('button', { name: `Show the timeline of transfer ${transferId}` });
    const expectTimeline = async (selector: string, what: string): Promise<void> => {
      const entry = page.locator(selector).first();
      for (let attempt = 0; attempt < 60; attempt++) {
        if ((await entry.count()) > 0) return;
        await timelineButton.click();
        await entry.waitFor({ state: 'attached', timeout: SETTLE_MS / 60 }).catch(() => undefined);
      }
      await expectVisible(selector, what);
    };
    await expectTimeline(
      '#timeline-entries li[data-source="notification"]:is([data-kind="consumed"], [data-kind="notification"])',
      "the notification-service's step",
    );
    for (const source of ['transfer', 'ledger', 'notification'])
      expect({
        source,
        available: await page.locator(`#lanes li[data-source="${source}"]`).getAttribute('data-available'),
      }).toEqual({
        source,
        available: 'true',
      });
    for (const [source, kind] of [
      ['transfer', 'accepted'],
      ['transfer', 'outbox-row'],
      ['ledger', 'consumed'],
      ['ledger', 'decision'],
    ])
      await expectVisible(
        `#timeline-entries li[data-source="${source}"][data-kind="${kind}"]`,
        `${source} ${kind}`,
      );
    expect(
      await page
        .locator('#timeline-entries li[data-source="ledger"][data-kind="consumed"] .where')
        .first()
        .textContent(),
    ).toMatch(/partition \d+ offset \d+/);

    await screenshot('desktop', DESKTOP);
    await page.setViewportSize(PHONE);
    // At phone width the lanes stack and only the tables scroll sideways, never the page.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE.width,
    );
    await screenshot('phone', PHONE);
    await page.setViewportSize(DESKTOP);
  }, 240_000);

  it('marks the same envelope published twice as duplicate in the live view', async () => {
    const event = sampleTransferRequested();
    const producer = new IdempotentProducer(createTestKafka());
    await producer.connect();
    try {
      const record = { topic: testTopic(TOPICS.transferRequests), ...encodeEvent(event) };
      await producer.send([record]);
      await producer.send([record]);
    } finally {
      await producer.disconnect();
    }
    await expectVisible(
      `#wire li[data-event-id="${event.id}"][data-marks="duplicate"]`,
      'the duplicate marked',
    );
    const row = page.locator(`#transfers tr[data-transfer-id="${event.aggregateId}"]`);
    expect(await row.locator('td[data-count="duplicates"]').textContent()).toBe('1');
    expect(await page.locator(`#wire li[data-event-id="${event.id}"] .mark`).allTextContents()).toEqual([
      'duplicate',
    ]);
  }, 240_000);

  it('starts a lab run from the page, one at a time, and shows how it ended', async () => {
    await page.reload();
    const start = page.getByRole('button', { name: 'Start a lab run' });
    await start.click();
    await expectVisible('#lab-status:has-text("in progress")', 'the lab run in progress');
    expect(await start.isDisabled()).toBe(true);
    const again = await fetch(`${consoleUrl}/api/lab-runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(again.status).toBe(409);
    try {
      await page
        .locator('#lab-status:has-text("Run 1 succeeded"), #lab-status:has-text("Run 1 failed")')
        .waitFor({ timeout: LAB_MS });
    } catch (error) {
      const state = await fetch(`${consoleUrl}/api/lab-runs/current`).then((response) => response.text());
      throw new Error(`the lab run did not end within ${LAB_MS} ms: ${String(error)}\n${state}`);
    }
    const state = (await fetch(`${consoleUrl}/api/lab-runs/current`).then((response) => response.json())) as {
      run: {
        status: string;
        logTail: string[];
        report?: { rows: { mode: string }[] };
        reportMissing?: string;
      };
    };
    expect({
      status: state.run.status,
      reportMissing: state.run.reportMissing,
      log: state.run.logTail.slice(-5),
    }).toMatchObject({ status: 'succeeded', reportMissing: undefined });
    // The table of the run's lab-report.json: a row per mode, every mode of the lab.
    const modes = (state.run.report?.rows ?? []).map((row) => row.mode);
    expect([...modes].sort()).toEqual([...LAB_MODES].sort());
    await expectVisible('#lab-table:not([hidden])', 'the lab table');
    expect(await page.locator('#lab-table tbody tr').count()).toBe(modes.length);
    for (const mode of modes) await expectVisible(`#lab-table tr[data-mode="${mode}"]`, `the ${mode} row`);
    expect(await page.locator('#lab-status').textContent()).not.toContain('report pending');
    await page.locator('#lab').screenshot({ path: path.join(SCREENSHOTS, 'lab.png') });
  }, 600_000);

  async function screenshot(name: string, size: { width: number; height: number }): Promise<void> {
    const file = path.join(SCREENSHOTS, `${name}.png`);
    const bytes = await page.screenshot({ path: file });
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const png = PNG.sync.read(bytes);
    expect({ width: png.width, height: png.height }).toEqual(size);
    // Not blank: a page with its header, chips, marks and text has many colours; an empty one has one or two.
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(50);
  }
});
