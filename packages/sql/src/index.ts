// @oncepay/sql: the one way OncePay's packages reach PostgreSQL. SqlExecutor is the door (PgDatabase
// fits it, a Prisma client through executorOfPrisma), PgDatabase runs node-postgres behind it,
// deleteInBatches is the retention jobs' bounded delete, isRetriableError tells a transient failure
// (the database busy or away) from one a retry cannot help, GroupCommit writes concurrent callers'
// items as one batch and one commit. No domain rule lives here.
export {
  assertBatchBounds,
  deleteExpired,
  deleteInBatches,
  type BatchBounds,
  type ExpiringTable,
} from './batched-delete';
export {
  GroupCommit,
  GroupCommitFullError,
  type GroupCommitOptions,
  type GroupCommitStats,
} from './group-commit';
export { PgDatabase } from './pg-database';
export { executorOfPrisma, type PrismaRawSql, type SqlExecutor } from './sql-executor';
export {
  describeError,
  isDatabaseSetupError,
  isRetriableError,
  NETWORK_ERROR_CODES,
  NonRetriableError,
  postgresDataException,
} from './errors';
