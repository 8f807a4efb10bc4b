// POST /v1/transfers/{id}/capture: the body, validated at the edge. Empty or `{}` captures the whole hold.
import { amountMinorSchema } from '@oncepay/contracts';
import { z } from 'zod';

export const captureHoldBodySchema = z
  .object({
    /** At most the amount held; the rest is released. */
    amount: amountMinorSchema.optional(),
  })
  .strict();

export type CaptureHoldBody = z.infer<typeof captureHoldBodySchema>;
