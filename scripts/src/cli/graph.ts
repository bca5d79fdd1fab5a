import {
  type AlarmTrigger,
  alarmName,
  alarmPattern,
  analyzeLoops,
  awsName,
  type EventPattern,
  eventPatterns,
  type LoopAnalysis,
  loadManifests,
  permissionsOf,
  type ReflexManifest,
  repoRoot,
  servesHttp,
  triggerPattern,
} from '@reflex/manifest';
import * as z from '@reflex/events/zod';
import { type Command, EXIT, out, parseCommandArgs, UsageError } from './common';

const HELP = `reflex graph [--env NAME] [--loops]

  Prints a mermaid flowchart of the event paths the manifests declare: default bus → forwarding rules →
  reflex bus → one rule per event trigger → queue (with its dead-letter queue) → function; schedule
  rules from the default bus; CloudWatch alarms → default bus → a rule per alarm trigger; signed callers →
  the HTTP API → a route per http trigger → function; messages a reflex sends to another's queue; Reflex
  Action events → audit queue and SNS topic. The same manifests give the same text.

  --env NAME   only the reflexes that environment enables, with the triggers of its config, under
               their AWS names (reflex-<env>-…)
  --loops      the loop analysis instead: each reflex → an action it may take → the events it causes →
               the rule of a reflex they match. Edges a guard cuts are dashed and name the guard; edges
               of a loop that no guard cuts are thick (synth fails on them). Without --env, every
               reflex with its default config.`;

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

/**
 * The mermaid flowchart of a loop analysis: reflex → action → events → rule → reflex. Edges a guard cuts are
 * dashed and labelled with the guard; an uncut edge on a loop is thick.
 */
export function renderLoopGraph(analysis: LoopAnalysis, patterns: ReadonlyMap<string, readonly (EventPattern | undefined)[]>): string {
  const lines = ['flowchart LR'];
  const add = (line: string) => lines.push(`  ${line}`);
  const declared = new Set<string>();
  const once = (nodeId: string, line: string) => {
    if (!declared.has(nodeId)) add(line);
    declared.add(nodeId);
  };
  const onLoop = new Set(analysis.loops.flatMap((l) => l.uncut));
  for (const edge of analysis.edges) {
    const from = id('reflex', edge.from);
    const to = id('reflex', edge.to);
    const action = id('action', edge.from, edge.action);
    const events = id('events', edge.from, edge.action, edge.events.join(' '));
    const rule = id('rule', edge.to, edge.trigger);
    once(from, `${from}([${label(edge.from)}])`);
    once(to, `${to}([${label(edge.to)}])`);
    once(action, `${action}[/${label(edge.action)}/]`);
    once(events, `${events}[${label(...edge.events)}]`);
    const pattern = patterns.get(edge.to)?.[edge.trigger];
    once(rule, `${rule}{{${label(...(pattern ? [`${edge.to} trigger ${edge.trigger}`, ...summarizePattern(pattern)] : [`${edge.to} queue`]))}}}`);
    once(`${from}>${action}`, `${from} --> ${action}`);
    once(`${action}>${events}`, `${action} --> ${events}`);
    if (edge.cutBy.length > 0) add(`${events} -.->|${label(`cut: ${edge.cutBy.map((c) => c.guard).join(', ')}`)}| ${rule}`);
    else add(`${events} ${onLoop.has(edge) ? '==>|' + label('LOOP') + '|' : '-->'} ${rule}`);
    once(`${rule}>${to}`, `${rule} --> ${to}`);
  }
  if (analysis.edges.length === 0) add(`none[${label('no action of a reflex matches a rule')}]`);
  return `${lines.join('\n')}\n`;
}

/**
 * The loop analysis of every manifest with its default config (reflexes whose config needs values are left out),
 * each calling AWS with its own role, as a function does (an environment may leave one to a worker: --env).
 */
function defaultLoops(manifests: readonly ReflexManifest[]): { analysis: LoopAnalysis; manifests: readonly ReflexManifest[] } {
  const usable = manifests.flatMap((m) => {
    const config = z.safeParse(m.config, {});
    return config.success ? [{ manifest: m, config: config.data }] : [];
  });
  const analysis = analyzeLoops(
    usable.map(({ manifest, config }) => ({ name: manifest.name, triggers: manifest.triggers, permissions: permissionsOf(manifest, config), sendsTo: manifest.sendsTo, loopGuard: manifest.loopGuard })),
    'ENV',
  );
  return { analysis, manifests: usable.map((u) => u.manifest) };
}

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print a mermaid flowchart of the event paths the manifests declare',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      env: { type: 'string' },
      loops: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, true);
    const { ENVIRONMENTS, environmentLoops, forwardingPatterns, resolveEnvironment } = await import('@reflex/stacks');
    let manifests = await loadManifests(repoRoot());
    if (values.loops) {
      const input = values.env === undefined ? undefined : ENVIRONMENTS.find((e) => e.name === values.env);
      if (values.env !== undefined && !input) throw new UsageError(`unknown environment "${values.env}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
      const { analysis, patterns } = input
        ? (() => {
            const { env, reflexes } = resolveEnvironment(input, manifests, { loops: 'report' });
            const patterns = new Map(reflexes.map((r) => [r.manifest.name, r.triggers.map((t) => triggerPattern(t, { env: env.name, reflex: r.manifest.name }))]));
            return { analysis: environmentLoops(env.name, reflexes), patterns };
          })()
        : (() => {
            const { analysis, manifests: used } = defaultLoops(manifests);
            return { analysis, patterns: new Map(used.map((m) => [m.name, m.triggers.map((t) => triggerPattern(t, { env: 'ENV', reflex: m.name }))])) };
          })();
      process.stdout.write(renderLoopGraph(analysis, patterns));
      return EXIT.ok;
    }
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
