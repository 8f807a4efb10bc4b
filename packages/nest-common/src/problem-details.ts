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
import type { NextFunction, Request, Response } from 'express';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
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

export function sendProblem(response: Response, problem: ProblemDocument): void {
  response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** Nest's exception filter: known problems as they are, framework HTTP errors mapped, anything else a 500. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    sendProblem(http.getResponse<Response>(), {
      ...this.toProblem(exception),
      instance: request.originalUrl,
    });
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
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return problemDocument({ status: 500, code: 'INTERNAL_ERROR', title: 'Internal server error' });
  }
}

/** Express error middleware for what fails before Nest's router: malformed JSON, oversized bodies. */
export function bodyParserProblems(
  error: unknown,
  request: Request,
  response: Response,
  next: NextFunction,
): void {
  const parserError = error as { type?: string; status?: number };
  const known = PARSER_PROBLEMS[parserError.type ?? ''];
  if (!known) return next(error);
  sendProblem(response, problemDocument({ ...known, instance: request.originalUrl }));
}

const PARSER_PROBLEMS: Record<string, ProblemFields> = {
  'entity.parse.failed': { status: 400, code: 'MALFORMED_JSON', title: 'The request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'The request body is too large' },
  'encoding.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_ENCODING',
    title: 'The request body encoding is not supported',
  },
  'charset.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_CHARSET',
    title: 'The request body charset is not supported',
  },
};

function codeForStatus(status: number): string {
  const name = HttpStatus[status];
  return typeof name === 'string' ? name : `HTTP_${status}`;
}
