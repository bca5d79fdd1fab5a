import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { IpamError } from '../db';
import { newDataDir } from '../test-cluster';
import { describeLocation, idleClosingStore, openStore, storeLocation } from './store';

// Each PGlite open loads the WASM PostgreSQL and runs migrations: seconds, not milliseconds, on a busy 2-core machine.
jest.setTimeout(60_000);

const root = mkdtempSync(join(tmpdir(), 'reflex-ipam-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `data-${++n}`);
/** A data directory that a first open has made (a copy of a new cluster: initdb costs seconds). */
const madeDir = () => newDataDir(freshDir());

describe('storeLocation', () => {
  it('prefers DATABASE_URL, then IPAM_DATA_DIR, then the fallback directory', () => {
    expect(storeLocation({ DATABASE_URL: 'postgres://u:p@h/db', IPAM_DATA_DIR: '/x' })).toEqual({ url: 'postgres://u:p@h/db' });
    expect(storeLocation({ IPAM_DATA_DIR: '/x' })).toEqual({ dataDir: '/x' });
    expect(storeLocation({}, '/repo/.reflex/ipam')).toEqual({ dataDir: '/repo/.reflex/ipam' });
  });

  it('never shows a password', () => {
    expect(describeLocation({ url: 'postgres://ipam:s3cret@db:5432/ipam' })).toBe('postgres://ipam:***@db:5432/ipam');
  });
});

describe('openStore on a PGlite data directory', () => {
  it('migrates a new directory and keeps its data for the next process', async () => {
    const dataDir = freshDir();
    const first = await openStore({ dataDir });
    await first.query("INSERT INTO devices (instance_id, account, region, state, first_seen, last_seen, version) VALUES ('i-0aaaaaaaaaaaaaaa1', '123456789012', 'us-east-1', 'running', now(), now(), 1)");
    await first.close();

    const second = await openStore({ dataDir });
    const rows = await second.query<{ instance_id: string }>('SELECT instance_id FROM devices');
    await second.close();

    expect(rows).toEqual([{ instance_id: 'i-0aaaaaaaaaaaaaaa1' }]);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('refuses a second open in the same process', async () => {
    const dataDir = await madeDir();
    const db = await openStore({ dataDir });

    await expect(openStore({ dataDir })).rejects.toThrow(/already open in this process/);
    await db.close();
  });

  it('waits for another live process, then fails naming it', async () => {
    const dataDir = freshDir();
    const holder = spawn('sleep', ['30']);
    writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: holder.pid, command: 'reflex ipam worker' }));
    const waited: string[] = [];

    const open = openStore({ dataDir }, { lockTimeoutMs: 300, onWait: (who) => waited.push(who) });

    await expect(open).rejects.toThrow(IpamError);
    await expect(open).rejects.toThrow(new RegExp(`in use by process ${holder.pid} \\(reflex ipam worker\\)`));
    expect(waited).toHaveLength(1);
    holder.kill();
  });

  it('takes over the lock of a process that died', async () => {
    const dataDir = await madeDir();
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: gone.pid }));

    const db = await openStore({ dataDir }, { lockTimeoutMs: 300 });

    await db.close();
  });
});

describe('idleClosingStore', () => {
  it('releases the data directory when idle, so another opener gets it, and reopens on the next use', async () => {
    const dataDir = await madeDir();
    const shared = idleClosingStore(() => openStore({ dataDir }), { idleMs: 50 });
    await shared.query('SELECT 1');
    expect(existsSync(`${dataDir}.lock`)).toBe(true);

    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(`${dataDir}.lock`)).toBe(false);

    const [row] = await shared.transaction((tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM devices'));
    expect(row).toEqual({ n: 0 });
    await shared.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });
});
