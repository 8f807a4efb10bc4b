// The benchmark's accounts, set up through the public APIs like any client's: a treasury of its own
// (the one account allowed below zero, so the benchmark runs as an operator), then `count` accounts
// funded from it by real transfers. With
// many accounts the load's random pairs spread over many rows, so transfers do not queue on one lock.
import type { JsonHttpClient } from './http-client';
import type { TransferDb } from './transfer-db';

export interface BenchAccounts {
  treasury: string;
  accounts: string[];
  /** The funding transfers (all COMPLETED), for the final settle check. */
  fundingIds: string[];
}

/** How many set-up requests run at once: enough to be quick, few enough not to be a load test. */
const SETUP_CONCURRENCY = 16;

export async function setUpAccounts(
  ledger: JsonHttpClient,
  transfers: JsonHttpClient,
  db: TransferDb,
  options: { count: number; currency: string; fundingMinor: bigint; settleTimeoutMs: number },
): Promise<BenchAccounts> {
  const open = async (allowNegativeBalance: boolean): Promise<string> => {
    const answer = await ledger.post('/v1/accounts', { currency: options.currency, allowNegativeBalance });
    if (answer.status !== 201)
      throw new Error(`opening an account answered ${answer.status}: ${answer.body}`);
    return (JSON.parse(answer.body) as { id: string }).id;
  };
  const treasury = await open(true);
  const accounts = await inParallel(options.count, () => open(false));
  const fundingIds = await inParallel(accounts.length, async (i) => {
    const answer = await transfers.post(
      '/v1/transfers',
      {
        fromAccountId: treasury,
        toAccountId: accounts[i]!,
        amount: options.fundingMinor.toString(),
        currency: options.currency,
        reference: 'bench funding',
      },
      { 'idempotency-key': `bench-fund-${accounts[i]!}` },
    );
    if (answer.status !== 202)
      throw new Error(`funding an account answered ${answer.status}: ${answer.body}`);
    return (JSON.parse(answer.body) as { id: string }).id;
  });
  const funded = await db.waitSettled(fundingIds, options.settleTimeoutMs);
  if (funded.completed !== fundingIds.length)
    throw new Error(
      `funding the accounts: ${funded.completed} of ${fundingIds.length} transfers COMPLETED ` +
        `(${funded.failed} FAILED, ${funded.unsettled} still PENDING after ${options.settleTimeoutMs} ms)`,
    );
  return { treasury, accounts, fundingIds };
}

/** Runs task(0..count-1) with at most SETUP_CONCURRENCY at once; results in index order. */
async function inParallel<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, count) }, worker));
  return results;
}
