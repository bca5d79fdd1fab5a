import {
  type AlarmTrigger,
  alarmName,
  alarmPattern,
  awsName,
  type EventPattern,
  eventPatterns,
  loadManifests,
  type ReflexManifest,
  repoRoot,
  servesHttp,
} from '@reflex/manifest';
import { type Command, EXIT, out, parseCommandArgs, UsageError } from './common';

const HELP = `reflex graph [--env NAME]

  Prints a mermaid flowchart of the event paths the manifests declare: default bus → forwarding rules →
  reflex bus → one rule per event trigger → queue (with its dead-letter queue) → function; schedule
  rules from the default bus; CloudWatch alarms → default bus → a rule per alarm trigger; signed callers →
  the HTTP API → a route per http trigger → function; messages a reflex sends to another's queue; Reflex
  Action events → audit queue and SNS topic. The same manifests give the same text.

  --env NAME   only the reflexes that environment enables, with the triggers of its config, under
               their AWS names (reflex-<env>-…)`;

/** What the graph needs to know about the deployment; without an environment, names stay generic. */
export interface GraphOptions {
  readonly env?: string;
  /** The SNS fan-out of Reflex Actions (not on local AWS APIs). @default true */
  readonly actionsTopic?: boolean;
  /** The forwarding rules, by source, as the stacks build them (`forwardingPatterns`). */
  readonly forwarding: ReadonlyMap<string, readonly string[] | undefined>;
  /** Reflexes whose queue the environment leaves to an external worker instead of their function. */
  readonly workers?: ReadonlySet<string>;
}

const MAX_LINE = 60;

/** A mermaid node id: letters, digits and underscores. */
const id = (...parts: (string | number)[]) => parts.join('_').replace(/[^A-Za-z0-9_]/g, '_');

/** A quoted mermaid label; `<br/>` separates lines, everything else is text. */
const label = (...lines: string[]) =>
  `"${lines
    .map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE - 1)}…` : l))
    .map((l) => l.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>')}"`;

/** One matcher of a pattern's value list, briefly: `stopped`, `prefix "i-"`, `numeric > 0`. */
function matcher(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? value : JSON.stringify(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([kind, arg]) => {
      if (Array.isArray(arg)) return `${kind} ${arg.map((a) => (typeof a === 'string' && kind === 'numeric' ? a : matcher(a))).join(' ')}`;
      if (arg !== null && typeof arg === 'object') return `${kind} ${matcher(arg)}`;
      return `${kind} ${JSON.stringify(arg)}`;
    })
    .join(', ');
}

/** The lines of a pattern's summary: `source: aws.ec2`, `state: stopped` (`detail.` left out). */
export function summarizePattern(pattern: EventPattern, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const shown = path.replace(/^detail\./, '');
    if (key === '$or' && Array.isArray(value)) lines.push(`${prefix ? `${shown}: ` : ''}any of ${value.length} alternatives`);
    else if (Array.isArray(value)) lines.push(`${shown}: ${value.map(matcher).join(' | ')}`);
    else if (value !== null && typeof value === 'object') lines.push(...summarizePattern(value as EventPattern, path));
    else lines.push(`${shown}: ${JSON.stringify(value)}`);
  }
  return lines;
}

const COMPARISON: Record<AlarmTrigger['comparisonOperator'], string> = {
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '>=',
};

/** The lines of an alarm's summary: `AWS/DX ConnectionState`, `ConnectionId: dxcon-1`, `Minimum < 1, 3 of 3 × 60 s`. */
export function summarizeAlarm(alarm: AlarmTrigger): string[] {
  const { evaluationPeriods: n, datapointsToAlarm: m = n } = alarm;
  return [
    `${alarm.namespace} ${alarm.metricName}`,
    ...Object.entries(alarm.dimensions).map(([name, value]) => `${name}: ${value}`),
    `${alarm.statistic} ${COMPARISON[alarm.comparisonOperator]} ${alarm.threshold}, ${m} of ${n} × ${alarm.periodSeconds} s`,
    `missing data: ${alarm.treatMissingData}`,
  ];
}

/**
 * The mermaid flowchart of the event paths of `manifests`. Deterministic: manifests, triggers and
 * pattern fields in their declared order, forwarding rules by source.
 */
