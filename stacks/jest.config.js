import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The test files of one run share the synth of every environment (synthesizeEnvironments in test/support.ts):
// synthesized once per distinct input into this dir, copied for each file, removed when jest exits. Not in
// watch mode, where one process runs the tests again after sources change.
const watching = process.argv.some((arg) => /^--watch(All)?(=|$)/.test(arg));
if (!watching && !process.env.REFLEX_STACKS_SYNTH_DIR) {
  const dir = join(tmpdir(), `reflex-synth-${process.pid}-${Date.now()}`);
  process.env.REFLEX_STACKS_SYNTH_DIR = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

export default { ...(await import('../jest.config.base.js')).base };
