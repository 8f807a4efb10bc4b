// Use case: deliver due notifications through the configured channel, retrying with capped exponential
// backoff until delivered or given up. Runs in every instance; the claim (see delivery.repository.ts)
// keeps instances from delivering the same notification concurrently.
//
// A pass claims a batch, delivers it concurrently, then records every attempt with ONE statement: two
// statements per pass (plus one per rare give-up), instead of a transaction per notification. Waiting
// for the pass's slowest delivery costs no safety: every delivery has a deadline well inside the lease,
// and a delivery whose result is never recorded (a crash, a failed statement) is sent again after the
// lease, which the receiver drops by its Idempotency-Key (the notification id).
//
// Bounded everywhere: a pass claims at most `batchSize` rows, a tick runs a bounded number of passes
// (DispatchLoop), every channel call has a deadline, and each notification has at most `maxAttempts`
// attempts. Between ticks the dispatcher sleeps `intervalMs`: no busy loop, and a failing database only
// costs a logged error per tick.
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { backoffDelayMs, jsonLineLogger, type BackoffPolicy, type MessagingLogger } from '@oncepay/messaging';
import { describeError } from '@oncepay/sql';
import { nextStepAfter, type DeliveryPolicy } from '../domain/delivery-policy';
import { DispatchLoop } from './dispatch-loop';
import { notificationBodySchema, type Notification } from '../domain/notification';
import type { DeliveryResult, NotificationChannel } from '../domain/notification-channel.port';
import {
  DeliveryRepository,
  type AttemptRecord,
  type ClaimedNotification,
  type DeliveryDatabase,
  type RecordOutcome,
} from './delivery.repository';

export interface NotificationDispatcherOptions {
  db: DeliveryDatabase;
  channel: NotificationChannel;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Sleep between ticks. */
  intervalMs: number;
  batchSize: number;
  /** Deadline for one `channel.deliver` call, enforced here whatever the channel does. */
  deliveryTimeoutMs: number;
  logger?: MessagingLogger;
  /** Jitter source for the backoff; tests fix it. */
  random?: () => number;
}

/** What one notification's turn in a pass came to. */
export type SettleOutcome = 'delivered' | 'retrying' | 'gave_up' | 'claim_lost' | 'unrecorded';

export type DispatchPassResult = { claimed: number } & Record<SettleOutcome, number>;

/** A delivery made in this pass, waiting to be recorded with the pass's others. */
interface Attempt {
  notification: Notification;
  record: AttemptRecord;
}

/**
 * Lease on top of the delivery deadline: the pass's deliveries run concurrently, so its last one ends
 * within the deadline, and this covers recording the results (one statement, which may first wait up
 * to 5 s for a pool connection) with room to spare. A crashed dispatcher's claims are retried after the
 * lease; a result recorded after its lease still cannot overwrite a newer attempt (the fence).
 */
const LEASE_MARGIN_MS = 30_000;

