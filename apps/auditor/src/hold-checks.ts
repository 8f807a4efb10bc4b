// The invariants of holds (two-phase transfers): what a hold reserves, how it ends, and that the ledger
// and the transfer-service agree on it. Like checks.ts: pure PagedChecks over pages of TransferStories
// or of accounts, keeping counters and a bounded CheckCollector, amounts compared as bigint.
//
// A hold lives in two places: the transfer-service's transfer (status HELD, CAPTURING, ... with
// `hold_expires_at` and, once captured, `capture_amount_minor`) and the ledger's `holds` row (ACTIVE,
// then CAPTURED or RELEASED), with the payer's `held_minor` carrying every ACTIVE hold. The ledger's
// snapshot is taken before the transfers' (auditor.ts' readDatabases), so the ledger may lag the
// transfer by an in-flight step, never lead it.
import { assertNever } from '@oncepay/contracts';
import { CheckCollector, type PagedCheck } from './check-result';
import {
  CHECK_NAMES,
  entryIds,
  foreignCurrencies,
  formatDuration,
  HOLD_IN_PROGRESS_STATUSES,
  isHold,
  isTerminal,
  type TransferCheck,
} from './checks';
import type { AccountRow, HoldRow, TransferRow } from './snapshots';
import type { TransferStory } from './transfer-stories';

/**
 * Holds never make an available balance negative unless the account allows it, each account's
 * `held_minor` is exactly the sum of its ACTIVE holds (never below zero), and every hold it placed,
 * whatever became of it, is in its currency (a voided one never reaches the journal's own check). A negative posted balance
 * with nothing held is balances-match-journal's to report; this check speaks when holds are involved.
 */
export function holdsWithinBalances(): PagedCheck<AccountRow[]> {
  const found = new CheckCollector();
  let accounts = 0;
  let holding = 0;
  return {
    name: CHECK_NAMES.holdsWithinBalances,
    consume(page) {
      for (const account of page) {
        accounts += 1;
        const held = BigInt(account.heldMinor);
        if (held !== 0n) holding += 1;
        const name = `account ${account.id} (${account.currency})`;
        if (held < 0n) found.violation(`${name} holds ${account.heldMinor}, below zero`);
        if (held !== BigInt(account.activeHoldsSumMinor))
          found.violation(
            `${name} holds ${account.heldMinor}, its ACTIVE holds sum to ${account.activeHoldsSumMinor}`,
          );
        const foreign = foreignCurrencies(account, account.holdCurrencyFirst, account.holdCurrencyLast);
        if (foreign !== null) found.violation(`${name} has holds in another currency (${foreign})`);
        const available = BigInt(account.balanceMinor) - held;
        if (held > 0n && available < 0n && !account.allowNegativeBalance)
          found.violation(
            `${name} has available balance ${available} (balance ${account.balanceMinor}, held ${account.heldMinor}) but does not allow a negative one`,
          );
      }
    },
    result() {
      return found.result(
        CHECK_NAMES.holdsWithinBalances,
        `${accounts} accounts (${holding} holding money) against their ACTIVE holds and available balances`,
      );
    },
  };
}

/**
 * Captured plus released equals held, in the ledger: a CAPTURED hold posted exactly one DEBIT of its
 * payer and one CREDIT of its payee, each of its captured amount (at most the hold), in its currency,
 * under its transfer id; an ACTIVE or RELEASED hold posted nothing. A hold is placed with a HELD
 * decision in one transaction: a HELD decision without a hold, or a hold without one, is a violation.
 */
