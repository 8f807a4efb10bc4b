// The transfer-service's environment, validated at boot: the only place that knows variable names.
import { baseEnvSchema, serviceEnvSchema } from '@oncepay/service-runtime';

export const envSchema = serviceEnvSchema({
  PORT: baseEnvSchema.shape.PORT.default(3000),
});
