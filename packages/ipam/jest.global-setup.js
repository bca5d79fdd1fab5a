// One directory for the run, where the first test file that needs a new PGlite cluster makes it for all
// (src/test-cluster.ts); removed by jest.global-teardown.js.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  process.env.IPAM_TEST_CLUSTER_ROOT = mkdtempSync(join(tmpdir(), 'reflex-ipam-cluster-'));
}
