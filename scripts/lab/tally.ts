// Counts what went wrong in one mode's run, from what its databases hold after the run, against the
// plan: every requested transfer should be posted exactly once and notified exactly once, and every
// balance should end where the plan says. Pure, and money stays bigint throughout.
import { expectedBalances, type LabPlan } from './plan';

/** What the lab reads back after a run (see lab-database.ts). */
export interface Observations {
  /** Rows in `postings` per transfer id; transfers never posted are absent. */
  postingsPerTransfer: Map<string, number>;
  /** Rows in `notifications` per transfer id. */
  notificationsPerTransfer: Map<string, number>;
  /** `accounts.balance_minor` per account id. */
  balances: Map<string, bigint>;
  /** Messages read back (read_committed) with an id already read on the same topic, per topic. */
  topicDuplicates: { requests: number; answers: number };
}

export interface Tally {
  requested: number;
  /** Requested, never posted. */
  lost: number;
  /** Posted more than once. */
  postedTwice: number;
  /** Notified more than once. */
  notificationsDuplicated: number;
  /** Posted, never notified. */
  notificationsMissing: number;
  /** Sum over accounts of |actual balance - expected balance|, in minor units. */
  balanceDriftMinor: bigint;
  /**
   * Requests on the requests topic a second time (a producer retry appended again). Apart from the
   * answers so a mode whose consumers lack dedup still shows what its producer alone did.
   */
  requestsOnTopicTwice: number;
  /** Answers on the answers topic a second time (a ledger republished after a redelivery). */
  answersOnTopicTwice: number;
}

export function tally(plan: LabPlan, observed: Observations): Tally {
  const requested = new Set(plan.transfers.map((transfer) => transfer.transferId));
  for (const [kind, rows] of [
    ['posting', observed.postingsPerTransfer],
    ['notification', observed.notificationsPerTransfer],
  ] as const) {
    for (const transferId of rows.keys())
      if (!requested.has(transferId))
        throw new Error(`a ${kind} for transfer ${transferId}, which the lab never requested`);
  }
  let lost = 0;
  let postedTwice = 0;
  let notificationsDuplicated = 0;
  let notificationsMissing = 0;
  for (const transferId of requested) {
    const postings = observed.postingsPerTransfer.get(transferId) ?? 0;
    const notifications = observed.notificationsPerTransfer.get(transferId) ?? 0;
    if (postings === 0) lost += 1;
    if (postings > 1) postedTwice += 1;
    if (notifications > 1) notificationsDuplicated += 1;
    if (postings > 0 && notifications === 0) notificationsMissing += 1;
  }
  let balanceDriftMinor = 0n;
  for (const [accountId, expected] of expectedBalances(plan)) {
    const actual = observed.balances.get(accountId);
    if (actual === undefined) throw new Error(`account ${accountId} has no balance`);
    balanceDriftMinor += actual > expected ? actual - expected : expected - actual;
  }
  return {
    requested: requested.size,
    lost,
    postedTwice,
    notificationsDuplicated,
    notificationsMissing,
    balanceDriftMinor,
    requestsOnTopicTwice: observed.topicDuplicates.requests,
    answersOnTopicTwice: observed.topicDuplicates.answers,
  };
}

/**
 * True when nothing was lost, repeated or misbooked, and no message reached a topic twice: what
 * effectively-once promises (its answers leave through the outbox, its requests through the
 * idempotent producer).
 */
export function isClean(result: Tally): boolean {
  return (
    result.lost === 0 &&
    result.postedTwice === 0 &&
    result.notificationsDuplicated === 0 &&
    result.notificationsMissing === 0 &&
    result.balanceDriftMinor === 0n &&
    result.requestsOnTopicTwice === 0 &&
    result.answersOnTopicTwice === 0
  );
}
