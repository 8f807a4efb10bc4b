// GET /v1/transfers/{id}/refunds query: a bounded page size and an opaque cursor (as the transfer list's).
import { z } from 'zod';
import { listTransfersQuerySchema } from '../list-transfers/list-transfers.dto';

export const listRefundsQuerySchema = listTransfersQuerySchema.pick({ limit: true, cursor: true }).strict();

export type ListRefundsQuery = z.infer<typeof listRefundsQuerySchema>;
