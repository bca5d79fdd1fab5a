// The plan summary as Markdown for a pull request: a headline with the totals, what needs attention first
// (widened permissions, possible message loss, destroys), the drift the plan corrects, then each environment
// reflex by reflex.
import { statementText } from './iam-diff';
import type { AttributeChange, Counts, EnvironmentSummary, PlanSummary, PolicyReport, ReflexSummary, ResourceSummary } from './plan-summary-schema';

/** A value as inline code, whatever backticks it holds. */
const code = (value: string) => {
  const fence = value.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${value}${fence.length > 1 ? ' ' : ''}${fence}`;
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `2 to create · 1 to replace`; parts with 0 left out, but for the first four when `all`. */
function countsText(counts: Counts, all = false): string {
  const parts: [number, string][] = [
    [counts.create, 'to create'],
    [counts.update, 'to update in place'],
    [counts.replace, 'to replace'],
    [counts.delete, 'to destroy'],
    [counts.forget, 'to forget (left in AWS, removed from the state)'],
  ];
  return parts.filter(([n], i) => (all && i < 4) || n > 0).map(([n, text]) => `${n} ${text}`).join(' · ') || 'no changes';
}

const where = (item: { environment: string; reflex: string }, environments: number) =>
  environments > 1 ? `**${item.environment} / ${item.reflex}**` : `**${item.reflex}**`;

const resourceText = (r: { type: string; name?: string; address: string }) => `${code(r.type)} ${r.name ? code(r.name) : code(r.address)}`;

function attributeText(a: AttributeChange): string {
  if (a.reformatted) return `${code(a.path)}: same JSON, written differently`;
  const notes = [a.forcesReplacement ? 'forces replacement' : '', a.revertsDrift ? 'undoes a change made outside Terraform' : ''].filter(Boolean);
  return `${code(a.path)}: ${code(a.before)} → ${code(a.after)}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

function permissionLines(p: PolicyReport): string[] {
  switch (p.kind) {
    case 'granted':
      return [`${code(p.attribute)}:`, ...(p.granted ?? []).map((s) => `  - ${s.sid ? `${code(s.sid)}: ` : ''}${statementText(s)}`)];
    case 'unknown':
      return [`${code(p.attribute)}: the new document is known only after apply — not compared`];
    case 'revoked':
      return [`${code(p.attribute)}: removed with the resource`];
    case 'unchanged':
      return [`${code(p.attribute)}: same statements, written anew`];
    default:
      return [
        `${code(p.attribute)}:`,
        ...p.widened.map((f) => `  - **widens** ${code(f.statement)}: ${f.text}${f.wildcard ? ' (wildcard)' : ''}`),
        ...p.narrowed.map((f) => `  - narrows ${code(f.statement)}: ${f.text}`),
      ];
  }
}

/** One changed resource: a line, and its attributes and permissions below it. */
function resourceLines(r: ResourceSummary): string[] {
  const head = [`${r.action === 'delete' || r.action === 'replace' ? `**${r.action}**` : r.action} ${resourceText(r)}`];
  if (r.reason) head.push(`— ${r.reason}`);
  if (r.replaceOrder === 'create-then-delete') head.push('(the new one first)');
  if (r.importing) head.push('(imported)');
  if (r.noEffect) head.push('— no effective change');
  if (r.noEffect) {
    const why = [
      ...(r.attributes ?? []).map((a) => `${code(a.path)} written differently`),
      ...(r.permissions ?? []).map((p) => `${code(p.attribute)} has the same statements`),
    ];
    return [`- ${head.join(' ')} (${why.join(', ')})`];
  }
  return [`- ${head.join(' ')}`, ...(r.attributes ?? []).map((a) => `  - ${attributeText(a)}`), ...(r.permissions ?? []).flatMap(nested)];
}

/** A policy report as a sub-item of a resource, its statements or findings one level deeper. */
const nested = (p: PolicyReport) => permissionLines(p).map((line, i) => (i === 0 ? `  - ${line}` : `  ${line}`));

/** A reflex's section: creations grouped by type (they are many in a new environment), the rest one by one. */
function reflexLines(r: ReflexSummary): string[] {
  const lines = [`#### ${r.shared ? 'shared (bus, API, forwarding, audit)' : r.name} — ${countsText(r.counts)}`, ''];
  const created = r.resources.filter((x) => x.action === 'create');
  const types = [...new Set(created.map((x) => x.type))];
  if (types.length) {
    lines.push('- creates:', ...types.map((t) => `  - ${code(t)}: ${created.filter((x) => x.type === t).map((x) => code(x.name ?? x.address)).join(', ')}`));
  }
  const granting = created.filter((c) => c.permissions?.length);
  if (granting.length) {
    lines.push('- grants:');
    for (const x of granting) {
      for (const p of x.permissions!) {
        const [first, ...rest] = permissionLines(p);
        lines.push(`  - ${resourceText(x)} ${first}`, ...rest.map((l) => `  ${l}`));
      }
    }
  }
  for (const x of r.resources.filter((c) => c.action !== 'create')) lines.push(...resourceLines(x));
  return [...lines, ''];
}

function environmentLines(env: EnvironmentSummary): string[] {
  const changed = env.reflexes.filter((r) => r.resources.length > 0);
  const unchanged = env.reflexes.filter((r) => r.resources.length === 0).map((r) => r.name);
  return [
    `### ${env.name} — ${countsText(env.counts)}`,
    '',
    `From ${env.files.map(code).join(', ')}${env.source === 'file' ? ' (environment named after the file: no `reflex:env` tag found)' : ''}.`,
    '',
    ...changed.flatMap(reflexLines),
    ...(unchanged.length ? [`Unchanged: ${unchanged.join(', ')}.`, ''] : []),
  ];
}

function attentionLines(summary: PlanSummary): string[] {
  const { widened, messageLoss, destroyed, unknownPolicies } = summary.attention;
  const n = summary.environments.length;
  if (!widened.length && !messageLoss.length && !destroyed.length && !unknownPolicies.length) {
    return ['### Needs attention', '', 'Nothing: no permission widens, no queue is replaced or destroyed, nothing is destroyed.', ''];
  }
  const lines = ['### ⚠️ Needs attention', ''];
  if (widened.length) {
    lines.push(`**Permissions widened (${widened.length})**`, '');
    for (const w of widened) {
      lines.push(`- ${where(w, n)} — ${resourceText(w)}, ${code(w.attribute)}:`);
      lines.push(...w.findings.map((f) => `  - ${code(f.statement)}: ${f.text}${f.wildcard ? ' (wildcard)' : ''}`));
    }
    lines.push('');
  }
  if (messageLoss.length) {
    lines.push(`**Possible message loss (${messageLoss.length})**`, '');
    for (const m of messageLoss) {
      const what = m.deadLetterQueue ? 'dead-letter queue' : 'queue';
      lines.push(`- ${where(m, n)} — ${what} ${code(m.name ?? m.address)} is ${m.action === 'replace' ? 'replaced' : 'destroyed'}${m.reason ? ` (${m.reason})` : ''}. ${m.advice}`);
    }
    lines.push('');
  }
  if (destroyed.length) {
    lines.push(`**Destroyed (${destroyed.length})**`, '');
    lines.push(...destroyed.map((d) => `- ${where(d, n)} — ${resourceText(d)}${d.replaced ? ' is replaced' : ' is destroyed'}${d.reason ? `: ${d.reason}` : ''}`), '');
  }
  if (unknownPolicies.length) {
    lines.push(`**Policies known only after apply (${unknownPolicies.length})** — review the configuration that builds them`, '');
    lines.push(...unknownPolicies.map((u) => `- ${where(u, n)} — ${resourceText(u)}, ${code(u.attribute)}`), '');
  }
  return lines;
}

function driftLines(summary: PlanSummary): string[] {
  const drift = summary.environments.flatMap((e) => e.drift);
  const other = summary.environments.reduce((total, e) => total + e.otherDrift.resources, 0);
  if (!drift.length && !other) return [];
  const n = summary.environments.length;
  const lines = ['### Drift (changed outside Terraform)', ''];
  for (const d of drift) {
    if (d.action === 'delete') {
      lines.push(`- ${where(d, n)} — ${resourceText(d)} was deleted outside Terraform; the plan creates it again`);
      continue;
    }
    const parts = d.attributes.map(
      (a) => `${code(a.path)} ${code(a.before)} → ${code(a.after)}${a.revertsDrift ? ', set back by this plan' : ', kept by this plan'}`,
    );
    lines.push(`- ${where(d, n)} — ${resourceText(d)}: ${parts.join('; ')}`);
  }
  const attributes = [...new Set(summary.environments.flatMap((e) => e.otherDrift.attributes))];
  if (other) lines.push(`- ${plural(other, 'more resource')} changed only in attributes this configuration does not set (${attributes.map(code).join(', ')})`);
  return [...lines, ''];
}

/**
 * The plan summary as Markdown to paste into a pull request.
 *
 * @example
 * process.stdout.write(planSummaryMarkdown(summarizePlans([{ label: 'plan.json', plan }])));
 * @see https://docs.github.com/en/get-started/writing-on-github
 */
export function planSummaryMarkdown(summary: PlanSummary): string {
  const envs = summary.environments.map((e) => e.name).join(', ');
  const c = summary.counts;
  const drifted = summary.environments.reduce((total, e) => total + e.drift.length, 0);
  const extra = [
    c.noOp ? `${c.noOp} unchanged` : '',
    c.read ? `${plural(c.read, 'data source')} read at apply` : '',
    drifted ? `${plural(drifted, 'resource')} drifted` : '',
  ].filter(Boolean);
  const lines = [
    `## Terraform plan: ${envs || 'no resources'}`,
    '',
    `**${countsText(c, true)}**${extra.length ? ` (${extra.join(', ')})` : ''}`,
    '',
    ...attentionLines(summary),
    ...driftLines(summary),
    ...(summary.warnings.length ? ['### Warnings', '', ...summary.warnings.map((w) => `- ${w}`), ''] : []),
    ...summary.environments.flatMap(environmentLines),
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
