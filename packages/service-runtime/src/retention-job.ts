// Keeps the bookkeeping tables bounded: processed-message ids past their retention, SENT outbox rows
// past theirs, and whatever a service adds (transfer-service: expired idempotency keys). Each run
// deletes in bounded batches, so a large backlog is worked off over several runs, never in one lock.
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { purgeProcessedMessages } from '@oncepay/dedup';
import { executorOfPrisma, type PrismaRawSql, type SqlExecutor } from '@oncepay/sql';
import { purgeSentOutboxMessages } from '@oncepay/messaging';
import type { MessagingOptions } from './messaging-runtime';
import { MESSAGING_OPTIONS, PRISMA, RETENTION_TASKS } from './tokens';

/** A service's own cleanup, run with the built-in ones; returns how many rows it deleted. */
export interface RetentionTask {
  name: string;
  run(db: SqlExecutor, now: Date): Promise<number>;
}

const HOUR_MS = 3_600_000;
/** Per table and run: at most 10 statements of 1,000 rows. */
export const RETENTION_BOUNDS = { batchSize: 1_000, maxBatches: 10 } as const;

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

  /** One bounded pass over every table; returns rows deleted per table. */
  async runPass(now = new Date()): Promise<Record<string, number>> {
    const hoursAgo = (key: string) => new Date(now.getTime() - this.config.getOrThrow<number>(key) * HOUR_MS);
    const deleted: Record<string, number> = {
      processed_messages: await purgeProcessedMessages(this.db, {
        olderThan: hoursAgo('PROCESSED_MESSAGES_RETENTION_HOURS'),
        ...RETENTION_BOUNDS,
      }),
    };
    if (this.options.outbox) {
      deleted.outbox_messages = await purgeSentOutboxMessages(this.db, {
        olderThan: hoursAgo('OUTBOX_SENT_RETENTION_HOURS'),
        ...RETENTION_BOUNDS,
      });
    }
    for (const task of this.tasks) deleted[task.name] = await task.run(this.db, now);
    if (Object.values(deleted).some((count) => count > 0))
      this.logger.log({ message: 'retention run', deleted });
    return deleted;
  }
}
