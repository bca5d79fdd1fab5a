import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EC2_STATE_CHANGE, ReflexActionSchema, type ReflexActionDetail } from '@reflex/events';
import { assumedClientConfig, firstAmazonImage, instanceStates, launchInstances, localClientConfig } from '@reflex/local-aws';
import type { LocalDeployment } from './deploy';
import { mendLocalEnvelope } from './runner';

/**
 * Makes moto load EC2 (its first request imports the service and its AMIs: over a second, under moto's
 * dispatch lock) with the demo's first call, so that it happens while Terraform waits, not in the demo; and
 * EC2 of the member account (moto builds each account's EC2 on its first request there), through the role
 * it may be assumed with.
 */
export async function warmDemo(endpoint: string, region: string, member?: { account: string; roleArn: string }): Promise<void> {
  const ec2 = new EC2Client(localClientConfig(endpoint, region));
  try {
    await firstAmazonImage(ec2); // and keeps its answer for the demo's launches
    if (!member) return;
    const memberEc2 = new EC2Client(await assumedClientConfig(endpoint, region, member.roleArn, { sessionName: 'reflex-demo' }));
    try {
      await memberEc2.send(new DescribeInstancesCommand({}));
    } finally {
      memberEc2.destroy();
    }
  } finally {
    ec2.destroy();
  }
}

/** What the demo ends with: each instance's state, and the account each lives in. */
export interface DemoResult {
  readonly protectedInstance: { id: string; state: string; account: string };
  readonly otherInstance: { id: string; state: string; account: string };
  /** The guard's Reflex Action for the protected instance: where it acted, and with which role session. */
  readonly action?: ReflexActionDetail;
}

/**
 * The reference scenario across accounts: the protected instance (`reflex:protect=true`) runs in the member
 * account, the unprotected one in the hub; both are stopped; the EC2 state-change events AWS would emit go to
 * each account's default bus (moto does not emit them), whose forwarding rules send them on to the hub's
 * reflex bus (the member's across accounts); the guard starts the protected one again, through its spoke role
 * in the member account, and leaves the other stopped. Without a member account, both run in the hub.
 */
export async function runDemo(
  deployment: LocalDeployment,
  options: { log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<DemoResult> {
  const log = options.log ?? (() => {});
  const config = localClientConfig(deployment.endpoint, deployment.region);
  const member = deployment.members[0];
  // An operator of the member account: the role Organizations created there (the spoke stack's deployer).
  const memberConfig = member
    ? await assumedClientConfig(deployment.endpoint, deployment.region, member.deploymentRoleArn, { sessionName: 'reflex-demo' })
    : config;
  const ec2 = new EC2Client(config);
  const memberEc2 = new EC2Client(memberConfig);
  const events = new EventBridgeClient(config);
  const memberEvents = new EventBridgeClient(memberConfig);
  const memberAccount = member?.account ?? deployment.account;
  try {
    const [protectedId] = (await launchInstances(memberEc2, [{ 'reflex:protect': 'true', Name: 'demo-protected' }])) as [string];
    const [otherId] = (await launchInstances(ec2, [{ Name: 'demo-unprotected' }])) as [string];
    log(`demo: launched ${protectedId} (reflex:protect=true) in ${member ? `member account ${memberAccount}` : 'the hub'} and ${otherId} (no tag) in the hub ${deployment.account}`);

    await memberEc2.send(new StopInstancesCommand({ InstanceIds: [protectedId] }));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [otherId] }));
    const stopped = (account: string, id: string) => ({
      Source: EC2_STATE_CHANGE.source,
      DetailType: EC2_STATE_CHANGE.detailType,
      Resources: [`arn:aws:ec2:${deployment.region}:${account}:instance/${id}`],
      Detail: JSON.stringify({ 'instance-id': id, state: 'stopped' }),
    });
    // AWS puts these on the default bus of the instance's account; there the forwarding rules send them to the
    // hub's reflex bus. The member's goes that way (moto patched to deliver bus-to-bus as EventBridge does,
    // account and all). The hub's is published where its forwarding rule delivers: on the reflex bus.
    log(`demo: stopped both; publishing the EC2 state-change events AWS would emit (${member ? `the member's on its default bus, forwarded to ${deployment.busName}; ` : ''}the hub's on ${deployment.busName})`);
    const puts = await Promise.all([
      memberEvents.send(new PutEventsCommand({ Entries: [{ ...stopped(memberAccount, protectedId), ...(member ? {} : { EventBusName: deployment.busName }) }] })),
      events.send(new PutEventsCommand({ Entries: [{ ...stopped(deployment.account, otherId), EventBusName: deployment.busName }] })),
    ]);
    const failed = puts.filter((p) => p.FailedEntryCount);
    if (failed.length) throw new Error(`PutEvents failed: ${JSON.stringify(failed.map((p) => p.Entries))}`);

    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const [protectedState, otherState] = [
        (await instanceStates(memberEc2, [protectedId])).get(protectedId),
        (await instanceStates(ec2, [otherId])).get(otherId),
      ];
      if (protectedState === 'running' || Date.now() > deadline) {
        let action: ReflexActionDetail | undefined;
        for (let read = 0; read < 3 && !action; read++) {
          for (const a of await readActions(deployment, 3)) {
            log(`demo: Reflex Action: ${a.reflex} ${a.action} ${a.targets.map((t) => t.id).join(',')} in ${a.account ?? '?'} → ${a.outcome} (${a.reason})${a.roleSession ? ` as ${a.roleSession}` : ''}`);
            if (a.reflex === 'instance-guard' && a.targets.some((t) => t.id === protectedId)) action = a;
          }
        }
        const result = {
          protectedInstance: { id: protectedId, state: protectedState ?? 'unknown', account: memberAccount },
          otherInstance: { id: otherId, state: otherState ?? 'unknown', account: deployment.account },
          ...(action ? { action } : {}),
        };
        log(`demo: ${protectedId} (protected, ${memberAccount}) is ${result.protectedInstance.state}; ${otherId} (unprotected, ${deployment.account}) is ${result.otherInstance.state}`);
        return result;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    for (const client of [ec2, memberEc2, events, memberEvents]) client.destroy();
  }
}

/** Reads the Reflex Action events that reached the audit queue, waiting up to `waitSeconds`. */
export async function readActions(deployment: LocalDeployment, waitSeconds: number): Promise<ReflexActionDetail[]> {
  const sqs = new SQSClient(localClientConfig(deployment.endpoint, deployment.region));
  try {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deployment.actionsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
    );
    return (out.Messages ?? []).flatMap((m) => {
      const parsed = ReflexActionSchema.safeParse(mendLocalEnvelopeJson(m.Body ?? ''));
      return parsed.success ? [parsed.data.detail] : [];
    });
  } finally {
    sqs.destroy();
  }
}

const mendLocalEnvelopeJson = (body: string) => JSON.parse(mendLocalEnvelope(body, '000000000000')) as unknown;
