import type { EnvConfigInput } from './schema';

/** Everything on this machine: a local AWS API (moto server or LocalStack), reflexes run by the local runner. */
export const local: EnvConfigInput = {
  name: 'local',
  account: '123456789012', // moto's and LocalStack's default account
  region: 'us-east-1',
  dryRun: false,
  compute: 'local-runner',
  // A running local AWS API; `pnpm start` passes the moto server it started instead.
  endpoint: process.env.REFLEX_AWS_ENDPOINT || 'http://127.0.0.1:4566',
  state: { bucket: 'reflex-local-tfstate' },
  logRetentionDays: 1,
  tags: { environment: 'local' },
  reflexes: { 'instance-guard': { enabled: true } },
};