export class NotificationDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly repository: DeliveryRepository;
  private readonly policy: DeliveryPolicy;
  private readonly leaseMs: number;
  private readonly logger: MessagingLogger;
  private readonly loop: DispatchLoop;

  constructor(private readonly options: NotificationDispatcherOptions) {
    if (options.batchSize < 1 || options.maxAttempts < 1 || options.intervalMs < 1) {
      throw new RangeError('batchSize, maxAttempts and intervalMs must be positive');
    }
    this.repository = new DeliveryRepository(options.db);
    const random = options.random ?? Math.random;
    this.policy = {
      maxAttempts: options.maxAttempts,
      retryDelayMs: (attemptNumber) => backoffDelayMs(options.backoff, attemptNumber, random),
    };
    this.leaseMs = options.deliveryTimeoutMs + LEASE_MARGIN_MS;
    this.logger = options.logger ?? jsonLineLogger;
    this.loop = new DispatchLoop({
      pass: () => this.dispatchPass(),
      batchSize: options.batchSize,
      intervalMs: options.intervalMs,
      logger: this.logger,
      what: 'notification',
    });
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    this.loop.start();
  }

  /** Resolves once the tick in progress (if any) has finished; no delivery is cut off halfway. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One bounded pass: claim a batch, deliver it concurrently, record every result in one statement. */
  async dispatchPass(): Promise<DispatchPassResult> {
    const claimed = await this.repository.claimDue(this.options.batchSize, this.leaseMs);
    const turns = await Promise.all(claimed.map((row) => this.attempt(row)));
    const settledAlready = turns.filter((turn): turn is SettleOutcome => typeof turn === 'string');
    const attempts = turns.filter((turn): turn is Attempt => typeof turn !== 'string');
    const outcomes = [...settledAlready, ...(await this.recordAll(attempts))];
    const result: DispatchPassResult = {
      claimed: claimed.length,
      delivered: 0,
      retrying: 0,
      gave_up: 0,
      claim_lost: 0,
      unrecorded: 0,
    };
    for (const outcome of outcomes) result[outcome] += 1;
    return result;
  }

  /**
   * Delivers one claimed notification and returns the attempt for the pass to record, or settles a
   * row that gets no attempt (given up unsent). Never throws, so one row cannot sink a batch.
   */
  private async attempt(row: ClaimedNotification): Promise<Attempt | SettleOutcome> {
    try {
      if (row.attemptNumber > this.policy.maxAttempts) {
        // Earlier claims ended without a recorded result (a crash mid-delivery) and used up the budget.
        return await this.giveUp(
          row,
          `no attempts left: ${row.attemptNumber - 1} attempts were made, some interrupted`,
        );
      }
      const body = notificationBodySchema.safeParse(row.payload);
      if (!body.success) {
        return await this.giveUp(
          row,
          `stored payload is not a valid notification body: ${body.error.message}`,
        );
      }
      const notification: Notification = {
        id: row.id,
        transferId: row.transferId,
        clientId: row.clientId,
        outcome: row.outcome,
        attemptNumber: row.attemptNumber,
        body: body.data,
      };
      return await this.deliver(notification);
    } catch (error) {
      return this.unrecorded(row.id, row.attemptNumber, error);
    }
  }

  private async deliver(notification: Notification): Promise<Attempt> {
    const attemptedAt = new Date();
    const result = await this.deliverWithDeadline(notification);
    const next = nextStepAfter(result, notification.attemptNumber, this.policy);
    return {
      notification,
      record: {
        notificationId: notification.id,
        attemptNumber: notification.attemptNumber,
        channel: this.options.channel.name,
        attemptedAt,
        result,
        next,
      },
    };
  }

  /** Records the pass's attempts with one statement: all of them, or (if it fails) none. */
  private async recordAll(attempts: readonly Attempt[]): Promise<SettleOutcome[]> {
    if (attempts.length === 0) return [];
    let recorded: RecordOutcome[];
    try {
      recorded = await this.repository.recordAttempts(attempts.map((attempt) => attempt.record));
    } catch (error) {
      return attempts.map(({ record }) =>
        this.unrecorded(record.notificationId, record.attemptNumber, error),
      );
    }
    return attempts.map((attempt, i) =>
      recorded[i] === 'recorded'
        ? this.settled(attempt)
        : this.claimLost(attempt.record.notificationId, attempt.record.attemptNumber),
    );
  }

  /** What a recorded attempt came to. */
  private settled({ notification, record }: Attempt): SettleOutcome {
    const { result, next } = record;
    switch (next.status) {
      case 'DELIVERED':
        return 'delivered';
      case 'PENDING':
        return 'retrying';
      case 'GAVE_UP':
        this.logger.warn('notification given up', {
          notificationId: notification.id,
          transferId: notification.transferId,
          attempts: notification.attemptNumber,
          because: next.because,
          error: result.outcome === 'failed' ? result.error : undefined,
        });
        return 'gave_up';
      default: {
        const unreachable: never = next;
        return unreachable;
      }
    }
  }

  /** The channel's answer, or a retriable failure if it throws or misses the deadline. */
  private async deliverWithDeadline(notification: Notification): Promise<DeliveryResult> {
    const { channel, deliveryTimeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<DeliveryResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({ outcome: 'failed', retriable: true, error: `no answer within ${deliveryTimeoutMs} ms` }),
        deliveryTimeoutMs,
      );
    });
    const delivery = channel.deliver(notification).catch((error: unknown): DeliveryResult => ({
      outcome: 'failed',
      retriable: true,
      error: `channel threw: ${describeError(error)}`,
    }));
    try {
      return await Promise.race([delivery, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async giveUp(row: ClaimedNotification, reason: string): Promise<SettleOutcome> {
    const recorded = await this.repository.giveUp(row.id, row.attemptNumber, reason);
    if (recorded === 'claim_lost') return this.claimLost(row.id, row.attemptNumber);
    this.logger.warn('notification given up without an attempt', { notificationId: row.id, reason });
    return 'gave_up';
  }

  /**
   * Recording failed (after a delivery, or while giving up): the lease runs out and the notification is
   * claimed again; a redelivery is dropped by the receiver by its Idempotency-Key.
   */
  private unrecorded(notificationId: string, attemptNumber: number, error: unknown): SettleOutcome {
    this.logger.error('notification attempt could not be recorded', {
      notificationId,
      attemptNumber,
      error: describeError(error),
    });
    return 'unrecorded';
  }

  private claimLost(notificationId: string, attemptNumber: number): SettleOutcome {
    this.logger.warn('notification claim expired before its result was recorded; result dropped', {
      notificationId,
      attemptNumber,
    });
    return 'claim_lost';
  }
}
