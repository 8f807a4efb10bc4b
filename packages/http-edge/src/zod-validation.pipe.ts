// Validates a request body, query or path parameter against a zod schema at the HTTP edge. Invalid
// input is a 400 problem listing every issue; the handler only ever sees parsed, typed values.
import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ProblemException } from './problem-details';

@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  /** `label` names the value in the detail when an issue is about all of it (a header, say). */
  constructor(
    private readonly schema: S,
    private readonly label?: string,
  ) {}

  transform(value: unknown, metadata?: ArgumentMetadata): z.infer<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const errors = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    // Nest says what a parameter pipe validates (`id` of the path, the query, the body); a value
    // validated by hand names itself through `label`.
    const whole = this.label ?? metadata?.data ?? `(${metadata?.type ?? 'body'})`;
    throw new ProblemException(
      400,
      'VALIDATION_ERROR',
      'The request is not valid',
      errors.map((e) => `${e.path || whole}: ${e.message}`).join('; '),
      { errors },
    );
  }
}
