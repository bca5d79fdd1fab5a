import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { localClientConfig } from './aws-env';
import {
  findMotoPython,
  freePort,
  MOTO_FAST_LAUNCHER,
  scriptInterpreter,
  type StartedMoto,
  startMoto,
  waitForEndpoint,
} from './moto';
import { useMoto } from './testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startMoto', () => {
  it('starts the patched moto server on a loopback port and stops it again', async () => {
    const aws = await startMoto();
    expect(aws.launcher).toBe('patched');
    expect(aws.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${aws.endpoint}/moto-api/`)).ok).toBe(true);
    await aws.stop();
    await expect(fetch(aws.endpoint)).rejects.toThrow();
  }, 30_000);

  it('starts the plain moto_server with REFLEX_MOTO_PLAIN=1', async () => {
    const before = process.env.REFLEX_MOTO_PLAIN;
    process.env.REFLEX_MOTO_PLAIN = '1';
    let aws: StartedMoto | undefined;
    try {
      aws = await startMoto();
      expect(aws.launcher).toBe('moto_server');
      expect((await fetch(`${aws.endpoint}/moto-api/`)).ok).toBe(true);
    } finally {
      if (before === undefined) delete process.env.REFLEX_MOTO_PLAIN;
      else process.env.REFLEX_MOTO_PLAIN = before;
      await aws?.stop();
    }
  }, 30_000);
});

describe('moto_server_fast.py', () => {
  const python = () => {
    const found = findMotoPython();
    if (!found) throw new Error('no Python with moto.server');
    return found;
  };
  const run = (code: string) =>
    spawnSync(python(), ['-c', code, MOTO_FAST_LAUNCHER], { encoding: 'utf8', timeout: 30_000 });

  it('patches moto.core.utils and moto.sqs.models with the same clock', () => {
    const result = run(`
import runpy, sys, datetime
launcher = runpy.run_path(sys.argv[1])
import moto.core.utils as u, moto.sqs.models as m
original = u.unix_time
assert launcher["patch_moto_clock"]() is None
assert u.unix_time is not original
assert m.unix_time is u.unix_time and m.unix_time_millis is u.unix_time_millis
# With an argument: moto's own computation.
dt = datetime.datetime(2020, 1, 2, 3, 4, 5, 678000)
assert u.unix_time(dt) == original(dt) == 1577934245.678, u.unix_time(dt)
assert u.unix_time_millis(dt) == original(dt) * 1000.0
# Without: "now" between two readings of moto's datetime clock (which rounds to the microsecond).
before = original(u.utcnow()); now = u.unix_time(); now_ms = u.unix_time_millis(); after = original(u.utcnow())
assert before - 1e-6 <= now <= now_ms / 1000.0 <= after + 1e-6, (before, now, now_ms, after)
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('checks retention from the queue, as moto does, without building every attribute', () => {
    const result = run(`
import runpy, sys, time
launcher = runpy.run_path(sys.argv[1])
from moto.sqs.models import SQSBackend
original = SQSBackend.is_message_valid_based_on_retention_period
assert launcher["patch_retention_check"]() is None
patched = SQSBackend.is_message_valid_based_on_retention_period
assert patched is not original
backend = SQSBackend("us-east-1", "123456789012")
queue = backend.create_queue("q", MessageRetentionPeriod="60")
class Sent:  # a message sent age seconds ago
    def __init__(self, age): self.sent_timestamp = (time.time() - age) * 1000
for age in (0, 30, 59, 61, 3600):
    assert patched(backend, "q", Sent(age)) == original(backend, "q", Sent(age)) == (age < 60), age
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('starts moto without the patches, saying so in a line each, when moto lacks what they patch', () => {
    const result = run(`
import runpy, sys
import moto.core.utils as u
del u.unix_time_millis
sys.argv = [sys.argv[1], "--help"]
runpy.run_path(sys.argv[0], run_name="__main__")
`);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/usage:.*--port/s);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^moto_server_fast: starting moto without patch_moto_clock \(.*unix_time_millis/),
      // moto.sqs.models itself cannot load without it, so neither can the retention patch.
      expect.stringMatching(/^moto_server_fast: starting moto without patch_retention_check \(ImportError: .*unix_time_millis/),
    ]);
  });
});

describe('scriptInterpreter', () => {
  it('reads the interpreter of a Python script, not of a shim', () => {
    expect(scriptInterpreter('#!/opt/venv/bin/python3.11\n# -*- coding: utf-8 -*-\n')).toBe('/opt/venv/bin/python3.11');
    expect(scriptInterpreter('#!/usr/bin/env python3\nimport re\n')).toBe('python3');
    expect(scriptInterpreter('#!/bin/sh\n\'\'\'exec\' "/a very/long/bin/python" "$0" "$@"\n\' \'\'\'\n')).toBe('/a very/long/bin/python');
    expect(scriptInterpreter("#!/bin/sh\n'''exec' /long/bin/python3 \"$0\" \"$@\"\n' '''\n")).toBe('/long/bin/python3');
    expect(scriptInterpreter('#!/usr/bin/env bash\nset -e\n')).toBeUndefined();
    expect(scriptInterpreter('\x7fELF\x02\x01')).toBeUndefined();
  });
});

describe('SQS time semantics on the patched moto server', () => {
  let aws: StartedMoto;
  let sqs: SQSClient;
  useMoto(async (started) => {
    aws = started;
    sqs = new SQSClient(localClientConfig(aws.endpoint));
    return sqs;
  });

  const queue = async (name: string, attributes?: Record<string, string>) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  const receive = async (QueueUrl: string, options: { VisibilityTimeout?: number; WaitTimeSeconds?: number } = {}) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          ...options,
        }),
      )
    ).Messages ?? [];

  it('runs on the patched launcher', () => {
    expect(aws.launcher).toBe('patched');
  });

  it('holds a delayed message back until its delay has passed', async () => {
    const url = await queue('delayed');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    expect(await receive(url)).toEqual([]);
    await sleep(1500);
    expect((await receive(url, { WaitTimeSeconds: 2 })).map((m) => m.Body)).toEqual(['later']);
  }, 20_000);

  it('hides a received message for its visibility timeout, then delivers it again', async () => {
    const url = await queue('visibility');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = await receive(url, { VisibilityTimeout: 1 });
    expect(first.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['again', '1']]);
    expect(await receive(url)).toEqual([]);
    await sleep(1500);
    const second = await receive(url, { VisibilityTimeout: 1, WaitTimeSeconds: 2 });
    expect(second.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['again', '2']]);
  }, 20_000);

  it('moves a message past maxReceiveCount to the dead-letter queue', async () => {
    const dlqUrl = await queue('redrive-dlq');
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!
      .QueueArn!;
    const url = await queue('redrive', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    expect((await receive(url, { VisibilityTimeout: 1 })).map((m) => m.Body)).toEqual(['poison']);
    await sleep(1500);
    // Visible again, received once already: the next receive moves it to the DLQ instead of delivering it.
    expect(await receive(url)).toEqual([]);
    expect((await receive(dlqUrl)).map((m) => m.Body)).toEqual(['poison']);
    expect(await receive(url)).toEqual([]);
  }, 20_000);
});

describe('waitForEndpoint', () => {
  it('fails naming the endpoint when nothing answers', async () => {
    const port = await freePort();
    await expect(waitForEndpoint(`http://127.0.0.1:${port}`, 300)).rejects.toThrow(`http://127.0.0.1:${port}`);
  });
});
