import { describe, expect, it } from '@jest/globals';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '@reflex/local-aws';
import { useMoto } from '@reflex/local-aws/testing';
import { QueueDeleteError, SqsQueueSource } from './queue-source';
import { createQueues, sendAll } from './test-helpers';

let sqs: SQSClient;
useMoto((aws) => (sqs = new SQSClient(localClientConfig(aws.endpoint))));

async function visibleAndHidden(url: string): Promise<[number, number]> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return [Number(Attributes!.ApproximateNumberOfMessages), Number(Attributes!.ApproximateNumberOfMessagesNotVisible)];
}

describe('SqsQueueSource', () => {
  it('receives the body, message id and receive count', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, ['{"a":1}']);
    const source = new SqsQueueSource(sqs, url);

    const [message] = await source.receive(10, 1, 30);

    expect(message).toEqual({ id: expect.any(String), body: '{"a":1}', receiptHandle: expect.any(String), receiveCount: 1 });
  });

  it('counts each receive of a message that comes back', async () => {
    const { url } = await createQueues(sqs, 5);
    await sendAll(sqs, url, ['x']);
    const source = new SqsQueueSource(sqs, url);
    const [first] = await source.receive(1, 1, 30);

    await source.changeVisibility(first!, 0);
    const [second] = await source.receive(1, 1, 30);

    expect(second).toEqual(expect.objectContaining({ id: first!.id, receiveCount: 2 }));
  });

  it('deletes more than 10 messages, in chunks', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, Array.from({ length: 25 }, (_, i) => `m${i}`));
    const source = new SqsQueueSource(sqs, url);
    const received = [];
    while (received.length < 25) received.push(...(await source.receive(10, 1, 30)));

    await source.delete(received);

    expect(await visibleAndHidden(url)).toEqual([0, 0]);
  });

  it('names the messages it could not delete', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, ['ok']);
    const source = new SqsQueueSource(sqs, url);
    const [ok] = await source.receive(1, 1, 30);
    const bogus = { id: 'bogus-id', body: '', receiptHandle: 'not-a-handle' };

    const deleting = source.delete([ok!, bogus]);

    await expect(deleting).rejects.toThrow(QueueDeleteError);
    await expect(deleting).rejects.toMatchObject({ failed: [{ id: 'bogus-id', code: 'ReceiptHandleIsInvalid' }] });
    expect(await visibleAndHidden(url)).toEqual([0, 0]);
  });

  it('makes a message visible again with a visibility of 0', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, ['x']);
    const source = new SqsQueueSource(sqs, url);
    const [message] = await source.receive(1, 1, 30);

    await source.changeVisibility(message!, 0);

    expect(await visibleAndHidden(url)).toEqual([1, 0]);
  });

  it('returns nothing when its long poll is aborted', async () => {
    const { url } = await createQueues(sqs);
    const source = new SqsQueueSource(sqs, url);
    const abort = new AbortController();

    const receiving = source.receive(10, 20, 30, abort.signal);
    setTimeout(() => abort.abort(), 200);

    await expect(receiving).resolves.toEqual([]);
  });
});