export function holdsSettleExactly(): TransferCheck {
  const found = new CheckCollector();
  const byStatus: Record<HoldRow['status'], number> = { ACTIVE: 0, CAPTURED: 0, RELEASED: 0 };
  let heldDecisions = 0;
  return {
    name: CHECK_NAMES.holdsSettleExactly,
    consume(page) {
      for (const { transferId, decisions, holds, entries } of page) {
        const heldDecision = decisions.some((decision) => decision.outcome === 'HELD');
        if (heldDecision) heldDecisions += 1;
        const [hold] = holds;
        if (hold === undefined) {
          if (heldDecision)
            found.violation(`the ledger decided HELD for transfer ${transferId} but holds nothing for it`);
          continue;
        }
        byStatus[hold.status] += 1;
        const line = `hold ${transferId} ${hold.status}`;
        if (!heldDecision)
          found.violation(
            `${line} without a HELD decision (the ledger has ${decisions.map((d) => d.outcome).join(', ') || 'none'})`,
          );
        if (hold.status !== 'CAPTURED') {
          if (entries.length > 0)
            found.violation(
              `${line} posted nothing, yet has ${entries.length} journal entries (${entryIds(entries)})`,
            );
          continue;
        }
        const problems = captureProblems(hold, entries);
        if (problems.length > 0) found.violation(`${line}: ${problems.join('; ')}`);
      }
    },
    result() {
      return found.result(
        CHECK_NAMES.holdsSettleExactly,
        `${byStatus.ACTIVE + byStatus.CAPTURED + byStatus.RELEASED} holds (${byStatus.ACTIVE} ACTIVE, ` +
          `${byStatus.CAPTURED} CAPTURED, ${byStatus.RELEASED} RELEASED) against ${heldDecisions} HELD decisions and their postings`,
      );
    },
  };
}

/** What is wrong with a CAPTURED hold's entries as its capture; empty when they are exactly its pair. */
function captureProblems(hold: HoldRow, entries: TransferStory['entries']): string[] {
  const problems: string[] = [];
  const captured = hold.capturedMinor === null ? undefined : BigInt(hold.capturedMinor);
  if (captured === undefined || captured < 1n || captured > BigInt(hold.amountMinor))
    problems.push(`captured ${String(hold.capturedMinor)} of a hold of ${hold.amountMinor}`);
  const debits = entries.filter((entry) => entry.direction === 'DEBIT');
  const credits = entries.filter((entry) => entry.direction === 'CREDIT');
  if (debits.length !== 1 || credits.length !== 1)
    problems.push(
      `expected one DEBIT and one CREDIT, found ${debits.length} DEBIT and ${credits.length} CREDIT${entries.length > 0 ? ` (${entryIds(entries)})` : ''}`,
    );
  const expectedAccount = { DEBIT: hold.accountId, CREDIT: hold.toAccountId } as const;
  for (const entry of entries) {
    if (entry.accountId !== expectedAccount[entry.direction])
      problems.push(
        `${entry.direction} #${entry.id} is on account ${entry.accountId}, not the hold's ${entry.direction === 'DEBIT' ? 'payer' : 'payee'}`,
      );
    if (captured !== undefined && BigInt(entry.amountMinor) !== captured)
      problems.push(
        `${entry.direction} #${entry.id} is of ${entry.amountMinor}, the capture of ${hold.capturedMinor}`,
      );
    if (entry.currency.trim() !== hold.currency.trim())
      problems.push(`${entry.direction} #${entry.id} is in ${entry.currency}, the hold in ${hold.currency}`);
  }
  return problems;
}

/**
 * The ledger's hold agrees with the transfer-service's: the same payer, payee, amount, currency and
 * expiry, and a state the transfer's status allows, given that the ledger may lag one step:
 * - PENDING: no hold yet, or ACTIVE (placed, the answer in flight); FAILED: none;
 * - HELD: ACTIVE; CAPTURING: ACTIVE or CAPTURED of the capture amount; VOIDING: ACTIVE or RELEASED by
 *   VOID; EXPIRING: ACTIVE or RELEASED by EXPIRY. Missing while the transfer changed status less than
 *   the grace ago is in flight (the ledger's snapshot predates the placement), older is missing;
 * - CAPTURED ⇔ CAPTURED of the same amount; VOIDED ⇔ RELEASED by VOID; EXPIRED ⇔ RELEASED by EXPIRY.
 * A hold of a transfer that is no hold, or that the transfer-service does not know, is a violation.
 */
