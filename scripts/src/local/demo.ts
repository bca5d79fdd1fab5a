import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EC2_STATE_CHANGE, ReflexActionSchema, type ReflexActionDetail } from '@reflex/events';
import { firstAmazonImage, instanceStates, launchInstances, localClientConfig } from '@reflex/local-aws';
import type { LocalDeployment } from './deploy';
import { mendLocalEnvelope } from './runner';

/**
 * Makes moto load EC2 (its first request imports the service and its AMIs: over a second, under moto's
 * dispatch lock) with the demo's first call, so that it happens while Terraform waits, not in the demo.
 */
export async function warmDemo(endpoint: string, region: string): Promise<void> {
  const ec2 = new EC2Client(localClientConfig(endpoint, region));
  try {
    await firstAmazonImage(ec2); // and keeps its answer for the demo's launches
  } finally {
    ec2.destroy();
  }
}

/** What the demo ends with: each instance's state. */
export interface DemoResult {
  readonly protectedInstance: { id: string; state: string };
  readonly otherInstance: { id: string; state: string };
}

/**
 * The reference scenario: two instances, one tagged `reflex:protect=true`; both are stopped; the EC2
 * state-change events AWS would emit go to the default bus (moto does not emit them); the guard starts
 * the protected one again and leaves the other stopped.
 */
export async function runDemo(
  deployment: LocalDeployment,
  options: { log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<DemoResult> {
  const log = options.log ?? (() => {});
  const config = localClientConfig(deployment.endpoint, deployment.region);
  const ec2 = new EC2Client(config);
  const events = new EventBridgeClient(config);
  try {
    const [protectedId, otherId] = (await launchInstances(ec2, [
      { 'reflex:protect': 'true', Name: 'demo-protected' },
      { Name: 'demo-unprotected' },
    ])) as [string, string];
    log(`demo: launched ${protectedId} (reflex:protect=true) and ${otherId} (no tag)`);

    await ec2.send(new StopInstancesCommand({ InstanceIds: [protectedId, otherId] }));
    // AWS puts these on the default bus, whose forwarding rule sends them to the reflex bus. moto 5.2's
    // bus-to-bus delivery drops `account` and `resources`, so the demo publishes them where the
    // forwarding rule delivers: on the reflex bus, to the same rules and queues.
    log(`demo: stopped both; publishing the EC2 state-change events AWS would emit (to ${deployment.busName})`);
    const account = deployment.reflexes[0]?.queueUrl.split('/').at(-2) ?? '123456789012';
    const put = await events.send(
      new PutEventsCommand({
        Entries: [protectedId, otherId].map((id) => ({
          EventBusName: deployment.busName,
          Source: EC2_STATE_CHANGE.source,
          DetailType: EC2_STATE_CHANGE.detailType,
          Resources: [`arn:aws:ec2:${deployment.region}:${account}:instance/${id}`],
          Detail: JSON.stringify({ 'instance-id': id, state: 'stopped' }),
        })),
      }),
    );
    if (put.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(put.Entries)}`);

    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const states = await instanceStates(ec2, [protectedId, otherId]);
      if (states.get(protectedId) === 'running' || Date.now() > deadline) {
        for (const action of await readActions(deployment, 3)) {
          log(`demo: Reflex Action: ${action.reflex} ${action.action} ${action.targets.map((t) => t.id).join(',')} → ${action.outcome} (${action.reason})`);
        }
        const result = {
          protectedInstance: { id: protectedId, state: states.get(protectedId) ?? 'unknown' },
          otherInstance: { id: otherId, state: states.get(otherId) ?? 'unknown' },
        };
        log(`demo: ${protectedId} (protected) is ${result.protectedInstance.state}; ${otherId} (unprotected) is ${result.otherInstance.state}`);
        return result;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    ec2.destroy();
    events.destroy();
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
