// `pnpm --filter @reflex/event-patterns bench`: events/s and rule evaluations/s for 1, 100 and 1,000 rules
// over 20,000 events given as JSON text (parse included, as event-ruler's rulesForJSONEvent does);
// the median of 7 rounds.
import { RuleSet } from '../src/index';
import { events, rules } from './workload';

const EVENTS = events(20_000);
const bytes = EVENTS.reduce((n, e) => n + e.length, 0);
console.log(`node ${process.version}; ${EVENTS.length} events, ${(bytes / EVENTS.length).toFixed(0)} bytes each on average`);

for (const count of [1, 100, 1000]) {
  const set = new RuleSet<number>();
  rules(count).forEach((r, i) => set.add(i, r));
  let matched = 0;
  for (const e of EVENTS) matched += set.matches(e).length; // warm-up
  const rounds = 7;
  const rates: number[] = [];
  matched = 0;
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (const e of EVENTS) matched += set.matches(e).length;
    rates.push(EVENTS.length / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  // The median round: robust against a GC pause or a busy neighbour on a shared machine.
  const perSecond = rates.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
  console.log(
    `${String(count).padStart(5)} rules: ${Math.round(perSecond).toLocaleString('en')} events/s, ` +
      `${Math.round(perSecond * count).toLocaleString('en')} rule evaluations/s, ` +
      `${(matched / (EVENTS.length * rounds)).toFixed(1)} matches per event (${set.distinctPatterns} distinct patterns)`,
  );
}
