// moto SQS throughput and moto's CPU per message, the way the IPAM worker uses it: BENCH_QUEUES queues (each
// with a dead-letter queue) filled with BENCH_DEPTH ~1.5 KB JSON messages by SendMessageBatch, then drained
// by BENCH_POLLERS concurrent loops per queue of ReceiveMessage (10, WaitTimeSeconds 1, the receive count)
// + DeleteMessageBatch. moto's CPU time comes from /proc/<pid>/stat (all its threads), so "CPU per message"
// depends much less on what else runs on the machine than messages/s (on a shared 2-core machine it still
// varies by ~20%: compare launchers in the same conditions). Each round uses new queues; the best of
// BENCH_ROUNDS rounds is printed last, each figure on its own. It also counts what goes wrong on the way:
// messages received twice, deletes that failed, deleted messages back in the queue (plain moto has all three
// under concurrent receives and deletes; the patched launcher should have none).
//   pnpm exec tsx bench/sqs.ts                     # the patched launcher (python/moto_server_fast.py)
//   REFLEX_MOTO_PLAIN=1 pnpm exec tsx bench/sqs.ts # plain moto_server
//   BENCH_ENDPOINT=http://127.0.0.1:5055 BENCH_MOTO_PID=1234 pnpm exec tsx bench/sqs.ts  # a moto you started
//                                                  # (under cProfile, say); CPU only with its pid
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { localClientConfig } from '../src/aws-env';
import { externalAws, type LocalAws, startMoto } from '../src/moto';

