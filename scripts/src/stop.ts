// `pnpm stop`: stops the local mode of this checkout from another terminal, as Ctrl-C does in its own: sends
// SIGTERM to the process that holds .reflex/local.lock and waits until it has stopped what it started.
import { repoRoot } from '@reflex/manifest';
import { isAlive, readLock } from './local/lock';

const GRACE_MS = 15_000;
const root = repoRoot();
const lock = readLock(root);

if (!lock || !isAlive(lock.pid)) {
  console.log(lock ? `local mode is not running (its last process, pid ${lock.pid}, is gone)` : 'local mode is not running');
  process.exit(0);
}
console.log(`stopping local mode (pid ${lock.pid}${lock.endpoint ? `, ${lock.endpoint}` : ''})…`);
process.kill(lock.pid, 'SIGTERM');
const deadline = Date.now() + GRACE_MS;
while (isAlive(lock.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
if (isAlive(lock.pid)) {
  // Stuck: end it and its moto server (which would go with it anyway: it watches its stdin).
  process.kill(lock.pid, 'SIGKILL');
  if (lock.motoPid && isAlive(lock.motoPid)) process.kill(lock.motoPid, 'SIGKILL');
  console.error(`local mode (pid ${lock.pid}) did not stop within ${GRACE_MS / 1000} s: killed it`);
  process.exit(1);
}
console.log('local mode stopped');
