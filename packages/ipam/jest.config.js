// Two workers: the worker and store suites mostly wait on SQS visibility timeouts and PostgreSQL.
export default { ...(await import('../../jest.config.base.js')).base, maxWorkers: 2 };
