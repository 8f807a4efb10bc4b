// The HTTP edge every service shares: a bounded JSON body parser whose failures are problem documents,
// the problem-details filter for everything thrown behind it, and the service's OpenAPI docs at /docs.
import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { serveOpenApiDocs } from './openapi-docs';
import { bodyParserProblems, ProblemDetailsFilter } from './problem-details';

/** Bodies are small JSON documents; anything larger is refused with 413 before it is parsed. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Call before `listen`; the app must be created with `{ bodyParser: false }`. */
export function configureHttp(app: INestApplication): void {
  const http = app.getHttpAdapter().getInstance() as express.Express;
  http.disable('x-powered-by');
  app.use(correlate);
  app.use(
    express.json({ limit: MAX_BODY_BYTES, strict: true, type: ['application/json', 'application/*+json'] }),
  );
  app.use(bodyParserProblems);
  app.useGlobalFilters(new ProblemDetailsFilter());
  serveOpenApiDocs(app);
}

export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * Every request carries a correlation id: the caller's `X-Correlation-Id` when it is sane, a new UUID
 * otherwise. It is echoed in the response and travels in every event the request causes, so one
 * transfer can be followed through every service's logs.
 */
function correlate(request: Request, response: Response, next: NextFunction): void {
  const given = request.headers[CORRELATION_HEADER];
  const id = typeof given === 'string' && /^[\x21-\x7E]{1,200}$/.test(given) ? given : randomUUID();
  request.headers[CORRELATION_HEADER] = id;
  response.setHeader('X-Correlation-Id', id);
  next();
}
