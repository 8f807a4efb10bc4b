// The rebalance fault, driven from outside the ledger: the ledger stops at the planned message with
// its effect applied and its offset not committed (the `rebalance-point` report); a second ledger
// process joins the group and, the first one being silent, takes every partition; then the first one
// resumes, finds its commit refused (it is no longer a member) and rejoins, and the second one leaves
// after it handled one message. Partitions move twice, and the uncommitted message is read again by
// whoever owns its partition next: a duplicate for a consumer without dedup.
import type { WorkerReport } from './worker-config';
import type { WorkerProcess } from './worker-process';

export class RebalanceFault {
  private ledger: WorkerProcess | null = null;
  private joiner: WorkerProcess | null = null;
  private leaving: Promise<void> | null = null;
  /** The fault's id once the second member joined. */
  readonly happened: string[] = [];

  constructor(
    private readonly faultId: string | null,
    private readonly log: (line: string) => void,
  ) {}

  /** The ledger reached the planned message: `joiner` is the second member, already starting. */
  begin(ledger: WorkerProcess, joiner: WorkerProcess): void {
    this.ledger = ledger;
    this.joiner = joiner;
    this.log(`${this.faultId}: the ledger holds the message uncommitted; a second ledger joins its group`);
  }

  onJoinerReport(report: WorkerReport): void {
    if (report.type === 'ready' && this.happened.length === 0 && this.faultId) {
      this.happened.push(this.faultId);
      this.ledger?.send({ type: 'resume' });
    }
    if (report.type === 'handled-one' && !this.leaving && this.joiner) {
      this.log('the second ledger handled a message and leaves the group');
      this.leaving = this.joiner.stop();
    }
  }

  /** Waits for the second member to be gone (stopping it now if it never handled a message). */
  async end(): Promise<void> {
    if (!this.joiner) return;
    await (this.leaving ?? this.joiner.stop());
  }
}
