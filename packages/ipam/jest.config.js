// Two workers: the worker and store suites mostly wait on SQS visibility timeouts and PostgreSQL.
// The global setup gives the run one place for the PGlite cluster its test files copy (src/test-cluster.ts).
export default {
  ...(await import('../../jest.config.base.js')).base,
  maxWorkers: 2,
  globalSetup: '<rootDir>/jest.global-setup.js',
  globalTeardown: '<rootDir>/jest.global-teardown.js',
};
