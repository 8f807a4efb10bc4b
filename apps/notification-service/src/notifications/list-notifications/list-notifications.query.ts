// GET /v1/notifications query parameters, validated at the HTTP edge, and the opaque keyset cursor.
import { cursorTimeSchema, pageLimitSchema } from '@oncepay/http-edge';
import { z } from 'zod';

export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

/** Where the previous page ended: the last row's (createdAt, id), the order the list is sorted by. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

const cursorFieldsSchema = z.object({ createdAt: cursorTimeSchema, id: z.uuid() }).strict();

/** base64url of `{"createdAt":"…","id":"…"}`: opaque to clients, so the sort key can change later. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ createdAt: cursor.createdAt.toISOString(), id: cursor.id })).toString(
    'base64url',
  );
}

export const pageCursorSchema = z
  .string()
  .max(200)
  .transform((value, ctx): PageCursor => {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    } catch {
      json = undefined;
    }
    const fields = cursorFieldsSchema.safeParse(json);
    if (!fields.success) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
      return z.NEVER;
    }
    return { createdAt: new Date(fields.data.createdAt), id: fields.data.id };
  });

/** Strict: a misspelt filter (`transfer_id`) is a 400, not a silently unfiltered list. */
export const listNotificationsQuerySchema = z
  .object({
    transferId: z.uuid().optional(),
    limit: pageLimitSchema(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
    cursor: pageCursorSchema.optional(),
  })
  .strict();

export type ListNotificationsQuery = z.infer<typeof listNotificationsQuerySchema>;
