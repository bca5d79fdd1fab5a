import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { awsName, type EventPattern } from '@reflex/manifest';
import type { Construct } from 'constructs';
import type { EnvConfig } from '../envs/schema';
import { policyDocument, trustPolicy } from './policy';

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

/** What {@link forwardEvents} built. */
export interface Forwarding {
  readonly role: IamRole;
  readonly rules: CloudwatchEventRule[];
  /** The AWS sources forwarded, sorted. */
  readonly sources: readonly string[];
}

/**
 * Rules on the default bus of the scope's account that forward the AWS events the reflexes need (one rule per
 * source, `forwardingPatterns`) to the reflex bus, with the role EventBridge requires for a bus target: the
 * hub's own default bus, and each spoke's (the same rules, one bus-to-bus hop into the hub's account). Built
 * in `scope` itself, so that the hub's resources keep their addresses.
 */
export function forwardEvents(
  scope: Construct,
  props: {
    readonly env: EnvConfig;
    readonly patterns: readonly EventPattern[];
    /** The reflex bus (in the hub account). */
    readonly target: { readonly arn: string; readonly name: string };
    /** Where the forwarded events come from, for the rules' descriptions. @default the default bus */
    readonly from?: string;
  },
): Forwarding {
  const { env, target } = props;
  const role = new IamRole(scope, 'forward-role', {
    name: awsName(env.name, 'forward'),
    assumeRolePolicy: trustPolicy(scope, 'forward-trust', 'events.amazonaws.com').json,
  });
  new IamRolePolicy(scope, 'forward-policy', {
    name: 'reflex',
    role: role.id,
    policy: policyDocument(scope, 'forward-policy-doc', [
      { sid: 'ForwardToReflexBus', effect: 'Allow', actions: ['events:PutEvents'], resources: [target.arn] },
    ]).json,
  });
  const rules: CloudwatchEventRule[] = [];
  const forwarded = forwardingPatterns(props.patterns);
  for (const [source, detailTypes] of forwarded) {
    const short = source.replace(/^aws\./, '');
    const rule = new CloudwatchEventRule(scope, `forward-${short}`, {
      name: awsName(env.name, 'forward', short),
      description: `Forwards ${source} events that reflexes need${props.from ? ` from ${props.from}` : ''} to ${target.name}`,
      eventPattern: JSON.stringify(detailTypes ? { source: [source], 'detail-type': detailTypes } : { source: [source] }),
    });
    new CloudwatchEventTarget(scope, `forward-${short}-target`, {
      rule: rule.name,
      targetId: 'reflex-bus',
      arn: target.arn,
      roleArn: role.arn,
    });
    rules.push(rule);
  }
  return { role, rules, sources: [...forwarded.keys()] };
}
