import { describe, expect, it } from '@jest/globals';
import { lazySdk } from './lazy-sdk';

const fakeSdk = { Client: class {} };

describe('lazySdk', () => {
  it('does not load the module before the first use', () => {
    let loads = 0;

    lazySdk(
      async () => {
        loads++;
        return fakeSdk;
      },
      (sdk) => new sdk.Client(),
    );

    expect(loads).toBe(0);
  });

  it('loads the module and builds the client once across uses', async () => {
    let loads = 0;
    let clients = 0;
    const load = lazySdk(
      async () => {
        loads++;
        return fakeSdk;
      },
      (sdk) => {
        clients++;
        return new sdk.Client();
      },
    );

    const [first, second] = await Promise.all([load(), load()]);
    const third = await load();

    expect({ loads, clients }).toEqual({ loads: 1, clients: 1 });
    expect(second.client).toBe(first.client);
    expect(third.client).toBe(first.client);
  });

  it('hands back the loaded module with the client', async () => {
    const load = lazySdk(async () => fakeSdk, (sdk) => new sdk.Client());

    const { sdk, client } = await load();

    expect(sdk).toBe(fakeSdk);
    expect(client).toBeInstanceOf(fakeSdk.Client);
  });

  it('rejects with the load error', async () => {
    const load = lazySdk(async () => Promise.reject(new Error('Cannot find module')), () => ({}));

    await expect(load()).rejects.toThrow('Cannot find module');
  });

  it('loads again on the next use after a failed load', async () => {
    let loads = 0;
    const load = lazySdk(
      async () => {
        loads++;
        if (loads === 1) throw new Error('Cannot find module');
        return fakeSdk;
      },
      (sdk) => new sdk.Client(),
    );
    await load().catch(() => undefined);

    const { client } = await load();

    expect(loads).toBe(2);
    expect(client).toBeInstanceOf(fakeSdk.Client);
  });
});

describe('lazySdk when building the client fails', () => {
  it('builds the client again on the next use', async () => {
    let clients = 0;
    const load = lazySdk(async () => fakeSdk, (sdk) => {
      clients++;
      if (clients === 1) throw new Error('bad config');
      return new sdk.Client();
    });

    await expect(load()).rejects.toThrow('bad config');
    const { client } = await load();

    expect(clients).toBe(2);
    expect(client).toBeInstanceOf(fakeSdk.Client);
  });
});
