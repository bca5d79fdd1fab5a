// `cdktf synth` / `pnpm synth`: every environment into cdktf.out, then the policy checks over the result.
import { repoRoot } from '@reflex/manifest';
import { synthAll } from './app';
import { checkSynthesized, formatViolations } from './checks';

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
} catch (error) {
  console.error(`synth failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
