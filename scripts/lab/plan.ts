// What one lab run does, derived from its seed alone: the accounts, the transfers requested between
// them and the fault schedule. The same plan is run in every mode, so the modes differ only in how
// their consumers treat offsets and duplicates. Pure: no I/O, no clock.
import { CRASH_POINTS, type CrashPoint } from './modes';
import { seededRandom, type Random } from './random';

/** The two consumers of the lab pipeline: the ledger posts transfers, the notifier notifies each outcome. */
export const LAB_ROLES = ['ledger', 'notifier'] as const;
export type LabRole = (typeof LAB_ROLES)[number];

export const LAB_CURRENCY = 'EUR';
const ACCOUNT_COUNT = 4;
const OPENING_BALANCE_MINOR = 1_000_000n;
const MAX_AMOUNT_MINOR = 100_000;

export interface LabAccount {
  id: string;
  name: string;
  openingBalanceMinor: bigint;
}

export interface LabTransfer {
  /** Position in the order the requests are published, from 0. */
  index: number;
  transferId: string;
  /** The TransferRequested envelope's id: what a deduplicating consumer remembers. */
  eventId: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
}

/** "Kill the `role` consumer at `point` of the first delivery of transfer `transferIndex`'s message." */
export interface Fault {
  id: string;
  role: LabRole;
  transferIndex: number;
  point: CrashPoint;
}

/**
 * "The broker appends request batch `batch`, and its acknowledgement never reaches the producer": the
 * connection drops after the Produce request is written and before its response is read, so the
 * producer sends the batch again. Only a producer without idempotence gets it appended twice.
 */
export interface AckLoss {
  id: string;
  /** Which send of the requests, from 0; send `b` carries transfers b * REQUEST_BATCH_SIZE onwards. */
  batch: number;
}

/** The requests are published this many per send, so an acknowledgement lost repeats a batch this big. */
export const REQUEST_BATCH_SIZE = 10;

export interface LabPlan {
  seed: number;
  crashesPerPoint: number;
  accounts: LabAccount[];
  transfers: LabTransfer[];
  /** Sorted by role, then transfer index. */
  faults: Fault[];
  /** Lost acknowledgements of the request producer, sorted by batch. */
  ackLosses: AckLoss[];
  /** The rebalance fault; null when the plan has no crashes, or no transfer left for it. */
  rebalance: Rebalance | null;
}

/**
 * "When the ledger has posted transfer `transferIndex` and not yet committed its offset, a second
 * ledger process joins the group, takes the partitions over, and leaves again": the partitions move
 * twice mid-run, and the message in hand is read again by whoever owns its partition next.
 */
export interface Rebalance {
  id: string;
  transferIndex: number;
}

export interface PlanOptions {
  seed: number;
  transfers: number;
  /** Crashes per consumer at each crash point: 2 means 4 crashes of the ledger and 4 of the notifier. */
  crashesPerPoint: number;
}

