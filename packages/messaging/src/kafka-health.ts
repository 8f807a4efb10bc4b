// Answers "can this service reach Kafka right now?" for the /health endpoint.
import type { Admin, Kafka } from 'kafkajs';

export interface KafkaHealth {
  brokerCount: number;
  controllerId: number | null;
}

export class KafkaHealthProbe {
  private admin: Admin | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly timeoutMs = 2_000,
  ) {}

  /** Resolves with cluster facts, or rejects when the cluster does not answer within timeoutMs. */
  async check(): Promise<KafkaHealth> {
    try {
      const cluster = await withTimeout(this.describeCluster(), this.timeoutMs, 'Kafka describeCluster');
      return { brokerCount: cluster.brokers.length, controllerId: cluster.controller };
    } catch (error) {
      // Drop the admin so the next probe starts from a fresh connection instead of a broken one.
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  private async describeCluster(): Promise<Awaited<ReturnType<Admin['describeCluster']>>> {
    if (!this.admin) {
      const admin = this.kafka.admin({ retry: { retries: 0 } });
      await admin.connect();
      this.admin = admin;
    }
    return this.admin.describeCluster();
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
