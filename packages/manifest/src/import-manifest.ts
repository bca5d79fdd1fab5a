import { pathToFileURL } from 'node:url';
import type { ReflexManifest } from './manifest';

/** What a reflex's `src/manifest.ts` exports. */
export interface ManifestModule {
  readonly manifest?: ReflexManifest;
}

// A bundle cannot follow an import of a computed path: the CLI bundle replaces this module with one that
// imports every functions/*/src/manifest.ts by its literal path (scripts/src/lib/cli-bundle.ts).
/** Imports the manifest module at `file` (an absolute path). */
export async function importManifest(file: string): Promise<ManifestModule> {
  return (await import(pathToFileURL(file).href)) as ManifestModule;
}
