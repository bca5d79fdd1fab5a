import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { awsName, eventPatterns, permissionsOf, stateKey } from '@reflex/manifest';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { forwardEvents } from '../constructs/forwarding';
import { manifestStatements, policyDocument } from '../constructs/policy';
import { type EnvConfig, type MemberAccount, type ResolvedReflex, actsInSpokes, spokeTrust } from '../envs';
import { awsProviderAndState } from './provider';

/** The name of a member account's stack in an environment; its state is `reflex/<env>/spoke-<account>.tfstate`. */
export const spokeStackName = (account: string) => `spoke-${account}`;

export interface SpokeStackProps {
  readonly env: EnvConfig;
  readonly member: MemberAccount;
  /** The environment's enabled reflexes (the hub's). */
  readonly reflexes: readonly ResolvedReflex[];
}

/**
 * What one member account of an environment holds: rules on its default bus that forward the events the
 * reflexes need to the hub's reflex bus (one bus-to-bus hop, with the role EventBridge needs for it), and one
 * spoke role per reflex that acts in member accounts. A spoke role has the name of the reflex's function role
 * in the hub (`reflex-<env>-<reflex>`: the loop guard and the rules that exclude Reflex's roles hold in every
 * account), trusts only that function role, with the external id or from inside the organization, and carries
 * the permissions the manifest declares, scoped to the member account. Terraform deploys it by assuming the
 * account's deployment role; its state is in the hub's bucket.
 */
export class SpokeStack extends TerraformStack {
  /** The spoke roles, by reflex. */
  public readonly roles = new Map<string, IamRole>();

  constructor(scope: Construct, id: string, props: SpokeStackProps) {
    super(scope, id);
    const { env, member } = props;
    awsProviderAndState(this, env, {
      key: stateKey(env.name, spokeStackName(member.account)),
      assumeRoleArn: member.deploymentRoleArn,
      account: member.account,
    });

    const busName = awsName(env.name, 'bus');
    const hubBus = { name: busName, arn: `arn:${env.partition}:events:${env.region}:${env.account}:event-bus/${busName}` };
    const forwarding = forwardEvents(this, {
      env,
      // Only what reflexes that act in member accounts listen to; the others listen to the hub's events only.
      patterns: props.reflexes.filter(actsInSpokes).flatMap((r) => eventPatterns(r)),
      target: hubBus,
      from: `member account ${member.account}`,
    });

    const arnCtx = { partition: env.partition, region: env.region, account: member.account };
    for (const reflex of props.reflexes.filter(actsInSpokes)) {
      const { name } = reflex.manifest;
      const role = new IamRole(this, `role-${name}`, {
        name: awsName(env.name, name),
        description: `Reflex ${name} (${env.name}) acting in ${member.account} for the hub ${env.account}`.slice(0, 1000),
        assumeRolePolicy: policyDocument(this, `trust-${name}`, [spokeTrust(env, name)]).json,
        // Hub sessions last an hour at most; the kit renews them before they expire.
        maxSessionDuration: 3600,
      });
      new IamRolePolicy(this, `policy-${name}`, {
        name: 'reflex',
        role: role.id,
        policy: policyDocument(this, `permissions-${name}`, manifestStatements(permissionsOf(reflex.manifest, reflex.config), arnCtx)).json,
      });
      this.roles.set(name, role);
    }

    new TerraformOutput(this, 'account', { value: member.account });
    new TerraformOutput(this, 'forwarded_sources', { value: forwarding.sources });
    new TerraformOutput(this, 'spoke_roles', { value: Object.fromEntries([...this.roles].map(([n, r]) => [n, r.arn])) });
  }
}
