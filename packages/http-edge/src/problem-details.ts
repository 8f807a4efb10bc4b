// Every error a service answers is an RFC 9457 problem document (application/problem+json) with a
// stable `type` and `code`; never a stack trace, never an HTML page, never a 500 for bad input.
import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { isRetriableError, postgresDataException } from '@oncepay/sql';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Retry-After of a 503: long enough for a pool to free a connection or a database to come back. */
export const RETRY_AFTER_SECONDS = 2;
const PROBLEM_TYPE_BASE = 'https://oncepay.dev/problems/';

export interface ProblemFields {
  title: string;
  status: number;
  /** Stable, machine-readable: what clients switch on. */
  code: string;
  detail?: string;
  instance?: string;
}

/** The RFC 9457 body: `type` derived from `code`, plus any extension members. */
export type ProblemDocument = ProblemFields & { type: string } & Record<string, unknown>;

/** An expected failure with its HTTP status and stable code; extensions (e.g. `errors`) are added to the body. */
export class ProblemException extends HttpException {
  constructor(
    readonly problemStatus: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(title, problemStatus);
  }
}

export function problemDocument(problem: ProblemFields & Record<string, unknown>): ProblemDocument {
  return { type: PROBLEM_TYPE_BASE + problem.code.toLowerCase().replace(/_/g, '-'), ...problem };
}

export function sendProblem(reply: FastifyReply, problem: ProblemDocument): void {
  // A client told to come back later is told when; the rate limit sets its own Retry-After first.
  if (problem.status === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  void reply
    .status(problem.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem));
}

/**
 * Nest's exception filter: known problems as they are, framework HTTP errors mapped (Nest turns what
 * Fastify refuses before the router, a body over the limit or not JSON, into HttpExceptions: 413 and
 * 415), anything else a 500.
 */
const ABANDONED = problemDocument({ status: 400, code: 'REQUEST_ABANDONED', title: 'The client went away' });

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    // The client is gone (it stalled past the request timeout, or hung up mid-body): no bug to report.
    // The answer is still sent, into nothing, so the request's lifecycle ends and a shutdown can finish.
    const problem = request.raw.socket?.destroyed ? ABANDONED : this.toProblem(exception);
    sendProblem(http.getResponse<FastifyReply>(), { ...problem, instance: request.url });
  }

  private toProblem(exception: unknown): ProblemDocument {
    if (exception instanceof ProblemException) {
      const { problemStatus: status, code, title, detail, extensions } = exception;
      return problemDocument({ status, code, title, ...(detail ? { detail } : {}), ...extensions });
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return problemDocument({ status, code: codeForStatus(status), title: exception.message });
    }
    if (isRetriableError(exception)) {
      this.logger.warn(`answered 503: ${exception instanceof Error ? exception.message : String(exception)}`);
      return problemDocument({
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
        title: 'The service cannot reach its database right now',
        detail: `Retry after ${RETRY_AFTER_SECONDS} seconds; a request with an Idempotency-Key is safe to repeat.`,
      });
    }
    const sqlState = postgresDataException(exception);
    if (sqlState) {
      // A backstop: the edge's schemas should have refused the value. Logged, so the gap gets closed.
      this.logger.warn(`PostgreSQL refused a value the edge let through (SQLSTATE ${sqlState})`);
      return problemDocument({
        status: 400,
        code: 'INVALID_VALUE',
        title: 'The request holds a value that cannot be stored',
      });
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return problemDocument({ status: 500, code: 'INTERNAL_ERROR', title: 'Internal server error' });
  }
}

function codeForStatus(status: number): string {
  const name = HttpStatus[status];
  return typeof name === 'string' ? name : `HTTP_${status}`;
}
