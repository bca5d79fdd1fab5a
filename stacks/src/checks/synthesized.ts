import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Block = Record<string, unknown>;

/** One synthesized stack: its name and its Terraform JSON. */
export interface SynthesizedStack {
  readonly name: string;
  readonly json: { resource?: Record<string, Record<string, Block>>; data?: Record<string, Record<string, Block>> };
}

/** A broken rule, naming the stack and the resource. */
export interface Violation {
  readonly check: string;
  readonly stack: string;
  readonly address: string;
  readonly message: string;
}

/** One policy check over a synthesized stack (a rule per file, grouped into a pack in `index.ts`). */
export interface Check {
  readonly id: string;
  readonly description: string;
  run(stack: SynthesizedStack): Omit<Violation, 'check' | 'stack'>[];
}

/** Reads every stack under `<outdir>/stacks`. */
export function readSynthesized(outdir: string): SynthesizedStack[] {
  const dir = join(outdir, 'stacks');
  if (!existsSync(dir)) throw new Error(`nothing synthesized in ${outdir}`);
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, json: JSON.parse(readFileSync(join(dir, name, 'cdk.tf.json'), 'utf8')) }));
}

/** The resources of one type, as `[address, block]`. */
export function resources(stack: SynthesizedStack, type: string): [string, Block][] {
  return Object.entries(stack.json.resource?.[type] ?? {}).map(([id, block]) => [`${type}.${id}`, block]);
}

/** The address a `${type.id.attr}` reference points at, e.g. `aws_sqs_queue.q` for `${aws_sqs_queue.q.arn}`. */
export function referencedAddress(value: unknown, type: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = new RegExp(`\\$\\{(${type.replace('.', '\\.')}\\.[^.}]+)\\.[a-z_]+\\}`).exec(value);
  return match?.[1];
}

/** An IAM statement as the `aws_iam_policy_document` data source takes it. */
export interface Statement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly resources?: string[];
  readonly principals?: { type: string; identifiers: string[] }[];
  readonly condition?: { test: string; variable: string; values: string[] }[];
}

/** Every policy document of a stack, keyed by address. */
export function policyDocuments(stack: SynthesizedStack): Map<string, Statement[]> {
  const docs = stack.json.data?.aws_iam_policy_document ?? {};
  return new Map(
    Object.entries(docs).map(([id, block]) => [`data.aws_iam_policy_document.${id}`, (block.statement as Statement[]) ?? []]),
  );
}

/** The statements of the policy document a `${data.aws_iam_policy_document.x.json}` reference names. */
export function referencedStatements(stack: SynthesizedStack, reference: unknown): Statement[] | undefined {
  const address = referencedAddress(reference, 'data.aws_iam_policy_document');
  return address ? policyDocuments(stack).get(address) : undefined;
}

/** A queue's policy: the queue's own `policy` attribute, or an `aws_sqs_queue_policy` naming the queue. */
export interface QueuePolicy {
  /** Where the policy is set: the queue, or the `aws_sqs_queue_policy` resource. */
  readonly address: string;
  /** The queue it applies to. */
  readonly queue: string | undefined;
  readonly statements: Statement[];
}

/** Every queue policy of a stack, inline (`aws_sqs_queue.policy`) or separate (`aws_sqs_queue_policy`). */
export function queuePolicies(stack: SynthesizedStack): QueuePolicy[] {
  return [
    ...resources(stack, 'aws_sqs_queue')
      .filter(([, q]) => q.policy !== undefined)
      .map(([address, q]) => ({ address, queue: address, statements: referencedStatements(stack, q.policy) ?? [] })),
    ...resources(stack, 'aws_sqs_queue_policy').map(([address, p]) => ({
      address,
      queue: referencedAddress(p.queue_url, 'aws_sqs_queue'),
      statements: referencedStatements(stack, p.policy) ?? [],
    })),
  ];
}
