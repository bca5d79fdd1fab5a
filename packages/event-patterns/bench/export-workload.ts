// Writes the benchmark workload as JSON lines for the event-ruler harness (bench/ruler/): events.jsonl and
// rules-<n>.jsonl for 1, 100 and 1,000 rules, into the folder given as the first argument.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { events, rules } from './workload';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx bench/export-workload.ts <folder>');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'events.jsonl'), `${events(20_000).join('\n')}\n`);
for (const count of [1, 100, 1000]) {
  writeFileSync(join(dir, `rules-${count}.jsonl`), `${rules(count).map((r) => JSON.stringify(r)).join('\n')}\n`);
}
