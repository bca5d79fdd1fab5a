import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { REFLEX_ACTION } from '@reflex/events';
import { awsName, type EventPattern } from '@reflex/manifest';
import { Construct } from 'constructs';
import { type EnvConfig, memberAccountsOf } from '../envs/schema';
import { forwardEvents, forwardingPatterns } from './forwarding';
import { policyDocument } from './policy';
import { ruleArn, SecureQueue } from './secure-queue';

export interface ReflexBusProps {
  readonly env: EnvConfig;
  /**
   * Every event pattern of the enabled reflexes, from the triggers resolved for their configs
   * (`ResolvedReflex.triggers`): their AWS sources are forwarded from the default bus.
   */
  readonly patterns: readonly EventPattern[];
  /** The event patterns of the reflexes that act in member accounts: their AWS sources come from the spokes. */
  readonly spokePatterns?: readonly EventPattern[];
}

/**
 * The reflex bus, the rules that forward AWS events from the default bus to it, the bus policy for
 * member accounts, and the SNS topic that fans out Reflex Action events.
 */
export class ReflexBus extends Construct {
  public readonly bus: CloudwatchEventBus;
  public readonly forwardingRules: CloudwatchEventRule[] = [];
  public readonly forwardingRole: IamRole;
  /** The AWS sources forwarded from the default bus. */
  public readonly forwardedSources: string[];
  /** SNS fan-out of Reflex Action events (not on local AWS APIs). */
  public readonly actionsTopic?: SnsTopic;
  public readonly auditQueue: SqsQueue;
  public readonly actionsRule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ReflexBusProps) {
    super(scope, id);
    const { env } = props;
    const name = awsName(env.name, 'bus');
    this.bus = new CloudwatchEventBus(this, 'bus', { name });

    const forwarding = forwardEvents(this, { env, patterns: props.patterns, target: { arn: this.bus.arn, name } });
    this.forwardingRole = forwarding.role;
    this.forwardingRules.push(...forwarding.rules);
    this.forwardedSources = [...forwarding.sources];

    const members = memberAccountsOf(env);
    // What the spoke stacks forward (SpokeStack): the sources of the reflexes that act in member accounts.
    const fromSpokes = [...forwardingPatterns(props.spokePatterns ?? []).keys()];
    if (members.length > 0 && fromSpokes.length > 0) {
      // Spokes forward with their own forwarding role (bus-to-bus with a role): the account is the principal.
      // Only the sources the reflexes need, and from inside the organization when one is named.
      const doc = policyDocument(this, 'bus-policy-doc', [
        {
          sid: 'MemberAccountsForward',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: members.map((m) => `arn:${env.partition}:iam::${m.account}:root`) }],
          actions: ['events:PutEvents'],
          resources: [this.bus.arn],
          condition: [
            { test: 'StringEquals', variable: 'events:source', values: fromSpokes },
            ...(env.spokes.organizationId ? [{ test: 'StringEquals', variable: 'aws:PrincipalOrgID', values: [env.spokes.organizationId] }] : []),
          ],
        },
      ]);
      new CloudwatchEventBusPolicy(this, 'bus-policy', { eventBusName: this.bus.name, policy: doc.json });
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
