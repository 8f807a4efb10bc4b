// Where the test run's infrastructure is: set by scripts/test/run.ts before jest starts.
function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests with \`npm test\`, which starts PostgreSQL and Kafka first.`,
    );
  }
  return value;
}

export const testEnv = {
  get postgresAdminUrl(): string {
    return required('ONCEPAY_TEST_POSTGRES_URL');
  },
  /** Names this run's template and test databases. */
  get runId(): string {
    return required('ONCEPAY_TEST_RUN_ID');
  },
  get kafkaBrokers(): string[] {
    return required('ONCEPAY_TEST_KAFKA_BROKERS').split(',');
  },
};
