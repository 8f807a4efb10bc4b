// POST /v1/accounts body. Strict: an unknown field is a 400, not silently dropped, so a typo such as
// `allowNegativeBalances` cannot open an ordinary account when a treasury account was meant.
import { currencyInUseSchema } from '@oncepay/contracts';
import { z } from 'zod';

export const openAccountBodySchema = z
  .object({
    currency: currencyInUseSchema,
    allowNegativeBalance: z.boolean().default(false).meta({
      description:
        'A treasury or settlement account, where money enters: its balance may go below zero. Operators only (403 otherwise).',
    }),
  })
  .strict();

export type OpenAccountBody = z.infer<typeof openAccountBodySchema>;
