// GET /health/live: the process can serve (200) or has stopped for good (503, restart it).
// GET /health/ready (and GET /health): 200 when the database, the broker and every consumer are up,
// 503 naming what is not; a load balancer or compose waits for it before sending work.
import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { RETRY_AFTER_SECONDS } from '@oncepay/http-edge';
import type { FastifyReply } from 'fastify';
import { ServiceStatus } from './service-status';

/** One dependency a service needs to do its work (its database, Kafka). */
export interface HealthCheck {
  name: string;
  /** Resolves with details when healthy; rejects when not. */
  check(): Promise<Record<string, unknown>>;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

type CheckResult = { status: 'up' | 'down'; latencyMs: number } & Record<string, unknown>;

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, CheckResult>;
}

export async function runHealthChecks(checks: HealthCheck[]): Promise<HealthReport> {
  const results = await Promise.all(checks.map(async (check) => [check.name, await runOne(check)] as const));
  const allUp = results.every(([, result]) => result.status === 'up');
  return { status: allUp ? 'ok' : 'error', checks: Object.fromEntries(results) };
}

async function runOne(check: HealthCheck): Promise<CheckResult> {
  const startedAt = Date.now();
  try {
    const details = await check.check();
    return { status: 'up', latencyMs: Date.now() - startedAt, ...details };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'down', latencyMs: Date.now() - startedAt, error: message };
  }
}

@Controller('health')
export class HealthController {
  constructor(
    @Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[],
    private readonly status: ServiceStatus,
  ) {}

  @Get()
  health(@Res({ passthrough: true }) response: FastifyReply): Promise<HealthReport> {
    return this.ready(response);
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: FastifyReply): Promise<HealthReport> {
    const report = await runHealthChecks([...this.checks, ...this.status.consumerChecks()]);
    if (report.status === 'ok') return report;
    // Like the API's 503: a client (or a load balancer that reads it) is told when to ask again.
    void response.status(HttpStatus.SERVICE_UNAVAILABLE).header('retry-after', String(RETRY_AFTER_SECONDS));
    return report;
  }

  /** No dependency is asked: a database that is down makes the service unready, not dead. */
  @Get('live')
  live(@Res({ passthrough: true }) response: FastifyReply): HealthReport {
    const fatal = this.status.fatal;
    void response.status(fatal ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK);
    return fatal
      ? { status: 'error', checks: { process: { status: 'down', latencyMs: 0, error: fatal } } }
      : { status: 'ok', checks: { process: { status: 'up', latencyMs: 0 } } };
  }
}
