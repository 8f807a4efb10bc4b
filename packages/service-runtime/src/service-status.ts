// What the service knows about itself beyond its dependencies: the state of each of its consumers, and
// whether something has stopped for good. A consumer kafkajs will not restart leaves a process that
// answers HTTP but moves no money: readiness then says so, liveness fails, and the process exits (the
// handler runService installs), so a supervisor starts a fresh one.
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumerStatus } from '@oncepay/messaging';
import { describeError } from '@oncepay/sql';
import type { HealthCheck } from './health';

@Injectable()
export class ServiceStatus {
  private readonly logger = new Logger('ServiceStatus');
  private readonly consumers = new Map<string, () => ConsumerStatus>();
  private fatalError: { what: string; error: unknown } | null = null;
  private fatalHandler: ((error: unknown) => void) | null = null;

  /** A consumer's readiness check: up once it holds its partitions. */
  registerConsumer(name: string, status: () => ConsumerStatus): void {
    this.consumers.set(name, status);
  }

  consumerChecks(): HealthCheck[] {
    return [...this.consumers].map(([name, status]) => ({
      name: `consumer:${name}`,
      check: () => {
        const { state, failure } = status();
        if (state === 'running') return Promise.resolve({ state });
        return Promise.reject(new Error(failure ? `${state}: ${failure}` : state));
      },
    }));
  }

  /** Something that will not recover stopped; the first report wins. */
  reportFatal(what: string, error: unknown): void {
    if (this.fatalError) return;
    this.fatalError = { what, error };
    this.logger.fatal({ message: `${what}: the service cannot go on`, error: describeError(error) });
    this.fatalHandler?.(error);
  }

  /** Why the service cannot go on, or null. */
  get fatal(): string | null {
    return this.fatalError ? `${this.fatalError.what}: ${describeError(this.fatalError.error)}` : null;
  }

  /** What to do on a fatal report (runService: close and exit 1); called at once for one already made. */
  onFatal(handler: (error: unknown) => void): void {
    this.fatalHandler = handler;
    if (this.fatalError) handler(this.fatalError.error);
  }
}
