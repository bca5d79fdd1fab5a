import { describe, expect, it } from '@jest/globals';
import { fixturePlan, summarize } from '../fixtures/plan-fixtures';
import { planSummaryMarkdown } from './markdown';

/** The text of a `### ` section: from its heading to the next one. */
const section = (markdown: string, heading: string) => {
  const start = markdown.indexOf(`\n### ${heading}`);
  if (start < 0) throw new Error(`no section "${heading}" in:\n${markdown}`);
  const end = markdown.indexOf('\n### ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
};

describe('the Markdown of the change to local', () => {
  const markdown = planSummaryMarkdown(summarize(['local-change.json', fixturePlan('local-change')]));

  it('starts with the totals', () => {
    expect(markdown.split('\n').slice(0, 3)).toEqual([
      '## Terraform plan: local',
      '',
      '**0 to create · 17 to update in place · 1 to replace · 0 to destroy** (61 unchanged, 8 data sources read at apply, 2 resources drifted)',
    ]);
  });

  it('puts what needs attention before the environment', () => {
    expect(markdown.indexOf('### ⚠️ Needs attention')).toBeLessThan(markdown.indexOf('### local'));
  });

  it('names the widened permissions: new action, wildcard, new resource, removed condition', () => {
    const attention = section(markdown, '⚠️ Needs attention');
    expect(attention).toContain('**Permissions widened (2)**');
    expect(attention).toContain('- **instance-guard** — `aws_iam_role_policy` `reflex-local-instance-guard/reflex`, `policy`:');
    expect(attention).toContain('  - `ReadInstances`: new action `ec2:Describe*` (wildcard)');
    expect(attention).toContain('  - `StartProtectedInstances`: new action `ec2:StopInstances`');
    expect(attention).toContain('  - `StartProtectedInstances`: new resource `arn:aws:ec2:us-east-1:123456789012:volume/*` (wildcard)');
    expect(attention).toContain('  - `StartProtectedInstances`: condition removed: `StringEquals aws:ResourceTag/reflex:protect = true`');
  });

  it('warns of message loss in the replaced queue, with how to drain it', () => {
    const attention = section(markdown, '⚠️ Needs attention');
    expect(attention).toContain('**Possible message loss (1)**');
    expect(attention).toMatch(/- \*\*instance-scheduler\*\* — queue `reflex-local-instance-scheduler` is replaced \(`name` cannot change in place\)\. Messages still in it are lost.*ApproximateNumberOfMessages.*drain it/);
    expect(attention).toContain('**Destroyed (1)**');
  });

  it('lists the drift and whether the plan sets it back', () => {
    const drift = section(markdown, 'Drift');
    expect(drift).toContain('- **ip-blocker** — `aws_sqs_queue` `reflex-local-ip-blocker`: `visibility_timeout_seconds` `360` → `30`, set back by this plan');
    expect(drift).toContain('- 8 more resources changed only in attributes this configuration does not set (`inline_policy`)');
  });

  it('lists each reflex with its changes, updates without effect on one line', () => {
    const local = section(markdown, 'local');
    expect(local).toContain('#### instance-scheduler — 2 to update in place · 1 to replace');
    expect(local).toContain('- **replace** `aws_sqs_queue` `reflex-local-instance-scheduler-main` — `name` cannot change in place');
    expect(local).toContain('  - `name`: `reflex-local-instance-scheduler` → `reflex-local-instance-scheduler-main` (forces replacement)');
    expect(local).toContain(
      '- update `aws_sqs_queue` `reflex-local-ipam-sync` — no effective change (`redrive_policy` written differently)',
    );
    expect(local).toContain('Unchanged: route-api.');
  });
});

describe('the Markdown of dev on empty state', () => {
  const markdown = planSummaryMarkdown(summarize(['dev-create.json', fixturePlan('dev-create')]));

  it('says nothing needs attention', () => {
    expect(section(markdown, 'Needs attention')).toContain('Nothing: no permission widens, no queue is replaced or destroyed, nothing is destroyed.');
  });

  it('has a section per reflex, then shared', () => {
    const headings = markdown.split('\n').filter((l) => l.startsWith('#### ')).map((l) => l.replace(/ — .*/, ''));
    expect(headings).toEqual([
      '#### instance-guard',
      '#### instance-scheduler',
      '#### ipam-enricher',
      '#### ipam-reconciler',
      '#### ipam-sync',
      '#### resource-tagger',
      '#### route-api',
      '#### shared (bus, API, forwarding, audit)',
    ]);
  });

  it('lists what each new policy grants', () => {
    expect(markdown).toContain(
      '    - `StartProtectedInstances`: Allow `ec2:StartInstances` on `arn:aws:ec2:eu-central-1:111111111111:instance/*` if `StringEquals aws:ResourceTag/reflex:protect = true`',
    );
  });
});
