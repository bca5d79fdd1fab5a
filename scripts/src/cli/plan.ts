import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  asTerraformPlan,
  NotAPlanError,
  type PlanInput,
  type PlanSummary,
  planSummaryJsonSchema,
  planSummaryMarkdown,
  summarizePlans,
} from '@reflex/guardrails';
import { type Command, EXIT, out, parseCommandArgs, plural, UsageError } from './common';

const HELP = `reflex plan summary <plan.json> [<plan.json> …] [--json] [--fail-on LIST]
reflex plan schema

  Summarizes Terraform plans for the reviewer of a deploy, as Markdown to paste into the pull request: the
  totals; what needs attention first — IAM permissions a change widens (new actions and wildcards, new
  resources or principals, conditions removed or loosened, a Deny removed), queues a replacement or destroy
  would empty (with how to drain them first), everything destroyed; the drift the plan corrects; then per
  environment and reflex what is created, updated in place (which attributes), replaced (and why) and
  destroyed, and what new policies grant. One file per environment or stack, each the JSON of a saved plan:
  terraform plan -out=plan.bin && terraform show -json plan.bin > plan.json   (.json.gz is read too)
  The environment is the resources' reflex:env tag; a resource belongs to the reflex its names carry
  (reflex-<env>-<reflex>…), else to "shared".

  --json           print the summary as JSON instead; "reflex plan schema" prints its JSON Schema
                   (packages/guardrails/schema/plan-summary.schema.json)
  --fail-on LIST   exit 1 after printing when the plans hold any of (comma-separated, for CI):
                   widen    a permission widens
                   loss     a queue or dead-letter queue is replaced or destroyed
                   destroy  anything is destroyed or replaced
                   drift    something changed outside Terraform that the plan sets back
                   unknown  a policy is known only after apply and could not be compared

  Exit codes: 0 summarized, 1 the plans hold what --fail-on names, 2 usage error (a missing file, a file
  that is not a plan's JSON — a state file, synthesized configuration, a binary plan).`;

/** What `--fail-on` can name, and how many of each a summary holds. */
const FAIL_ON: Readonly<Record<string, { count: (s: PlanSummary) => number; what: (n: number) => string }>> = {
  widen: { count: (s) => s.attention.widened.length, what: (n) => `${plural(n, 'policy', 'policies')} widen` },
  loss: { count: (s) => s.attention.messageLoss.length, what: (n) => `${plural(n, 'queue')} replaced or destroyed` },
  destroy: { count: (s) => s.attention.destroyed.length, what: (n) => `${plural(n, 'resource')} destroyed or replaced` },
  drift: {
    count: (s) => s.environments.reduce((total, e) => total + e.drift.length, 0),
    what: (n) => `${plural(n, 'resource')} drifted`,
  },
  unknown: { count: (s) => s.attention.unknownPolicies.length, what: (n) => `${plural(n, 'policy', 'policies')} known only after apply` },
};

function parseFailOn(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !Object.hasOwn(FAIL_ON, n));
  if (names.length === 0 || unknown.length) {
    throw new UsageError(`--fail-on takes a comma-separated list of ${Object.keys(FAIL_ON).join(', ')}${unknown.length ? `, got "${unknown.join('", "')}"` : ''}`);
  }
  return names;
}

/** A plan file read and checked: gzip by content, a binary plan and non-plan JSON refused with what to do instead. */
function readPlan(path: string): PlanInput {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  // A saved plan (plan.bin) is a zip archive.
  if (bytes.subarray(0, 4).toString('latin1') === 'PK\x03\x04') {
    throw new UsageError(`${path} is a saved plan file (binary): give its JSON, from \`terraform show -json ${path} > plan.json\``);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new UsageError(`${path} is not JSON (${(error as Error).message.replace(/\s+/g, ' ')}): give the JSON of a plan, from \`terraform show -json plan.bin > plan.json\``);
  }
  try {
    return { label: path, plan: asTerraformPlan(value, path) };
  } catch (error) {
    if (error instanceof NotAPlanError) throw new UsageError(error.message);
    throw error;
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean', default: false }, 'fail-on': { type: 'string' } });
  const [sub, ...files] = positionals;
  if (sub === 'schema') {
    if (files.length || values.json || values['fail-on'] !== undefined) throw new UsageError('"reflex plan schema" takes no files or options', true);
    out(JSON.stringify(planSummaryJsonSchema(), null, 2));
    return EXIT.ok;
  }
  if (sub !== 'summary') throw new UsageError(sub === undefined ? 'expected "summary" or "schema"' : `unknown plan command "${sub}" (known: summary, schema)`, true);
  if (files.length === 0) throw new UsageError('give at least one plan JSON file (terraform show -json plan.bin > plan.json)', true);
  const failOn = parseFailOn(values['fail-on']);
  const summary = summarizePlans(files.map(readPlan));
  process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : planSummaryMarkdown(summary));
  const failed = failOn.flatMap((name) => {
    const n = FAIL_ON[name]!.count(summary);
    return n > 0 ? [`${name}: ${FAIL_ON[name]!.what(n)}`] : [];
  });
  if (failed.length === 0) return EXIT.ok;
  process.stderr.write(`reflex plan: --fail-on ${failed.join('; ')}\n`);
  return EXIT.failed;
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'summarize Terraform plans for review: widened permissions, message loss, destroys, drift',
  help: HELP,
  run,
};
