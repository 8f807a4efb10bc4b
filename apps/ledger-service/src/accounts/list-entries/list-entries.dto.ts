// GET /v1/accounts/{id}/entries query: a bounded page size and the opaque cursor of the previous page.
// Strict, so a misspelt parameter (`limt`) is a 400 instead of a silent default.
import { pageLimitSchema } from '@oncepay/http-edge';
import { z } from 'zod';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export const listEntriesQuerySchema = z
  .object({
    limit: pageLimitSchema(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
    cursor: z.string().min(1).max(64).optional(),
  })
  .strict();

export type ListEntriesQuery = z.infer<typeof listEntriesQuerySchema>;

export interface EntriesPage<T> {
  data: T[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