export function holdsMatchTransfers(now: Date, graceMs: number): TransferCheck {
  const found = new CheckCollector();
  let holdTransfers = 0;
  let holds = 0;
  return {
    name: CHECK_NAMES.holdsMatchTransfers,
    consume(page) {
      for (const { transferId, transfer, holds: own } of page) {
        holds += own.length;
        const [hold] = own;
        if (transfer === undefined) {
          if (hold !== undefined)
            found.violation(
              `the ledger holds ${hold.amountMinor} ${hold.currency} (${hold.status}) for transfer ${transferId}, which the transfer-service does not know`,
            );
          continue;
        }
        if (!isHold(transfer)) {
          if (hold !== undefined)
            found.violation(
              `transfer ${transfer.id} ${transfer.status} is no hold, yet the ledger holds ${hold.amountMinor} ${hold.currency} (${hold.status}) for it`,
            );
          continue;
        }
        holdTransfers += 1;
        if (hold !== undefined) {
          const mismatches = factMismatches(transfer, hold);
          if (mismatches.length > 0)
            found.violation(`hold ${transfer.id}: the ledger's ${mismatches.join('; ')}`);
        }
        const seen = judgeHold(transfer, hold, now, graceMs);
        if (seen?.kind === 'violation') found.violation(seen.line);
        else if (seen?.kind === 'note') found.note(seen.line);
      }
    },
    result() {
      return found.result(
        CHECK_NAMES.holdsMatchTransfers,
        `${holds} ledger holds checked against ${holdTransfers} hold transfers`,
      );
    },
  };
}

function factMismatches(transfer: TransferRow, hold: HoldRow): string[] {
  const mismatches: string[] = [];
  const compare = (what: string, ledger: string, transfers: string) => {
    if (ledger !== transfers) mismatches.push(`${what} is ${ledger}, the transfer's ${transfers}`);
  };
  compare('payer', hold.accountId, transfer.fromAccountId);
  compare('payee', hold.toAccountId, transfer.toAccountId);
  compare('amount', BigInt(hold.amountMinor).toString(), BigInt(transfer.amountMinor).toString());
  compare('currency', hold.currency.trim(), transfer.currency.trim());
  compare('expiry', hold.expiresAt.toISOString(), transfer.holdExpiresAt?.toISOString() ?? 'none');
  return mismatches;
}

function judgeHold(
  transfer: TransferRow,
  hold: HoldRow | undefined,
  now: Date,
  graceMs: number,
): { kind: 'violation' | 'note'; line: string } | undefined {
  const status = transfer.status;
  const ledger = hold === undefined ? 'no hold' : describeHold(hold);
  const line = `hold ${transfer.id} ${status}${status === 'CAPTURING' || status === 'CAPTURED' ? ` ${String(transfer.captureAmountMinor)}` : ''} but the ledger has ${ledger}`;
  const violation = { kind: 'violation', line } as const;
  const capturedAsAsked =
    hold?.status === 'CAPTURED' &&
    hold.capturedMinor !== null &&
    transfer.captureAmountMinor !== null &&
    BigInt(hold.capturedMinor) === BigInt(transfer.captureAmountMinor);
  const releasedBy = (release: HoldRow['release']) => hold?.status === 'RELEASED' && hold.release === release;
  switch (status) {
    case 'PENDING':
      return hold === undefined || hold.status === 'ACTIVE' ? undefined : violation;
    case 'FAILED':
    case 'COMPLETED':
      // A hold COMPLETES never (its trigger refuses it): say so even without a ledger row.
      return hold === undefined && status === 'FAILED' ? undefined : violation;
    case 'HELD':
    case 'CAPTURING':
    case 'VOIDING':
    case 'EXPIRING': {
      if (hold === undefined) {
        // Placed before the transfer became HELD, so before updatedAt: an older one is really missing.
        const sinceMs = now.getTime() - transfer.updatedAt.getTime();
        return sinceMs > graceMs
          ? {
              kind: 'violation',
              line: `${line}, ${formatDuration(sinceMs)} after the transfer changed status`,
            }
          : { kind: 'note', line: `${line} in its snapshot yet: placed a moment ago` };
      }
      if (hold.status === 'ACTIVE') return undefined;
      const endedAsDecided =
        (status === 'CAPTURING' && capturedAsAsked) ||
        (status === 'VOIDING' && releasedBy('VOID')) ||
        (status === 'EXPIRING' && releasedBy('EXPIRY'));
      return endedAsDecided ? undefined : violation;
    }
    case 'CAPTURED':
      return capturedAsAsked ? undefined : violation;
    case 'VOIDED':
      return releasedBy('VOID') ? undefined : violation;
    case 'EXPIRED':
      return releasedBy('EXPIRY') ? undefined : violation;
    default:
      return assertNever(status);
  }
}

