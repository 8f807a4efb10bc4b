// Where `npm run dlq` connects, from the variables the services and the auditor read: KAFKA_BROKERS
// (default: the local stack's broker, 127.0.0.1 on ONCEPAY_KAFKA_PORT or 9092), KAFKA_NAMESPACE and the
// TLS/SASL variables with their rules. The only place of this command that reads the environment.
import {
  kafkaSecurityEnvShape,
  kafkaSecurityOf,
  kafkaSecurityRules,
  parseBrokerList,
  type KafkaClientOptions,
} from '@oncepay/messaging';
import { z } from 'zod';

export interface DlqConfig {
  brokers: string[];
  /** The services' KAFKA_NAMESPACE: prefixes the topics and the operator's cursor group. */
  namespace: string;
  security: Pick<KafkaClientOptions, 'tls' | 'sasl'>;
  /** Who runs the command, for the log of what was replayed or discarded. */
  operator: string;
}

const envSchema = (nodeEnv: string | undefined) =>
  z
    .object({
      KAFKA_BROKERS: z.string().optional(),
      ONCEPAY_KAFKA_PORT: z.coerce.number().int().min(1).max(65_535).default(9092),
      // The rule of the services' own configuration (packages/service-runtime/src/env.ts).
      KAFKA_NAMESPACE: z
        .string()
        .regex(/^([a-z0-9-]+\.)?$/, 'must be empty or lower-case letters, digits and dashes ending in a dot')
        .default(''),
      USER: z.string().default('unknown'),
      ...kafkaSecurityEnvShape,
    })
    .superRefine((values, ctx) => kafkaSecurityRules(values, ctx, nodeEnv));

/** The validated configuration, or throws naming every bad variable. */
export function dlqConfigOf(env: Record<string, string | undefined>): DlqConfig {
  const parsed = envSchema(env.NODE_ENV).safeParse(env);
  if (!parsed.success)
    throw new Error(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  const values = parsed.data;
  const brokers = parseBrokerList(values.KAFKA_BROKERS ?? `127.0.0.1:${values.ONCEPAY_KAFKA_PORT}`);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS: names no broker');
  return {
    brokers,
    namespace: values.KAFKA_NAMESPACE,
    security: kafkaSecurityOf(values),
    operator: values.USER,
  };
}

/** The process environment, read here only (see the lint rule on process.env). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
