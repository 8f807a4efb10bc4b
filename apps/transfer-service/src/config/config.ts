// The transfer-service's environment, validated at boot: the only place that knows variable names.
import { baseEnvSchema, serviceEnvSchema } from '@oncepay/service-runtime';
import { z } from 'zod';

export const envSchema = serviceEnvSchema({
  PORT: baseEnvSchema.shape.PORT.default(3000),
  /**
   * How often the expiry job looks for holds past their expiry (ExpireHoldsJob). A hold is refused to
   * the client from its expiry on whatever this is; it only bounds how soon the ledger releases it.
   */
  HOLD_EXPIRY_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(1_000),
  /** Most holds the expiry job expires in one transaction (then another batch, while they are full). */
  HOLD_EXPIRY_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(200),
});
