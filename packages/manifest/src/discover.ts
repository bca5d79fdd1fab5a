import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { importManifest } from './import-manifest';
import { InvalidManifestError, type ReflexManifest } from './manifest';

/** The workspace root: the nearest folder above `from` that holds `pnpm-workspace.yaml`. */
export function repoRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}: run Reflex commands inside the repository`);
    dir = parent;
  }
  return dir;
}

/** Where a reflex's package lives. */
export function functionDir(root: string, name: string): string {
  return join(root, 'functions', name);
}

/**
 * Loads the manifest of every package under `functions/` (its `src/manifest.ts` exports `manifest`).
 * Adding a reflex is adding such a package: nothing else lists them.
 *
 * @throws InvalidManifestError when a package has no manifest or its name differs from its folder's.
 */
export async function loadManifests(root: string = repoRoot()): Promise<ReflexManifest[]> {
  const dir = join(root, 'functions');
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const manifests: ReflexManifest[] = [];
  for (const name of names) {
    const file = join(dir, name, 'src', 'manifest.ts');
    if (!existsSync(file)) throw new InvalidManifestError(`functions/${name} has no src/manifest.ts`);
    const mod = await importManifest(file);
    if (!mod.manifest) throw new InvalidManifestError(`functions/${name}/src/manifest.ts does not export "manifest"`);
    if (mod.manifest.name !== name) {
      throw new InvalidManifestError(`functions/${name}: the manifest is named "${mod.manifest.name}"; name it after its folder`);
    }
    manifests.push(mod.manifest);
  }
  return manifests;
}
