/**
 * A structured logger: a Powertools `Logger` fits as it is, so do `consoleLog` and `lineLog(…)`.
 *
 * @example
 * const log: WorkerLog = new Logger({ serviceName: 'reflex-ipam-sync' });
 */
export interface WorkerLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * A `WorkerLog` that writes one JSON line per entry to the console.
 *
 * @example
 * new IpamWorker({ db, source, log: consoleLog });
 */
export const consoleLog: WorkerLog = {
  info: (message, extra) => console.info(JSON.stringify({ level: 'INFO', message, ...extra })),
  warn: (message, extra) => console.warn(JSON.stringify({ level: 'WARN', message, ...extra })),
  error: (message, extra) => console.error(JSON.stringify({ level: 'ERROR', message, ...extra })),
};

/**
 * A `WorkerLog` for a terminal: warnings and errors as `ipam worker warn: <message> {extra}` lines through
 * `write`; info entries are left out.
 *
 * @example
 * new IpamWorker({ db, source, log: lineLog((line) => process.stderr.write(`${line}\n`)) });
 */
export function lineLog(write: (line: string) => void): WorkerLog {
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    write(`ipam worker ${level}: ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`);
  return { info: () => {}, warn: line('warn'), error: line('error') };
}

/** A `WorkerLog` that logs nothing: the default. */
export const silentLog: WorkerLog = { info() {}, warn() {}, error() {} };
