// The entry of the CLI bundle, dist/cli/reflex.mjs (scripts/src/lib/cli-bundle.ts): stack traces in
// TypeScript files and lines, then the CLI itself.
import { installSourceMappedStacks } from './lib/source-mapped-stacks';

installSourceMappedStacks();
await import('./cli/main');
