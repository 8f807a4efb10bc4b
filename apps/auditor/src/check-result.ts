// What one audit check answers, and the bounded lists it collects into: a broken database can hold
// millions of bad rows; the report names the first few and counts the rest.

/** How many violations (and notes) a check lists line by line; the rest are only counted. */
export const MAX_LISTED_LINES = 20;

export interface CheckResult {
  /** Stable kebab-case identifier, e.g. `balances-sum-to-zero`: tests and scripts match on it. */
  name: string;
  /** True when the check found no violation (also true when it was skipped). */
  ok: boolean;
  /** True when the check could not run for want of input (no Kafka brokers given). */
  skipped: boolean;
  /** One line on what was checked and found, violation or not. */
  summary: string;
  /** The first MAX_LISTED_LINES violations, each a self-contained line. */
  violations: string[];
  /** Every violation found, listed or not. */
  violationCount: number;
  /** What is not a violation but worth a look (a transfer still PENDING within the grace), bounded too. */
  notes: string[];
}

/** Collects violations and notes up to the bound and counts the violations past it. */
export class CheckCollector {
  private readonly listedViolations: string[] = [];
  private readonly listedNotes: string[] = [];
  private violationsCounted = 0;
  private notesCounted = 0;

  violation(line: string): void {
    this.violationsCounted += 1;
    if (this.listedViolations.length < MAX_LISTED_LINES) this.listedViolations.push(line);
  }

  note(line: string): void {
    this.notesCounted += 1;
    if (this.listedNotes.length < MAX_LISTED_LINES) this.listedNotes.push(line);
  }

  get violationCount(): number {
    return this.violationsCounted;
  }

  /** The check's result: ok exactly when no violation was collected. */
  result(name: string, summary: string): CheckResult {
    const unlistedNotes = this.notesCounted - this.listedNotes.length;
    return {
      name,
      ok: this.violationsCounted === 0,
      skipped: false,
      summary,
      violations: [...this.listedViolations],
      violationCount: this.violationsCounted,
      notes:
        unlistedNotes > 0 ? [...this.listedNotes, `... and ${unlistedNotes} more`] : [...this.listedNotes],
    };
  }
}

/**
 * A check that sees its rows a page at a time and keeps only bounded state between pages (counters and
 * a CheckCollector), so it runs in the same memory over a thousand rows or a billion.
 */
export interface PagedCheck<Page> {
  readonly name: string;
  consume(page: Page): void;
  /** The verdict over every page consumed. */
  result(): CheckResult;
}

export function skippedCheck(name: string, summary: string): CheckResult {
  return { name, ok: true, skipped: true, summary, violations: [], violationCount: 0, notes: [] };
}
