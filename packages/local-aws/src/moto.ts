import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A local AWS API that this process started (or was pointed at). */
export interface LocalAws {
  readonly endpoint: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

/** The moto server is not installed. */
export class MotoNotFoundError extends Error {
  override readonly name = 'MotoNotFoundError';
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Waits until `endpoint` answers HTTP, or fails after `timeoutMs`. */
export async function waitForEndpoint(endpoint: string, timeoutMs = 20_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode} before it answered`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`no AWS API answered at ${endpoint} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

/**
 * Starts `moto_server` on a free loopback port and waits until it answers.
 *
 * @throws MotoNotFoundError with install instructions when `moto_server` is not on PATH.
 */
export async function startMoto(options: { log?: (line: string) => void } = {}): Promise<LocalAws> {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  if (probe.error) {
    throw new MotoNotFoundError(
      'moto server is not installed (no `moto_server` on PATH). Install it with `pip install "moto[server]"`, ' +
        'or point Reflex at another local AWS API (LocalStack…) with REFLEX_AWS_ENDPOINT=http://127.0.0.1:4566.',
    );
  }
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (d: Buffer) => options.log?.(d.toString().trimEnd());
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  try {
    await waitForEndpoint(endpoint, 20_000, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}

/** An AWS API someone else runs (LocalStack, a shared moto): nothing to stop. */
export async function externalAws(endpoint: string): Promise<LocalAws> {
  await waitForEndpoint(endpoint, 5000);
  return { endpoint, stop: async () => {} };
}
