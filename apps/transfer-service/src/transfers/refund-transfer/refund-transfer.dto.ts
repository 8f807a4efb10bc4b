// POST /v1/transfers/{id}/refunds: the body, validated at the edge. Empty or `{}` refunds what is left.
import { amountMinorSchema } from '@oncepay/contracts';
import { z } from 'zod';
import { referenceSchema } from '../request-transfer/request-transfer.dto';

export const refundTransferBodySchema = z
  .object({
    /** At most what the payment moved, less its refunds pending or completed; default: all of that. */
    amount: amountMinorSchema.optional(),
    reference: referenceSchema.optional(),
  })
  .strict();

export type RefundTransferBody = z.infer<typeof refundTransferBodySchema>;
