// Injection tokens for the clients ServiceCoreModule owns.
export const PRISMA = Symbol('oncepay.prisma');
export const PG_POOL = Symbol('oncepay.pg-pool');
export const PG_DATABASE = Symbol('oncepay.pg-database');
export const KAFKA = Symbol('oncepay.kafka');
export const PRODUCER = Symbol('oncepay.producer');
export const OUTBOX_SIGNAL = Symbol('oncepay.outbox-signal');
export const MESSAGING_OPTIONS = Symbol('oncepay.messaging-options');
export const RETENTION_TASKS = Symbol('oncepay.retention-tasks');
/** The service's pino logger (logging.ts), which Nest's logger, kafkajs and the access log write through. */
export const SERVICE_LOGGER = Symbol('oncepay.service-logger');
