// `pnpm test:contract`: the route API contract against the stage REFLEX_ROUTE_API_URL names (not part of `pnpm test`,
// which runs the same contract against the local runner in test/local-mode.test.ts).
const config = (await import('./jest.config.js')).default;
export default { ...config, testMatch: ['<rootDir>/test/contract/*.contract.ts'], testTimeout: 60_000 };
