// Two workers: the suites mostly wait on moto, Terraform and PostgreSQL (the end-to-end one alone for 90 s),
// so they overlap well even on two cores.
export default { ...(await import('../jest.config.base.js')).base, maxWorkers: 2 };