export function renderGraph(manifests: readonly ReflexManifest[], options: GraphOptions): string {
  const { env } = options;
  const name = (n: string, suffix?: string) => (env ? awsName(env, n, suffix) : [n, suffix].filter(Boolean).join('-'));
  const lines = ['flowchart LR'];
  const add = (line: string) => lines.push(`  ${line}`);

  add(`defaultBus[(${label('default bus')})]`);
  add(`reflexBus[(${label('reflex bus', ...(env ? [awsName(env, 'bus')] : []))})]`);

  for (const [source, detailTypes] of options.forwarding) {
    const node = id('forward', source.replace(/^aws\./, ''));
    const rule = env ? [`rule ${awsName(env, 'forward', source.replace(/^aws\./, ''))}`] : [];
    add(`${node}{{${label(`forward ${source}`, ...rule, ...(detailTypes ?? ['every detail-type']))}}}`);
    add(`defaultBus --> ${node} --> reflexBus`);
  }

  if (manifests.some(servesHttp)) {
    add(`callers((${label('signed callers', 'on-prem automation')}))`);
    add(`httpApi[/${label(`HTTP API${env ? ` ${awsName(env, 'api')}` : ''}`, 'IAM (SigV4), throttled, access logs')}/]`);
    add('callers --> httpApi');
  }

  for (const manifest of manifests) {
    const queue = id('queue', manifest.name);
    const dlq = id('dlq', manifest.name);
    const fn = id('fn', manifest.name);
    add(`%% ${manifest.name}`);
    manifest.triggers.forEach((trigger, index) => {
      const rule = id('rule', manifest.name, index);
      if (trigger.kind === 'event') {
        add(`${rule}{{${label(`rule ${name(manifest.name, String(index))}`, ...summarizePattern(trigger.pattern))}}}`);
        add(`reflexBus --> ${rule} --> ${queue}`);
      } else if (trigger.kind === 'schedule') {
        add(`${rule}{{${label(`schedule ${name(manifest.name, String(index))}`, trigger.expression)}}}`);
        add(`defaultBus --> ${rule} --> ${queue}`);
      } else if (trigger.kind === 'alarm') {
        // CloudWatch sends the alarm's state changes to the default bus, where its rule matches them by name.
        const alarm = id('alarm', manifest.name, index);
        const shown = env ? alarmName(env, manifest.name, trigger) : name(manifest.name, trigger.name);
        const pattern = { ...alarmPattern(env ?? 'local', manifest.name, trigger), detail: { alarmName: [shown] } };
        add(`${alarm}[/${label(`alarm ${shown}`, ...summarizeAlarm(trigger))}/]`);
        add(`${alarm} -->|${label('state changes')}| defaultBus`);
        add(`${rule}{{${label(`rule ${name(manifest.name, String(index))}`, ...summarizePattern(pattern))}}}`);
        add(`defaultBus --> ${rule} --> ${queue}`);
      } else if (trigger.kind === 'queue') {
        add(`%% trigger #${index}: messages sent straight to the queue${trigger.description ? ` (${trigger.description})` : ''}`);
      } else {
        add(`${rule}{{${label(`route ${trigger.method} ${trigger.path}`)}}}`);
        add(`httpApi --> ${rule} --> ${fn}`);
      }
    });
    if (servesHttp(manifest)) {
      // API Gateway invokes the function synchronously: no queue in between.
      add(`${fn}[${label(`function ${name(manifest.name)}`, `${manifest.memoryMb} MB, ${manifest.timeoutSeconds} s`)}]`);
      add(`${fn} -->|${label('Reflex Action')}| reflexBus`);
      continue;
    }
    add(`${queue}[[${label(`queue ${name(manifest.name)}`, 'SSE, TLS-only')}]]`);
    add(`${dlq}[[${label(`dead-letter queue ${name(manifest.name, 'dlq')}`)}]]`);
    const worker = options.workers?.has(manifest.name) ?? false;
    add(
      worker
        ? `${fn}[${label(`worker for ${name(manifest.name)}`, 'external: reflex ipam worker')}]`
        : `${fn}[${label(`function ${name(manifest.name)}`, `${manifest.memoryMb} MB, ${manifest.timeoutSeconds} s`)}]`,
    );
    add(`${queue} -->|${label(`after ${manifest.maxReceiveCount} receives`)}| ${dlq}`);
    add(`${queue} -->|${label(worker ? 'long-poll' : `batch ${manifest.batchSize}, ReportBatchItemFailures`)}| ${fn}`);
    if (!worker) add(`${fn} -->|${label('Reflex Action')}| reflexBus`);
    for (const target of manifest.sendsTo) add(`${fn} -->|${label('messages')}| ${id('queue', target)}`);
  }

  const actions = env ? [awsName(env, 'actions')] : [];
  add(`actionsRule{{${label('rule Reflex Action', ...actions, 'source: reflex', 'detail-type: Reflex Action')}}}`);
  add(`auditQueue[[${label('audit queue', ...actions)}]]`);
  add('reflexBus --> actionsRule --> auditQueue');
  if (options.actionsTopic ?? true) {
    add(`actionsTopic((${label('SNS topic', ...actions)}))`);
    add('actionsRule --> actionsTopic');
  }
  return `${lines.join('\n')}\n`;
}

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print a mermaid flowchart of the event paths the manifests declare',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      env: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, true);
    const { ENVIRONMENTS, forwardingPatterns, resolveEnvironment } = await import('@reflex/stacks');
    let manifests = await loadManifests(repoRoot());
    let actionsTopic = true;
    const workers = new Set<string>();
    if (values.env !== undefined) {
      const input = ENVIRONMENTS.find((e) => e.name === values.env);
      if (!input) throw new UsageError(`unknown environment "${values.env}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
      const { env, reflexes } = resolveEnvironment(input, manifests);
      // The triggers for the environment's config, as the stacks build them (alarms named in the config…).
      const enabled = new Map(reflexes.map((r) => [r.manifest.name, r.triggers]));
      manifests = manifests.filter((m) => enabled.has(m.name)).map((m) => ({ ...m, triggers: enabled.get(m.name)! }));
      actionsTopic = !env.endpoint;
      for (const r of reflexes) if (r.consumer === 'worker') workers.add(r.manifest.name);
    }
    const forwarding = forwardingPatterns(manifests.flatMap(eventPatterns));
    process.stdout.write(
      renderGraph(manifests, { ...(values.env !== undefined ? { env: values.env } : {}), actionsTopic, forwarding, workers }),
    );
    return EXIT.ok;
  },
};
