// Fixtures for tests of what reads manifests (the CLI, synth). Tests only.
import { fileURLToPath } from 'node:url';

/**
 * The source of a `functions/bad/src/manifest.ts` whose event pattern is invalid (`detail.state` is a
 * value, not an array of match values): loading it fails with InvalidManifestError.
 */
export const INVALID_PATTERN_MANIFEST = `import { defineReflex } from ${JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url)))};
import * as z from '@reflex/events/zod';
export const manifest = defineReflex({
  name: 'bad',
  description: 'A reflex whose event pattern is invalid.',
  triggers: [{ kind: 'event', pattern: { source: ['aws.ec2'], detail: { state: 'stopped' } } }],
  permissions: () => [],
  config: z.object({}),
});
`;