function describeHold(hold: HoldRow): string {
  switch (hold.status) {
    case 'ACTIVE':
      return `it ACTIVE`;
    case 'CAPTURED':
      return `it CAPTURED ${String(hold.capturedMinor)}`;
    case 'RELEASED':
      return `it RELEASED by ${String(hold.release)}`;
    default:
      return assertNever(hold.status);
  }
}

/**
 * Every hold ends. Its expiry is the transfer-service's to act on: the expiry job releases a hold once
 * `now >= holdExpiresAt`, and a capture or a void decided before then is carried out within seconds. So,
 * past the hold grace (`--hold-grace-ms`, long enough for a running system's in-flight steps):
 * - no transfer is HELD, CAPTURING, VOIDING or EXPIRING whose expiry is older than the grace;
 * - none is CAPTURING, VOIDING or EXPIRING for longer than the grace (the ledger never carried it out);
 * - no ledger hold is ACTIVE whose expiry is older than the grace.
 * Within the grace they are notes. One line per hold, naming every side that is stuck.
 */
export function holdsEnd(now: Date, holdGraceMs: number): TransferCheck {
  const found = new CheckCollector();
  let underWay = 0;
  let active = 0;
  return {
    name: CHECK_NAMES.holdsEnd,
    consume(page) {
      for (const { transferId, transfer, holds } of page) {
        const stuck: string[] = [];
        const late: string[] = [];
        const sort = (ageMs: number, what: string) => (ageMs > holdGraceMs ? stuck : late).push(what);
        if (transfer !== undefined && HOLD_IN_PROGRESS_STATUSES.includes(transfer.status)) {
          underWay += 1;
          const expiresAt = transfer.holdExpiresAt;
          if (expiresAt !== null && now.getTime() >= expiresAt.getTime())
            sort(
              now.getTime() - expiresAt.getTime(),
              `the transfer is ${transfer.status} ${formatDuration(now.getTime() - expiresAt.getTime())} after its expiry`,
            );
          if (transfer.status !== 'HELD') {
            const sinceMs = now.getTime() - transfer.updatedAt.getTime();
            sort(sinceMs, `the transfer has been ${transfer.status} for ${formatDuration(sinceMs)}`);
          }
        }
        for (const hold of holds) {
          if (hold.status !== 'ACTIVE') continue;
          active += 1;
          const pastMs = now.getTime() - hold.expiresAt.getTime();
          if (pastMs >= 0)
            sort(pastMs, `the ledger's hold is ACTIVE ${formatDuration(pastMs)} after its expiry`);
        }
        const prefix = `hold ${transferId}${transfer !== undefined && isTerminal(transfer.status) ? ` (${transfer.status})` : ''}`;
        if (stuck.length > 0)
          found.violation(
            `${prefix}: ${[...stuck, ...late].join('; ')}, past the ${formatDuration(holdGraceMs)} grace`,
          );
        else if (late.length > 0) found.note(`${prefix}: ${late.join('; ')}, within the grace`);
      }
    },
    result() {
      const summary =
        `${underWay} hold transfers under way, ${active} ledger holds ACTIVE; ` +
        (found.violationCount > 0
          ? `${found.violationCount} stuck past the ${formatDuration(holdGraceMs)} grace`
          : `none stuck past the ${formatDuration(holdGraceMs)} grace`);
      return found.result(CHECK_NAMES.holdsEnd, summary);
    },
  };
}
