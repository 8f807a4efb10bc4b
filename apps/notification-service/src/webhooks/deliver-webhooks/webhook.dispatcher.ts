// Use case: deliver due webhook deliveries to clients' endpoints, with the notifications' retry policy
// (nextStepAfter, capped exponential backoff, NOTIFICATION_MAX_ATTEMPTS). The same design as the
// NotificationDispatcher (see notification.dispatcher.ts for the why of each bound) and the same loop
// (DispatchLoop): a pass claims a batch under a lease, sends it concurrently, records every attempt
// with one fenced statement. What differs is per
// delivery: the endpoint's URL, its live secrets (each signs the attempt) and whether it is still enabled.
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { backoffDelayMs, jsonLineLogger, type BackoffPolicy, type MessagingLogger } from '@oncepay/messaging';
import { describeError, type SqlExecutor } from '@oncepay/sql';
import { webhookPayloadOf } from '../../notifications/channels/webhook.channel';
import { nextStepAfter, type DeliveryPolicy } from '../../notifications/domain/delivery-policy';
import { notificationBodySchema } from '../../notifications/domain/notification';
import { DispatchLoop } from '../../notifications/deliver-notifications/dispatch-loop';
import {
  WebhookDeliveryRepository,
  type ClaimedWebhookDelivery,
  type WebhookAttemptRecord,
} from './webhook-delivery.repository';
import type { WebhookSender } from './webhook-sender';

export interface WebhookDispatcherOptions {
  db: SqlExecutor;
  sender: Pick<WebhookSender, 'send'>;
  maxAttempts: number;
  backoff: BackoffPolicy;
  intervalMs: number;
  batchSize: number;
  /** The sender's own timeout; the lease is this plus a margin. */
  sendTimeoutMs: number;
  logger?: MessagingLogger;
  random?: () => number;
}

export type WebhookSettleOutcome = 'delivered' | 'retrying' | 'gave_up' | 'claim_lost' | 'unrecorded';
export type WebhookPassResult = { claimed: number } & Record<WebhookSettleOutcome, number>;

/** As in the NotificationDispatcher: covers recording the pass after its slowest send. */
const LEASE_MARGIN_MS = 30_000;

export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly repository: WebhookDeliveryRepository;
  private readonly policy: DeliveryPolicy;
  private readonly logger: MessagingLogger;
  private readonly loop: DispatchLoop;

  constructor(private readonly options: WebhookDispatcherOptions) {
    if (options.batchSize < 1 || options.maxAttempts < 1 || options.intervalMs < 1) {
      throw new RangeError('batchSize, maxAttempts and intervalMs must be positive');
    }
    this.repository = new WebhookDeliveryRepository(options.db);
    const random = options.random ?? Math.random;
    this.policy = {
      maxAttempts: options.maxAttempts,
      retryDelayMs: (attemptNumber) => backoffDelayMs(options.backoff, attemptNumber, random),
    };
    this.logger = options.logger ?? jsonLineLogger;
    this.loop = new DispatchLoop({
      pass: () => this.dispatchPass(),
      batchSize: options.batchSize,
      intervalMs: options.intervalMs,
      logger: this.logger,
      what: 'webhook',
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

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One bounded pass: claim a batch, send it concurrently, record every attempt in one statement. */
  async dispatchPass(): Promise<WebhookPassResult> {
    const claimed = await this.repository.claimDue(
      this.options.batchSize,
      this.options.sendTimeoutMs + LEASE_MARGIN_MS,
    );
    const turns = await Promise.all(claimed.map((row) => this.attempt(row)));
    const settled = turns.filter((turn): turn is WebhookSettleOutcome => typeof turn === 'string');
    const records = turns.filter((turn): turn is WebhookAttemptRecord => typeof turn !== 'string');
    const result: WebhookPassResult = {
      claimed: claimed.length,
      delivered: 0,
      retrying: 0,
      gave_up: 0,
      claim_lost: 0,
      unrecorded: 0,
    };
    for (const outcome of [...settled, ...(await this.recordAll(records))]) result[outcome] += 1;
    return result;
  }

  /** Sends one claimed delivery and returns its attempt to record, or settles one that gets none. */
  private async attempt(row: ClaimedWebhookDelivery): Promise<WebhookAttemptRecord | WebhookSettleOutcome> {
    try {
      if (row.attemptNumber > this.policy.maxAttempts) {
        return await this.giveUp(
          row,
          `no attempts left: ${row.attemptNumber - 1} attempts were made, some interrupted`,
        );
      }
      // DELETE disabled the endpoint after this delivery was recorded: the client asked for no more.
      if (!row.endpointEnabled) return await this.giveUp(row, 'the endpoint was disabled');
      if (row.secrets.length === 0) return await this.giveUp(row, 'the endpoint has no live secret');
      const body = notificationBodySchema.safeParse(row.payload);
      if (!body.success) {
        return await this.giveUp(
          row,
          `stored payload is not a valid notification body: ${body.error.message}`,
        );
      }
      const payload = webhookPayloadOf({ id: row.notificationId, body: body.data });
      const attemptedAt = new Date();
      const result = await this.options.sender.send({
        url: row.url,
        messageId: row.notificationId,
        body: JSON.stringify(payload),
        secrets: row.secrets,
      });
      const next = nextStepAfter(result, row.attemptNumber, this.policy);
      return { deliveryId: row.id, attemptNumber: row.attemptNumber, attemptedAt, result, next };
    } catch (error) {
      return this.unrecorded(row.id, row.attemptNumber, error);
    }
  }

  private async recordAll(records: readonly WebhookAttemptRecord[]): Promise<WebhookSettleOutcome[]> {
    if (records.length === 0) return [];
    try {
      const recorded = await this.repository.recordAttempts(records);
      return records.map((record, i) => {
        if (recorded[i] !== 'recorded') return 'claim_lost';
        if (record.next.status === 'GAVE_UP') {
          this.logger.warn('webhook delivery given up', {
            deliveryId: record.deliveryId,
            attempts: record.attemptNumber,
            because: record.next.because,
            error: record.result.outcome === 'failed' ? record.result.error : undefined,
          });
          return 'gave_up';
        }
        return record.next.status === 'DELIVERED' ? 'delivered' : 'retrying';
      });
    } catch (error) {
      return records.map((record) => this.unrecorded(record.deliveryId, record.attemptNumber, error));
    }
  }

  private async giveUp(row: ClaimedWebhookDelivery, reason: string): Promise<WebhookSettleOutcome> {
    if ((await this.repository.giveUp(row.id, row.attemptNumber, reason)) === 'claim_lost')
      return 'claim_lost';
    this.logger.warn('webhook delivery given up without an attempt', { deliveryId: row.id, reason });
    return 'gave_up';
  }

  /** Recording failed: the lease runs out and the delivery is sent again (the receiver dedups on webhook-id). */
  private unrecorded(deliveryId: string, attemptNumber: number, error: unknown): WebhookSettleOutcome {
    this.logger.error('webhook attempt could not be recorded', {
      deliveryId,
      attemptNumber,
      error: describeError(error),
    });
    return 'unrecorded';
  }
}
