import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';
import { REFLEX_LAUNCHER } from './reflex-cli';

const root = repoRoot();

describe('README', () => {
  it('shows the diagram `reflex graph` generates from the manifests', () => {
    const graph = execFileSync(process.execPath, [REFLEX_LAUNCHER, 'graph'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(`\`\`\`mermaid\n${graph.trimEnd()}\n\`\`\``);
  }, 30_000);

  it('quick start has exactly the two commands CI relies on', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 5));
    const commands = /```sh\n([\s\S]*?)```/.exec(quickStart)![1]!.trim().split('\n');
    expect(commands).toEqual(['npm i -g pnpm@10 && pnpm install && pnpm start', 'pnpm test']);
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toContain('\npnpm test\n');
  });
});