const QUEUES = Number(process.env.BENCH_QUEUES ?? 25);
const DEPTH = Number(process.env.BENCH_DEPTH ?? 200);
const POLLERS = Number(process.env.BENCH_POLLERS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = QUEUES * DEPTH;

/** moto's CPU seconds so far (user + system, all threads), or undefined without a pid to read. */
const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  // Fields after "pid (comm) ": state is the 3rd field overall, utime the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** A ~1.5 KB JSON body, like an enriched instance message; `seq` tells the messages apart. */
function body(queue: number, seq: number): string {
  const hex = (n: number) => n.toString(16).padStart(17, '0');
  return JSON.stringify({
    schemaVersion: 1,
    queue,
    seq,
    account: '111111111111',
    region: 'eu-west-1',
    eventTime: new Date(Date.UTC(2026, 2, 1) + seq * 1000).toISOString(),
    instanceId: `i-${hex(queue * 100_000 + seq)}`,
    state: 'running',
    instance: { instanceType: 't3.micro', availabilityZone: 'eu-west-1a', tags: { Name: `web-${seq}`, team: 'net' } },
    interfaces: Array.from({ length: 4 }, (_, n) => ({
      interfaceId: `eni-${hex(seq * 4 + n)}`,
      subnetId: `subnet-${hex(seq % 64)}`,
      vpcId: `vpc-${hex(seq % 8)}`,
      privateIps: [`10.${queue}.${seq >> 8}.${seq & 255}`],
      macAddress: `02:00:00:${(seq >> 8).toString(16).padStart(2, '0')}:${(seq & 255).toString(16).padStart(2, '0')}:0${n}`,
      description: 'x'.repeat(120),
    })),
  });
}

const rate = (count: number, ms: number) => (count / ms) * 1000;
const fmt = (n: number | undefined, digits: number) => (n === undefined ? 'n/a' : n.toFixed(digits));

interface Round {
  fillPerSecond: number;
  fillCpuMsPerMessage: number | undefined;
  drainPerSecond: number;
  drainCpuMsPerMessage: number | undefined;
  drainBusy: number | undefined;
}

async function round(sqs: SQSClient, pid: number | undefined, index: number): Promise<Round> {
  const urls = await Promise.all(
    Array.from({ length: QUEUES }, async (_, q) => {
      const name = `bench-${process.pid}-${index}-${q}`;
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!
        .QueueArn!;
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: { VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 5 }) },
        }),
      );
      return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
    }),
  );

  // Fill: one sender per queue, batches of 10.
  const fillCpu = cpuSeconds(pid);
  const fillStarted = performance.now();
  await Promise.all(
    urls.map(async ({ url }, q) => {
      for (let i = 0; i < DEPTH; i += 10) {
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: Array.from({ length: Math.min(10, DEPTH - i) }, (_, j) => ({ Id: String(j), MessageBody: body(q, i + j) })),
          }),
        );
        if (out.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed)}`);
      }
    }),
  );
  const fillMs = performance.now() - fillStarted;
  const fillCpuEnd = cpuSeconds(pid);

  // Drain: POLLERS receive + delete loops per queue until every message of the queue has been deleted.
  const deleted = urls.map(() => new Set<number>());
  let total = 0;
  let duplicates = 0;
  let failedDeletes = 0;
  let drainEnd: { ms: number; cpu: number | undefined } | undefined;
  const drainCpu = cpuSeconds(pid);
  const drainStarted = performance.now();
  await Promise.all(
    urls.flatMap(({ url }, q) =>
      Array.from({ length: POLLERS }, async () => {
        while (deleted[q]!.size < DEPTH) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
              VisibilityTimeout: 30,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            }),
          );
          if (Messages.length === 0) continue;
          const out = await sqs.send(
            new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
          );
          // Plain moto's receives and deletes take no lock: a message two receives hand out at once, deleted by
          // one, may be invalid for the other. Counted and reported; the message is gone either way.
          failedDeletes += out.Failed?.length ?? 0;
          for (const m of Messages) {
            const { queue, seq } = JSON.parse(m.Body!) as { queue: number; seq: number };
            if (queue !== q) throw new Error(`queue ${q} received a message of queue ${queue}`);
            if (deleted[q]!.has(seq)) duplicates++;
            else {
              deleted[q]!.add(seq);
              if (++total === N) drainEnd = { ms: performance.now() - drainStarted, cpu: cpuSeconds(pid) };
            }
          }
        }
      }),
    ),
  );
  if (!drainEnd) throw new Error('drain ended without deleting every message');

  // What is left: with every message deleted once, nothing should be. (Plain moto rebuilds a queue's message
  // list on every delete without a lock, so concurrent deletes can put deleted messages back: they come back
  // after their visibility timeout. Counted, not an error: it is moto's behaviour, not the benchmark's.)
  let left = 0;
  for (const { url, dlqUrl } of urls) {
    for (const QueueUrl of [url, dlqUrl]) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      left += Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    }
  }

  const cpuPerMessage = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? undefined : ((to - from) * 1000) / N;
  const result: Round = {
    fillPerSecond: rate(N, fillMs),
    fillCpuMsPerMessage: cpuPerMessage(fillCpu, fillCpuEnd),
    drainPerSecond: rate(N, drainEnd.ms),
    drainCpuMsPerMessage: cpuPerMessage(drainCpu, drainEnd.cpu),
    drainBusy: drainCpu === undefined || drainEnd.cpu === undefined ? undefined : ((drainEnd.cpu - drainCpu) * 1000) / drainEnd.ms,
  };
  console.log(
    `round ${index + 1}: fill ${fmt(result.fillPerSecond, 0)} msgs/s, moto ${fmt(result.fillCpuMsPerMessage, 3)} ms CPU/msg; ` +
      `drain ${fmt(result.drainPerSecond, 0)} msgs/s, moto ${fmt(result.drainCpuMsPerMessage, 3)} ms CPU/msg ` +
      `(moto busy ${fmt(result.drainBusy === undefined ? undefined : result.drainBusy * 100, 0)}% of a core)` +
      (duplicates ? `; ${duplicates} messages received twice` : '') +
      (failedDeletes ? `; ${failedDeletes} deletes failed` : '') +
      (left ? `; ${left} deleted messages back in the queues` : ''),
  );
  return result;
}

let aws: LocalAws;
let pid: number | undefined;
let launcher: string;
if (process.env.BENCH_ENDPOINT) {
  aws = await externalAws(process.env.BENCH_ENDPOINT);
  pid = process.env.BENCH_MOTO_PID ? Number(process.env.BENCH_MOTO_PID) : undefined;
  launcher = `external ${process.env.BENCH_ENDPOINT}`;
} else {
  // moto's own lines (one per request) only with BENCH_MOTO_LOG=1; the launcher's (a patch it left out) always.
  const log = (line: string) => (process.env.BENCH_MOTO_LOG === '1' || line.includes('moto_server_fast')) && console.log(line);
  const started = await startMoto({ log });
  aws = started;
  pid = started.pid;
  launcher = started.launcher;
}
const sqs = new SQSClient(localClientConfig(aws.endpoint));
try {
  console.log(
    `node ${process.version}; moto: ${launcher}; ${QUEUES} queues x ${DEPTH} messages of ${body(0, 0).length} bytes, ` +
      `${POLLERS} receive + delete loops per queue; ${ROUNDS} rounds`,
  );
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(sqs, pid, i));
  // Best of the rounds: each figure on its own (a busy neighbour slows a round down, never speeds it up).
  const max = (pick: (r: Round) => number) => Math.max(...rounds.map(pick));
  const min = (pick: (r: Round) => number | undefined) => {
    const values = rounds.map(pick).filter((v): v is number => v !== undefined);
    return values.length ? Math.min(...values) : undefined;
  };
  console.log(
    `best: fill ${fmt(max((r) => r.fillPerSecond), 0)} msgs/s, moto ${fmt(min((r) => r.fillCpuMsPerMessage), 3)} ms CPU/msg; ` +
      `drain ${fmt(max((r) => r.drainPerSecond), 0)} msgs/s, moto ${fmt(min((r) => r.drainCpuMsPerMessage), 3)} ms CPU/msg`,
  );
} finally {
  sqs.destroy();
  await aws.stop();
}
