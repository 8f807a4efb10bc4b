// The HTTP edge every service shares: a bounded JSON body parser whose failures are problem documents,
// and the problem-details filter for everything thrown behind it.
import type { INestApplication } from '@nestjs/common';
import express from 'express';
import { bodyParserProblems, ProblemDetailsFilter } from './problem-details';

/** Bodies are small JSON documents; anything larger is refused with 413 before it is parsed. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Call before `listen`; the app must be created with `{ bodyParser: false }`. */
export function configureHttp(app: INestApplication): void {
  app.use(
    express.json({ limit: MAX_BODY_BYTES, strict: true, type: ['application/json', 'application/*+json'] }),
  );
  app.use(bodyParserProblems);
  app.useGlobalFilters(new ProblemDetailsFilter());
}
