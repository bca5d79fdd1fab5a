// Shared jest setup: native ESM (middy 7 ships ESM only), TypeScript through @swc/jest.
// Type checking is `pnpm typecheck` (tsc --noEmit), not jest's job.
export const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
      },
    ],
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // Tests talk to real local services (moto, PostgreSQL, PGlite) on a 2-core machine: the first request
  // that loads a moto service, or a PGlite open, takes seconds there. A timeout guards against hangs; it
  // is not a speed check (benchmarks are).
  testTimeout: 30_000,
};
