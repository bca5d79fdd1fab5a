import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import Ajv2020 from 'ajv/dist/2020.js';
import { fixturePlan, summarize } from '../fixtures/plan-fixtures';
import { PLAN_SUMMARY_SCHEMA_PATH, type PlanSummary, planSummaryJsonSchema } from './plan-summary-schema';

const published = JSON.parse(readFileSync(new URL(`../${PLAN_SUMMARY_SCHEMA_PATH}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(published);

/** The summary as `--json` prints it: through JSON, so absent optional fields are absent. */
const asPrinted = (summary: PlanSummary) => JSON.parse(JSON.stringify(summary)) as unknown;

describe('the published JSON Schema', () => {
  it('is the one the zod schema generates (regenerate: pnpm reflex plan schema > packages/guardrails/schema/plan-summary.schema.json)', () => {
    expect(published).toEqual(planSummaryJsonSchema());
  });

  it.each([
    ['dev on empty state', () => summarize(['dev-create.json', fixturePlan('dev-create')])],
    ['the change to local', () => summarize(['local-change.json', fixturePlan('local-change')])],
    ['both', () => summarize(['local-change.json', fixturePlan('local-change')], ['dev-create.json', fixturePlan('dev-create')])],
  ])('validates the summary of %s', (_, make) => {
    const valid = validate(asPrinted(make()));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('validates a summary with a destroyed dead-letter queue and an unknown policy', () => {
    const plan = fixturePlan('local-change');
    const dlq = (plan.resource_changes as Record<string, any>[]).find((c) => c.type === 'aws_sqs_queue' && c.change.before?.name === 'reflex-local-ip-blocker-dlq')!;
    Object.assign(dlq.change, { actions: ['delete'], after: null, after_unknown: {} });
    const config = (plan.configuration.root_module.resources as Record<string, any>[]).find((r) => r.type === 'aws_iam_role_policy')!;
    config.expressions.policy = { references: ['aws_sqs_queue.bus_audit_queue_88CA3A7B.arn'] };
    const summary = summarize(['p.json', plan]);
    expect(summary.attention.messageLoss.length + summary.attention.unknownPolicies.length).toBeGreaterThan(1);
    expect(validate(asPrinted(summary))).toBe(true);
  });

  it('refuses what is not a summary', () => {
    const summary = asPrinted(summarize(['local-change.json', fixturePlan('local-change')])) as Record<string, any>;
    delete summary.counts;
    summary.attention.messageLoss[0].action = 'maybe';
    expect(validate(summary)).toBe(false);
    expect(validate.errors!.map((e) => `${e.instancePath} ${e.message}`)).toEqual(
      expect.arrayContaining([" must have required property 'counts'", '/attention/messageLoss/0/action must be equal to one of the allowed values']),
    );
  });
});
