// TLS and SASL to the brokers from the environment, the same variables and rules for every Kafka client
// of OncePay: the services (through their validated configuration) and the auditor.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SASL_MECHANISMS, type KafkaClientOptions } from './kafka-client';

export const kafkaSecurityEnvShape = {
  /** `true`: TLS to the brokers, trusting the system's certificate authorities or KAFKA_TLS_CA_FILE's. */
  KAFKA_TLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** A PEM file of the certificate authorities that signed the brokers' certificates. */
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** SASL authentication to the brokers (the principal their ACLs name); off when unset. */
  KAFKA_SASL_MECHANISM: z.enum(SASL_MECHANISMS).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
};

export type KafkaSecurityEnv = z.output<z.ZodObject<typeof kafkaSecurityEnvShape>>;

/** The rules across the variables; `production` (NODE_ENV) refuses a password sent in clear. */
export function kafkaSecurityRules(
  env: KafkaSecurityEnv,
  ctx: z.RefinementCtx,
  nodeEnv: string | undefined,
): void {
  if (env.KAFKA_SASL_MECHANISM && !(env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD))
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_SASL_MECHANISM'],
      message: 'needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    });
  // Credentials without a mechanism would be ignored: the client would connect unauthenticated.
  if (!env.KAFKA_SASL_MECHANISM && (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD))
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_SASL_MECHANISM'],
      message: 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set',
    });
  // PLAIN sends the password as it is: in production, only inside TLS.
  if (nodeEnv === 'production' && env.KAFKA_SASL_MECHANISM === 'plain' && !env.KAFKA_TLS)
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_SASL_MECHANISM'],
      message: 'plain sends the password in clear: with NODE_ENV=production it needs KAFKA_TLS=true',
    });
  if (env.KAFKA_TLS_CA_FILE && !env.KAFKA_TLS)
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_TLS_CA_FILE'],
      message: 'is used only with KAFKA_TLS=true',
    });
}

/** The client options of validated variables; the CA file is read now, so a wrong path fails at once. */
export function kafkaSecurityOf(env: KafkaSecurityEnv): Pick<KafkaClientOptions, 'tls' | 'sasl'> {
  const { KAFKA_TLS_CA_FILE: caFile, KAFKA_SASL_MECHANISM: mechanism } = env;
  return {
    ...(env.KAFKA_TLS ? { tls: caFile ? { ca: [readFileSync(caFile, 'utf8')] } : {} } : {}),
    ...(mechanism && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? { sasl: { mechanism, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD } }
      : {}),
  };
}
