// `cdktf synth` / `pnpm synth`: every environment into cdktf.out, then the policy checks over the result.
import { inspect } from 'node:util';
import { describeError, repoRoot } from '@reflex/manifest';
import { synthAll } from './app';
import { checkSynthesized, formatViolations } from './checks';
import { findProviderMirror, terraformEnv } from './terraform';

/**
 * A configuration or manifest that does not validate: exit code 2. By name, since manifests are loaded
 * through their own module graph, whose error classes are not this one's.
 */
const INVALID_INPUT = new Set(['InvalidEnvConfigError', 'InvalidManifestError', 'InvalidPatternError']);

const root = repoRoot();
const started = performance.now();
try {
  const app = await synthAll({ root });
  const violations = checkSynthesized(app.outdir);
  if (violations.length > 0) {
    console.error(formatViolations(violations));
    process.exit(1);
  }
  console.log(`synthesized into ${app.outdir} in ${Math.round(performance.now() - started)} ms; policy checks passed`);
  // Plain terraform (or OpenTofu) on cdktf.out/stacks/<env>: the CLI config that installs the AWS provider from
  // this machine's mirror ($REFLEX_TF_MIRROR, /opt/tf-plugins, …) when there is one, else from the registry.
  const mirror = findProviderMirror();
  console.log(
    `plain Terraform: export TF_CLI_CONFIG_FILE=${terraformEnv(root).TF_CLI_CONFIG_FILE} (AWS provider from ${mirror ?? 'the registry'})`,
  );
} catch (error) {
  // One line with the causes; the stack only when asked for.
  console.error(`synth failed: ${describeError(error, { names: false })}`);
  if (/^(1|true|yes)$/i.test(process.env.REFLEX_DEBUG ?? '')) console.error(inspect(error, { depth: 8 }));
  process.exit(INVALID_INPUT.has((error as Error | undefined)?.name ?? '') ? 2 : 1);
}
