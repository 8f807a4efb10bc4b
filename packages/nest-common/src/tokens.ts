// Injection tokens for the clients ServiceCoreModule owns. Registered symbols (Symbol.for), so a
// token is the same value in every copy of this module (tests load apps in isolated module registries).
export const PRISMA = Symbol.for('oncepay.prisma');
export const PG_POOL = Symbol.for('oncepay.pg-pool');
export const PG_DATABASE = Symbol.for('oncepay.pg-database');
export const KAFKA = Symbol.for('oncepay.kafka');
export const PRODUCER = Symbol.for('oncepay.producer');
export const OUTBOX_SIGNAL = Symbol.for('oncepay.outbox-signal');
export const MESSAGING_OPTIONS = Symbol.for('oncepay.messaging-options');
export const RETENTION_TASKS = Symbol.for('oncepay.retention-tasks');
export const RETENTION_JOB = Symbol.for('oncepay.retention-job');
