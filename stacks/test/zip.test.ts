import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { bundleZip, crc32, zipDirectory } from '../src/constructs/zip';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A bundle folder as the build writes it: the module, its source map, a nested file. */
function bundleFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reflex-zip-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({ batchItemFailures: [] });\n'.repeat(50));
  writeFileSync(join(dir, 'index.mjs.map'), JSON.stringify({ version: 3, mappings: 'AAAA' }));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'data.json'), '{"é":"ü"}');
  return dir;
}

/** What Python's zipfile — an independent reader — finds in the archive: names, contents, and its CRC check. */
function readWithPython(zip: string): { names: string[]; files: Record<string, string>; bad: string | null } {
  const script = `import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({"names": z.namelist(), "files": {n: z.read(n).decode("utf-8") for n in z.namelist()}, "bad": z.testzip()}))`;
  return JSON.parse(execFileSync('python3', ['-c', script, zip], { encoding: 'utf8' }));
}

describe('zipDirectory', () => {
  it('computes zip CRC-32 (the check value of "123456789" is CBF43926)', () => {
    expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('writes an archive another zip reader opens, with every file at its relative path and intact', () => {
    const dir = bundleFolder();
    const file = join(dir, '..', `${dir.split('/').pop()}.zip`);
    writeFileSync(file, zipDirectory(dir));
    dirs.push(file);

    const read = readWithPython(file);

    expect(read.bad).toBeNull();
    expect(read.names).toEqual(['index.mjs', 'index.mjs.map', 'lib/data.json']);
    expect(read.files['index.mjs']).toBe(readFileSync(join(dir, 'index.mjs'), 'utf8'));
    expect(read.files['lib/data.json']).toBe('{"é":"ü"}');
  });

  it('gives the same bytes for the same files, whenever they were written', () => {
    const dir = bundleFolder();
    const first = zipDirectory(dir);
    utimesSync(join(dir, 'index.mjs'), new Date('2030-01-01'), new Date('2030-01-01'));

    expect(zipDirectory(dir).equals(first)).toBe(true);
  });

  it('gives other bytes when a file changes', () => {
    const dir = bundleFolder();
    const first = zipDirectory(dir);
    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({});\n');

    expect(zipDirectory(dir).equals(first)).toBe(false);
  });
});

describe('zipDirectory refuses', () => {
  it('a symbolic link, naming it, rather than leave it out of the function', () => {
    const dir = bundleFolder();
    symlinkSync(join(dir, 'index.mjs'), join(dir, 'alias.mjs'));

    expect(() => zipDirectory(dir)).toThrow(`cannot zip ${join(dir, 'alias.mjs')}: not a regular file or folder`);
  });
});

describe('bundleZip', () => {
  it('writes <dir>.zip beside the folder, and again after a file in it changed', () => {
    const dir = bundleFolder();
    dirs.push(`${dir}.zip`);

    expect(bundleZip(dir)).toBe(`${dir}.zip`);
    expect(readWithPython(`${dir}.zip`).names).toContain('index.mjs');

    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({ changed: true });\n');
    bundleZip(dir);

    expect(readWithPython(`${dir}.zip`).files['index.mjs']).toContain('changed: true');
  });
});
