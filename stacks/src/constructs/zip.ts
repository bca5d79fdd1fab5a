// The Lambda zip of a function bundle, built in-process. cdktf's ARCHIVE asset spawns a Node process per asset
// and stack (`node fs.js <src> <dest>`): ~250 ms each, 6 of the 8 seconds of a synth of every environment.
// This writes each bundle's zip once per synth, deterministically (sorted entries, fixed times), so its hash —
// the function's `source_code_hash` — changes only with the code.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { deflateRawSync } from 'node:zlib';

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 (ISO-HDLC, as zip uses it). `zlib.crc32` exists only from Node 22.2. */
export function crc32(data: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Every file under `dir`, as paths relative to it with `/`, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(dir, path).split(sep).join('/'));
      else throw new Error(`cannot zip ${path}: not a regular file or folder (a bundle holds only files)`);
    }
  };
  walk(dir);
  return out.sort();
}

// 1980-01-01 00:00 in MS-DOS time and date: zip's earliest, so the bytes never depend on when they were built.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/**
 * A zip archive (deflated, no extra fields) of every file under `dir`, the same bytes for the same files.
 *
 * @example
 * writeFileSync('bundle.zip', zipDirectory('dist/functions/instance-guard'));
 */
export function zipDirectory(dir: string): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const name of filesUnder(dir)) {
    const data = readFileSync(join(dir, name));
    const packed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  if (centrals.length / 2 > 0xffff) throw new Error(`cannot zip ${dir}: ${centrals.length / 2} files, more than a zip without ZIP64 holds (65,535)`);
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The folder's files, sizes and modification times: what the zip written last for it was made from. */
const zippedFrom = new Map<string, string>();

/**
 * Writes the zip of a bundle folder beside it (`<dir>.zip`) and returns its path, for a FILE asset. Zips a
 * folder once per process while its files stay the same (a synth of every environment asks once per
 * environment), and rewrites the file only when its bytes change.
 */
export function bundleZip(dir: string): string {
  const file = `${dir}.zip`;
  const signature = filesUnder(dir)
    .map((name) => {
      const stat = statSync(join(dir, name));
      return `${name}:${stat.size}:${stat.mtimeMs}`;
    })
    .join('|');
  if (zippedFrom.get(dir) === signature && statSync(file, { throwIfNoEntry: false })) return file;
  const zip = zipDirectory(dir);
  const current = statSync(file, { throwIfNoEntry: false })?.size === zip.length ? readFileSync(file) : undefined;
  if (!current?.equals(zip)) {
    // Other processes may synthesize from the same bundle at once (the test suites do): each writes its own
    // file and renames it into place, so none ever reads a half-written zip.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, zip);
    renameSync(temporary, file);
  }
  zippedFrom.set(dir, signature);
  return file;
}
