import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build, type Plugin } from 'esbuild';
import { installSourceMappedStacks } from './source-mapped-stacks';

let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reflex-stacks-'));
  writeFileSync(
    join(dir, 'thrower.ts'),
    [
      '// A module that fails on line 4.',
      'export function failHere(reason: string): never {',
      '  const message = `failed: ${reason}`;',
      '  throw new Error(message);',
      '}',
      '',
    ].join('\n'),
  );
  // The fixture imports a module a plugin makes up: its map lists that source as `virtual:greeting`.
  writeFileSync(join(dir, 'entry.ts'), "import { greeting } from 'greeting';\nexport { failHere } from './thrower';\nexport const hello = greeting;\n");
  const virtual: Plugin = {
    name: 'virtual',
    setup(b) {
      b.onResolve({ filter: /^greeting$/ }, () => ({ path: 'greeting', namespace: 'virtual' }));
      b.onLoad({ filter: /.*/, namespace: 'virtual' }, () => ({ contents: "export const greeting = 'hello';", loader: 'js' }));
    },
  };
  bundle = join(dir, 'out', 'thrower.mjs');
  await build({
    entryPoints: [join(dir, 'entry.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    plugins: [virtual],
    logLevel: 'error',
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The stack of the error the bundle throws, formatted with the mapping installed. */
async function stackOfBundle(url = pathToFileURL(bundle).href): Promise<string> {
  const restore = installSourceMappedStacks();
  try {
    const { failHere } = (await import(url)) as { failHere: (reason: string) => never };
    try {
      failHere('on purpose');
    } catch (error) {
      return (error as Error).stack ?? '';
    }
    throw new Error('the fixture did not throw');
  } finally {
    restore();
  }
}

describe('installSourceMappedStacks', () => {
  it('names the TypeScript file and line of a frame in a minified bundle whose map lists a plugin module', async () => {
    const stack = await stackOfBundle();

    expect(stack.split('\n')[0]).toBe('Error: failed: on purpose');
    expect(stack).toMatch(new RegExp(`^    at \\S+ \\(${join(dir, 'thrower.ts')}:4:9\\)$`, 'm'));
    expect(stack).not.toContain('thrower.mjs');
  });

  it('maps a module instance loaded with a query string too', async () => {
    const stack = await stackOfBundle(`${pathToFileURL(bundle).href}?instance=2`);

    expect(stack).toContain(`${join(dir, 'thrower.ts')}:4:`);
  });

  it('leaves frames of files without a source map as V8 writes them', () => {
    const restore = installSourceMappedStacks();
    try {
      const stack = new Error('here').stack ?? '';

      expect(stack).toContain('source-mapped-stacks.test.ts');
    } finally {
      restore();
    }
  });
});
