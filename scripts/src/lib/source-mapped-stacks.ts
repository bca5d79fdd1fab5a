import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A linked map is named in the last line of its bundle; this much of the end of a file is read to find it. */
const TAIL_BYTES = 512;

const maps = new Map<string, SourceMap | null>();

/** The path of a frame's file: stack traces name ES modules by URL, with a query for a fresh instance. */
function pathOf(file: string): string | undefined {
  if (!file.startsWith('file:')) return file.startsWith('/') ? file : undefined;
  try {
    return fileURLToPath(file.replace(/[?#].*$/, ''));
  } catch {
    return undefined;
  }
}

/** The source map a file links (`//# sourceMappingURL=<file>` at its end), read and parsed once per file. */
function sourceMapOf(path: string): SourceMap | null {
  const cached = maps.get(path);
  if (cached !== undefined) return cached;
  let found: SourceMap | null = null;
  try {
    const fd = openSync(path, 'r');
    let tail: string;
    try {
      const size = fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(TAIL_BYTES, size));
      readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      tail = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
    const link = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(tail)?.[1];
    if (link && !link.startsWith('data:')) {
      const url = new URL(link, pathToFileURL(path)).href;
      const payload = JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as SourceMapPayload;
      // Sources are relative to the map; stack traces show them as paths. A plugin's module (`namespace:path`) stays as named.
      const sources = payload.sources.map((s) => {
        const source = new URL(`${payload.sourceRoot ?? ''}${s}`, url);
        return source.protocol === 'file:' ? fileURLToPath(source) : s;
      });
      found = new SourceMap({ ...payload, sources, sourceRoot: '' });
    }
  } catch {
    found = null; // unreadable or invalid: the frame stays as V8 wrote it
  }
  maps.set(path, found);
  return found;
}

/** One frame, as V8 writes it, with the original file, line and column when its file has a map (names stay minified, as under `--enable-source-maps`). */
function formatFrame(frame: NodeJS.CallSite): string {
  const text = String(frame);
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  const path = file ? pathOf(file) : undefined;
  if (!file || !path || line === null || column === null) return text;
  const mapped = sourceMapOf(path);
  if (!mapped) return text;
  const origin = mapped.findOrigin(line, column);
  if (!('fileName' in origin)) return text;
  const generated = `${file}:${line}:${column}`;
  const original = `${origin.fileName}:${origin.lineNumber}:${origin.columnNumber}`;
  const at = text.lastIndexOf(generated);
  return at < 0 ? text : `${text.slice(0, at)}${original}${text.slice(at + generated.length)}`;
}

function header(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

/**
 * Stack traces name the TypeScript file and line of frames in bundles that link a source map, as
 * `node --enable-source-maps` does. That flag parses every linked map when its module loads (~350 ms for the
 * CLI bundle's, on every run); this reads a map only when a stack trace with a frame in its bundle is
 * formatted. A no-op when Node maps stacks itself. Returns a function that puts the previous formatter back.
 *
 * @example
 * installSourceMappedStacks(); // before loading the bundle's code
 * @see https://nodejs.org/docs/latest-v22.x/api/module.html#class-modulesourcemap
 */
export function installSourceMappedStacks(): () => void {
  if (process.sourceMapsEnabled) return () => {};
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) => {
    // A stack captured on a plain object is a library's data (cdktf records where each token was made, at
    // load): mapping it would read the map on every run for nothing.
    if (!(error instanceof Error)) return [header(error), ...frames.map((frame) => `    at ${String(frame)}`)].join('\n');
    const lines = frames.map((frame) => {
      try {
        return `    at ${formatFrame(frame)}`;
      } catch {
        return `    at ${String(frame)}`;
      }
    });
    return [header(error), ...lines].join('\n');
  };
  return () => {
    Error.prepareStackTrace = previous;
  };
}
