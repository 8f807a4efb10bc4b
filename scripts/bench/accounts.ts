// The benchmark's accounts, set up through the public APIs like any client's: a treasury of its own
// (the one account allowed below zero, so the benchmark runs as an operator), then `count` accounts
// funded from it by real transfers. With
// many accounts the load's random pairs spread over many rows, so transfers do not queue on one lock.
import type { LedgerClient, RequestTransfer, TransferClient } from '@oncepay/client';
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
  ledger: LedgerClient,
  transfers: TransferClient,
  db: TransferDb,
  options: {
    count: number;
    currency: RequestTransfer['currency'];
    fundingMinor: bigint;
    settleTimeoutMs: number;
  },
): Promise<BenchAccounts> {
  const open = async (allowNegativeBalance: boolean): Promise<string> => {
    const { data, error, response } = await ledger.POST('/v1/accounts', {
      body: { currency: options.currency, allowNegativeBalance },
    });
    if (!data || response.status !== 201)
      throw new Error(`opening an account answered ${response.status}: ${JSON.stringify(error)}`);
    return data.id;
  };
  const treasury = await open(true);
  const accounts = await inParallel(options.count, () => open(false));
  const fundingIds = await inParallel(accounts.length, async (i) => {
    const { data, error, response } = await transfers.POST('/v1/transfers', {
      params: { header: { 'Idempotency-Key': `bench-fund-${accounts[i]!}` } },
      body: {
        fromAccountId: treasury,
        toAccountId: accounts[i]!,
        amount: options.fundingMinor.toString(),
        currency: options.currency,
        reference: 'bench funding',
      },
    });
    if (!data || response.status !== 202)
      throw new Error(`funding an account answered ${response.status}: ${JSON.stringify(error)}`);
    return data.id;
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
