import { rmSync } from 'node:fs';

export default function teardown() {
  if (process.env.IPAM_TEST_CLUSTER_ROOT) rmSync(process.env.IPAM_TEST_CLUSTER_ROOT, { recursive: true, force: true });
}
