import { describe, expect, it } from '@jest/globals';
import { freePort, startMoto, waitForEndpoint } from './moto';

describe('startMoto', () => {
  it('starts moto server on a loopback port and stops it again', async () => {
    const aws = await startMoto();
    expect(aws.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${aws.endpoint}/moto-api/`)).ok).toBe(true);
    await aws.stop();
    await expect(fetch(aws.endpoint)).rejects.toThrow();
  }, 30_000);
});

describe('waitForEndpoint', () => {
  it('fails naming the endpoint when nothing answers', async () => {
    const port = await freePort();
    await expect(waitForEndpoint(`http://127.0.0.1:${port}`, 300)).rejects.toThrow(`http://127.0.0.1:${port}`);
  });
});
