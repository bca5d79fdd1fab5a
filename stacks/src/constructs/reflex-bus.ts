import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { REFLEX_ACTION } from '@reflex/events';
import { awsName, type EventPattern } from '@reflex/manifest';
import { Construct } from 'constructs';
import type { EnvConfig } from '../envs';
import { policyDocument, trustPolicy } from './policy';
import { ruleArn, SecureQueue } from './secure-queue';

/**
 * The forwarding patterns for the default bus: one per AWS source the reflexes listen to, naming the
 * detail-types they need (all of that source's when some pattern does not pin them). The reflex bus's
 * own rules do the precise matching.
 */
export function forwardingPatterns(patterns: readonly EventPattern[]): Map<string, string[] | undefined> {
  const bySource = new Map<string, Set<string> | undefined>();
  for (const pattern of patterns) {
    const sources = Array.isArray(pattern.source) ? pattern.source : [];
    if (sources.some((s) => typeof s !== 'string')) {
      throw new Error(
        `event pattern ${JSON.stringify(pattern)}: "source" must list exact values, so that the default bus knows what to forward`,
      );
    }
    // Any matcher other than an exact value (prefix, anything-but…) in detail-type: forward the whole source.
    const rawTypes = pattern['detail-type'];
    const types =
      Array.isArray(rawTypes) && rawTypes.length > 0 && rawTypes.every((t): t is string => typeof t === 'string')
        ? rawTypes
        : undefined;
    for (const source of (sources as string[]).filter((s) => s.startsWith('aws.'))) {
      if (bySource.has(source) && bySource.get(source) === undefined) continue;
      if (!types) bySource.set(source, undefined);
      else bySource.set(source, new Set([...(bySource.get(source) ?? []), ...types]));
    }
  }
  return new Map([...bySource].sort().map(([s, t]) => [s, t ? [...t].sort() : undefined]));
}

export interface ReflexBusProps {
  readonly env: EnvConfig;
  /**
   * Every event pattern of the enabled reflexes, from the triggers resolved for their configs
   * (`ResolvedReflex.triggers`): their AWS sources are forwarded from the default bus.
   */
  readonly patterns: readonly EventPattern[];
}

/**
 * The reflex bus, the rules that forward AWS events from the default bus to it, the bus policy for
 * member accounts, and the SNS topic that fans out Reflex Action events.
 */
export class ReflexBus extends Construct {
  public readonly bus: CloudwatchEventBus;
  public readonly forwardingRules: CloudwatchEventRule[] = [];
  public readonly forwardingRole: IamRole;
  /** SNS fan-out of Reflex Action events (not on local AWS APIs). */
  public readonly actionsTopic?: SnsTopic;
  public readonly auditQueue: SqsQueue;
  public readonly actionsRule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ReflexBusProps) {
    super(scope, id);
    const { env } = props;
    const name = awsName(env.name, 'bus');
    this.bus = new CloudwatchEventBus(this, 'bus', { name });

    if (env.memberAccounts.length > 0) {
      const doc = policyDocument(this, 'bus-policy-doc', [
        {
          sid: 'MemberAccountsForward',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: env.memberAccounts.map((a) => `arn:${env.partition}:iam::${a}:root`) }],
          actions: ['events:PutEvents'],
          resources: [this.bus.arn],
        },
      ]);
      new CloudwatchEventBusPolicy(this, 'bus-policy', { eventBusName: this.bus.name, policy: doc.json });
    }

    this.forwardingRole = new IamRole(this, 'forward-role', {
      name: awsName(env.name, 'forward'),
      assumeRolePolicy: trustPolicy(this, 'forward-trust', 'events.amazonaws.com').json,
    });
    new IamRolePolicy(this, 'forward-policy', {
      name: 'reflex',
      role: this.forwardingRole.id,
      policy: policyDocument(this, 'forward-policy-doc', [
        { sid: 'ForwardToReflexBus', effect: 'Allow', actions: ['events:PutEvents'], resources: [this.bus.arn] },
      ]).json,
    });
    for (const [source, detailTypes] of forwardingPatterns(props.patterns)) {
      const short = source.replace(/^aws\./, '');
      const rule = new CloudwatchEventRule(this, `forward-${short}`, {
        name: awsName(env.name, 'forward', short),
        description: `Forwards ${source} events that reflexes need to ${name}`,
        eventPattern: JSON.stringify(detailTypes ? { source: [source], 'detail-type': detailTypes } : { source: [source] }),
      });
      new CloudwatchEventTarget(this, `forward-${short}-target`, {
        rule: rule.name,
        targetId: 'reflex-bus',
        arn: this.bus.arn,
        roleArn: this.forwardingRole.arn,
      });
      this.forwardingRules.push(rule);
    }

    this.actionsRule = new CloudwatchEventRule(this, 'actions-rule', {
      name: awsName(env.name, 'actions'),
      description: 'Reflex Action events to the audit queue and SNS',
      eventBusName: this.bus.name,
      eventPattern: JSON.stringify({ source: [REFLEX_ACTION.source], 'detail-type': [REFLEX_ACTION.detailType] }),
    });
    // The audit trail: every Reflex Action, kept 14 days, readable with plain SQS (the local demo prints it).
    const audit = new SecureQueue(this, 'audit', {
      env,
      name: awsName(env.name, 'actions'),
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: 5,
      retentionSeconds: 14 * 24 * 3600,
    });
    this.auditQueue = audit.queue;
    audit.allowRules([ruleArn(env, awsName(env.name, 'actions'), name)]);
    new CloudwatchEventTarget(this, 'actions-audit-target', {
      rule: this.actionsRule.name,
      eventBusName: this.bus.name,
      targetId: 'audit',
      arn: audit.queue.arn,
    });

    // moto cannot deliver EventBridge events to SNS (it fails the PutEvents call), so local APIs go without.
    if (!env.endpoint) {
      this.actionsTopic = new SnsTopic(this, 'actions', { name: awsName(env.name, 'actions') });
      new SnsTopicPolicy(this, 'actions-policy', {
        arn: this.actionsTopic.arn,
        policy: policyDocument(this, 'actions-policy-doc', [
          {
            sid: 'AllowReflexActionsRule',
            effect: 'Allow',
            principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
            actions: ['sns:Publish'],
            resources: [this.actionsTopic.arn],
            condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: [this.actionsRule.arn] }],
          },
        ]).json,
      });
      new CloudwatchEventTarget(this, 'actions-target', {
        rule: this.actionsRule.name,
        eventBusName: this.bus.name,
        targetId: 'sns',
        arn: this.actionsTopic.arn,
      });
    }
  }
}
