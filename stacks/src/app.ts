import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadManifests, type ReflexManifest } from '@reflex/manifest';
import { App } from 'cdktf';
import { ENVIRONMENTS, type EnvConfigInput, memberAccountsOf, resolveEnvironment } from './envs';
import { ReflexStack } from './stacks/reflex-stack';
import { SpokeStack, spokeStackName } from './stacks/spoke-stack';

export interface SynthOptions {
  /** The workspace root (bundles are read from `dist/functions/<name>`). */
  readonly root: string;
  /** Where to write the Terraform JSON. @default `<root>/cdktf.out` */
  readonly outdir?: string;
  /** @default every environment in `src/envs` */
  readonly environments?: readonly EnvConfigInput[];
  /** @default every manifest under `functions/` */
  readonly manifests?: readonly ReflexManifest[];
}

/**
 * Builds one stack per environment from the manifests and writes `cdktf.out/stacks/<env>/cdk.tf.json`, and a
 * spoke stack per member account of an environment (`cdktf.out/stacks/<env>-spoke-<account>`).
 *
 * @throws InvalidEnvConfigError or InvalidManifestError naming the environment or reflex and the field.
 */
export async function synthAll(options: SynthOptions): Promise<App> {
  const manifests = options.manifests ?? (await loadManifests(options.root));
  const outdir = options.outdir ?? `${options.root}/cdktf.out`;
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir, skipValidation: false });
  const bundleDir = (name: string) => {
    const file = `${options.root}/dist/functions/${name}/index.mjs`;
    return existsSync(file) ? dirname(file) : missingBundle(name);
  };
  for (const input of options.environments ?? ENVIRONMENTS) {
    const { env, reflexes } = resolveEnvironment(input, manifests);
    new ReflexStack(app, env.name, {
      env,
      reflexes,
      bundleDir: env.compute === 'lambda' ? bundleDir : () => '',
    });
    // cdktf.out/stacks/<env>-spoke-<account>: one per member account.
    for (const member of memberAccountsOf(env)) new SpokeStack(app, `${env.name}-${spokeStackName(member.account)}`, { env, member, reflexes });
  }
  app.synth();
  return app;
}

function missingBundle(name: string): never {
  throw new Error(`no bundle for reflex "${name}" in dist/functions/${name}: run \`pnpm build\` (or \`pnpm synth\`, which builds first)`);
}
