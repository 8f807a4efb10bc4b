// Validates a request body, query or path parameter against a zod schema at the HTTP edge. Invalid
// input is a 400 problem listing every issue; the handler only ever sees parsed, typed values.
import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ProblemException } from './problem-details';

@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const errors = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    throw new ProblemException(
      400,
      'VALIDATION_ERROR',
      'The request is not valid',
      errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; '),
      { errors },
    );
  }
}
