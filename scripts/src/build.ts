// Bundles every reflex under functions/ into dist/functions/<name>/index.mjs, and the `reflex` CLI into
// dist/cli/reflex.mjs; `--cli` builds only the CLI (scripts/bin/reflex.mjs runs that when it is stale).
import { loadManifests, repoRoot } from '@reflex/manifest';
import { bundleFunction } from './lib/bundle';
import { bundleCli } from './lib/cli-bundle';

const root = repoRoot();
const cliOnly = process.argv.includes('--cli');
const started = performance.now();
const manifests = cliOnly ? [] : await loadManifests(root);
const [cli, ...results] = await Promise.all([bundleCli(root), ...manifests.map((m) => bundleFunction(root, m.name))]);
for (const r of results) console.log(`built ${r.name}: ${(r.bytes / 1024).toFixed(1)} KiB`);
console.log(`built the reflex CLI: ${(cli!.bytes / 1024).toFixed(1)} KiB from ${cli!.inputs} files`);
console.log(`${results.length} bundle(s) and the CLI in ${Math.round(performance.now() - started)} ms`);