export function planLab(options: PlanOptions): LabPlan {
  const { seed, transfers: count, crashesPerPoint } = options;
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`transfers must be at least 1, got ${count}`);
  if (!Number.isSafeInteger(crashesPerPoint) || crashesPerPoint < 0)
    throw new RangeError(`crashes per point must be a non-negative integer, got ${crashesPerPoint}`);
  if (crashesPerPoint * CRASH_POINTS.length > count)
    throw new RangeError(
      `${crashesPerPoint * CRASH_POINTS.length} crashes per consumer need at least as many transfers, got ${count}`,
    );
  const random = seededRandom(seed);
  const accounts = Array.from({ length: ACCOUNT_COUNT }, (_, i) => ({
    id: random.uuid(),
    name: `account-${i + 1}`,
    openingBalanceMinor: OPENING_BALANCE_MINOR,
  }));
  const transfers = Array.from({ length: count }, (_, index) => {
    const from = random.int(0, ACCOUNT_COUNT - 1);
    // Any other account: a transfer to itself would move nothing and hide a drift.
    const to = (from + random.int(1, ACCOUNT_COUNT - 1)) % ACCOUNT_COUNT;
    return {
      index,
      transferId: random.uuid(),
      eventId: random.uuid(),
      fromAccountId: accountAt(accounts, from).id,
      toAccountId: accountAt(accounts, to).id,
      amountMinor: BigInt(random.int(1, MAX_AMOUNT_MINOR)),
    };
  });
  const faults = LAB_ROLES.flatMap((role) => scheduleFaults(random, role, count, crashesPerPoint));
  // Drawn after everything above, so adding them left the transfers and crashes of every seed as they were.
  const batches = Math.ceil(count / REQUEST_BATCH_SIZE);
  const ackLosses = distinctIndices(random, batches, Math.min(crashesPerPoint, batches))
    .sort((a, b) => a - b)
    .map((batch) => ({ id: `requests-ack-lost@batch-${batch}`, batch }));
  return {
    seed,
    crashesPerPoint,
    accounts,
    transfers,
    faults,
    ackLosses,
    rebalance: planRebalance(random, faults, count, crashesPerPoint),
  };
}

/**
 * Every crash point gets the same number of crashes, at distinct transfers, so every seed exercises
 * both windows of every consumer: one before its effect, one after it.
 */
function scheduleFaults(random: Random, role: LabRole, transfers: number, perPoint: number): Fault[] {
  const indices = distinctIndices(random, transfers, perPoint * CRASH_POINTS.length);
  return CRASH_POINTS.flatMap((point, p) =>
    indices.slice(p * perPoint, (p + 1) * perPoint).map((transferIndex) => ({
      id: `${role}-${point}@${transferIndex}`,
      role,
      transferIndex,
      point,
    })),
  ).sort((a, b) => a.transferIndex - b.transferIndex);
}

/** At a transfer none of the ledger's crashes waits for, so the two faults never meet in one delivery. */
function planRebalance(
  random: Random,
  faults: Fault[],
  transfers: number,
  perPoint: number,
): Rebalance | null {
  if (perPoint === 0) return null;
  const taken = new Set(
    faults.filter((fault) => fault.role === 'ledger').map((fault) => fault.transferIndex),
  );
  const free = Array.from({ length: transfers }, (_, i) => i).filter((i) => !taken.has(i));
  if (free.length === 0) return null;
  const transferIndex = free[random.int(0, free.length - 1)] as number;
  return { id: `ledger-rebalance@${transferIndex}`, transferIndex };
}

/** `k` distinct integers from [0, n), by a partial Fisher-Yates shuffle. */
function distinctIndices(random: Random, n: number, k: number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = random.int(i, n - 1);
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  return pool.slice(0, k);
}

function accountAt(accounts: LabAccount[], index: number): LabAccount {
  const account = accounts[index];
  if (!account) throw new RangeError(`no account at ${index}`);
  return account;
}

/** The balances if every transfer were posted exactly once (the lab's ledger never refuses one). */
export function expectedBalances(plan: LabPlan): Map<string, bigint> {
  const balances = new Map(plan.accounts.map((account) => [account.id, account.openingBalanceMinor]));
  for (const transfer of plan.transfers) {
    balances.set(transfer.fromAccountId, (balances.get(transfer.fromAccountId) ?? 0n) - transfer.amountMinor);
    balances.set(transfer.toAccountId, (balances.get(transfer.toAccountId) ?? 0n) + transfer.amountMinor);
  }
  return balances;
}

/** The transfer id each fault waits for: what a consumer sees in a message, instead of the index. */
export function transferIdOf(plan: LabPlan, fault: Fault | Rebalance): string {
  const transfer = plan.transfers[fault.transferIndex];
  if (!transfer) throw new RangeError(`fault ${fault.id} names no transfer`);
  return transfer.transferId;
}
