// GET /health: 200 when every dependency answers, 503 naming the failing one otherwise.
import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

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
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  @Get()
  async health(@Res({ passthrough: true }) response: FastifyReply): Promise<HealthReport> {
    const report = await runHealthChecks(this.checks);
    void response.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
