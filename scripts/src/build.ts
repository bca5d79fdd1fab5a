// Bundles every reflex under functions/ into dist/functions/<name>/index.mjs.
import { loadManifests, repoRoot } from '@reflex/manifest';
import { bundleFunction } from './lib/bundle';

const root = repoRoot();
const started = performance.now();
const manifests = await loadManifests(root);
const results = await Promise.all(manifests.map((m) => bundleFunction(root, m.name)));
for (const r of results) console.log(`built ${r.name}: ${(r.bytes / 1024).toFixed(1)} KiB`);
console.log(`${results.length} bundle(s) in ${Math.round(performance.now() - started)} ms`);
