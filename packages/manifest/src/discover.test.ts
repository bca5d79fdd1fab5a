import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { functionDir, loadManifests, repoRoot } from './discover';
import { InvalidManifestError } from './manifest';

describe('repoRoot', () => {
  it('finds the folder that holds pnpm-workspace.yaml from inside a package', () => {
    const root = repoRoot(fileURLToPath(new URL('.', import.meta.url)));

    expect(root).toBe(resolve(fileURLToPath(new URL('../../..', import.meta.url))));
  });

  it('throws outside a workspace, naming the folder it started from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-no-workspace-'));
    try {
      expect(() => repoRoot(dir)).toThrow(`no pnpm-workspace.yaml above ${dir}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('functionDir', () => {
  it('is functions/<name> under the root', () => {
    expect(functionDir('/repo', 'instance-guard')).toBe('/repo/functions/instance-guard');
  });
});

describe('loadManifests on the repository', () => {
  it('returns the manifest of every reflex under functions/, sorted by name', async () => {
    const manifests = await loadManifests(repoRoot());

    expect(manifests.map((m) => m.name)).toEqual(['auto-heal', 'instance-guard', 'instance-scheduler', 'ip-blocker', 'ipam-enricher', 'ipam-reconciler', 'ipam-sync', 'reaper', 'resource-tagger', 'route-api', 'route-failover']);
    expect(manifests[0]?.triggers[0]).toMatchObject({ kind: 'event' });
  });
});

describe('loadManifests on a folder of broken reflexes', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'reflex-manifest-'));
    mkdirSync(join(root, 'functions'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const writeManifest = (name: string, source: string) => {
    mkdirSync(join(root, 'functions', name, 'src'), { recursive: true });
    writeFileSync(join(root, 'functions', name, 'src', 'manifest.ts'), source);
  };

  it('throws InvalidManifestError when a function has no src/manifest.ts', async () => {
    mkdirSync(join(root, 'functions', 'x'));

    await expect(loadManifests(root)).rejects.toThrow(new InvalidManifestError('functions/x has no src/manifest.ts'));
  });

  it('throws InvalidManifestError when src/manifest.ts does not export manifest', async () => {
    writeManifest('x', 'export const other = { name: "x" };\n');

    await expect(loadManifests(root)).rejects.toThrow(
      new InvalidManifestError('functions/x/src/manifest.ts does not export "manifest"'),
    );
  });

  it('throws InvalidManifestError when the manifest is not named after its folder', async () => {
    writeManifest('x', 'export const manifest = { name: "y" };\n');

    await expect(loadManifests(root)).rejects.toThrow(
      new InvalidManifestError('functions/x: the manifest is named "y"; name it after its folder'),
    );
  });

  it('returns the manifests sorted by folder, ignoring files beside the folders', async () => {
    writeManifest('beta', 'export const manifest = { name: "beta" };\n');
    writeManifest('alpha', 'export const manifest = { name: "alpha" };\n');
    writeFileSync(join(root, 'functions', 'README.md'), '# functions\n');

    const manifests = await loadManifests(root);

    expect(manifests.map((m) => m.name)).toEqual(['alpha', 'beta']);
  });
});
