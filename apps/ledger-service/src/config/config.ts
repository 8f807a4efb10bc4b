// The ledger-service's environment, validated at boot: the only place that knows variable names.
import { baseEnvSchema } from '@oncepay/service-runtime';

export const envSchema = baseEnvSchema.extend({
  PORT: baseEnvSchema.shape.PORT.default(3001),
});
