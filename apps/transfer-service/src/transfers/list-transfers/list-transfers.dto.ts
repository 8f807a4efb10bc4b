// GET /v1/transfers query: filters, a bounded page size and an opaque cursor.
import { idSchema } from '@oncepay/contracts';
import { cursorTimeSchema, pageLimitSchema } from '@oncepay/http-edge';
import { TransferStatus } from '../../generated/prisma/enums';
import { z } from 'zod';

export const listTransfersQuerySchema = z
  .object({
    status: z.enum(TransferStatus).optional(),
    accountId: idSchema.optional(),
    limit: pageLimitSchema(100, 50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export type ListTransfersQuery = z.infer<typeof listTransfersQuerySchema>;

/** Position after the last row of a page: newest first, ties broken by id. */
export interface TransferCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: TransferCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString('base64url');
}

const cursorSchema = z.tuple([cursorTimeSchema, z.uuid()]);

/** null when the cursor was not produced by encodeCursor. */
export function decodeCursor(value: string): TransferCursor | null {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return parsed.success ? { createdAt: new Date(parsed.data[0]), id: parsed.data[1] } : null;
  } catch {
    return null;
  }
}
