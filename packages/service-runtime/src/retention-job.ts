// Keeps the bookkeeping tables bounded: processed-message ids past their retention, SENT outbox rows
// past theirs, and whatever a service adds (transfer-service: expired idempotency keys). It runs often
// (RETENTION_INTERVAL_MS, 10 s by default) and each run deletes, table by table, in short DELETEs of
// RETENTION_BOUNDS.batchSize rows, each its own transaction, until the table holds nothing expired or
// its RETENTION_BUDGET_MS is spent: at full load it sheds many times what the services write, and a
// backlog is worked off within a few runs (docs/adr/0010-retention-batched-deletes-under-a-time-budget.md).
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { performance } from 'node:perf_hooks';
import {
  MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  purgeAbsorbedDuplicates,
  purgeProcessedMessages,
} from '@oncepay/dedup';
import { executorOfPrisma, type BatchBounds, type PrismaRawSql, type SqlExecutor } from '@oncepay/sql';
import { purgeSentOutboxMessages } from '@oncepay/messaging';
import type { MessagingOptions } from './messaging-runtime';
import { MESSAGING_OPTIONS, PRISMA, RETENTION_TASKS } from './tokens';
import { RETENTION_BOUNDS } from './retention-bounds';

/** A service's own cleanup, run with the built-in ones within `bounds`; returns how many rows it deleted. */
export interface RetentionTask {
  name: string;
  run(db: SqlExecutor, now: Date, bounds: BatchBounds, windows: RetentionWindows): Promise<number>;
}

const HOUR_MS = 3_600_000;

/** How long each kind of row is kept, in ms. */
export interface RetentionWindows {
  processedMessages: number;
  outboxSent: number;
  idempotencyKeys: number;
}

/** The windows the environment sets: the hours variables, or SOAK_RETENTION_SECONDS for all three. */
export function retentionWindows(config: Pick<ConfigService, 'get' | 'getOrThrow'>): RetentionWindows {
  const soakSeconds = config.get<number>('SOAK_RETENTION_SECONDS');
  if (soakSeconds !== undefined) {
    const ms = soakSeconds * 1000;
    return { processedMessages: ms, outboxSent: ms, idempotencyKeys: ms };
  }
  return {
    processedMessages: config.getOrThrow<number>('PROCESSED_MESSAGES_RETENTION_HOURS') * HOUR_MS,
    outboxSent: config.getOrThrow<number>('OUTBOX_SENT_RETENTION_HOURS') * HOUR_MS,
    idempotencyKeys: MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  };
}

@Injectable()
export class RetentionJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionJob.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly db: SqlExecutor;

  constructor(
    @Inject(PRISMA) prisma: PrismaRawSql,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly config: ConfigService,
    @Optional() @Inject(RETENTION_TASKS) private readonly tasks: RetentionTask[] = [],
  ) {
    this.db = executorOfPrisma(prisma);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.runPass()
        .catch((error: unknown) =>
          this.logger.warn({ message: 'retention run failed', error: String(error) }),
        )
        .finally(() => (this.running = null));
    }, this.config.getOrThrow<number>('RETENTION_INTERVAL_MS'));
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every table, each within its time budget; returns rows deleted per table. */
  async runPass(now = new Date()): Promise<Record<string, number>> {
    const started = performance.now();
    const windows = retentionWindows(this.config);
    const bounds: BatchBounds = {
      ...RETENTION_BOUNDS,
      budgetMs: this.config.getOrThrow<number>('RETENTION_BUDGET_MS'),
    };
    const before = (windowMs: number) => new Date(now.getTime() - windowMs);
    const deleted: Record<string, number> = {
      processed_messages: await purgeProcessedMessages(this.db, {
        olderThan: before(windows.processedMessages),
        ...bounds,
      }),
      // The transfer trail's duplicates go with the records that absorbed them.
      absorbed_duplicates: await purgeAbsorbedDuplicates(this.db, {
        olderThan: before(windows.processedMessages),
        ...bounds,
      }),
    };
    if (this.options.outbox) {
      deleted.outbox_messages = await purgeSentOutboxMessages(this.db, {
        olderThan: before(windows.outboxSent),
        ...bounds,
      });
    }
    for (const task of this.tasks) deleted[task.name] = await task.run(this.db, now, bounds, windows);
    if (Object.values(deleted).some((count) => count > 0))
      this.logger.log({
        message: 'retention run',
        deleted,
        elapsedMs: Math.round(performance.now() - started),
      });
    return deleted;
  }
}
