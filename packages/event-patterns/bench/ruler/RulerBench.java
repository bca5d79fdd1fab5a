import software.amazon.event.ruler.Machine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The engine's benchmark (bench/match.ts) run on aws/event-ruler: the same 20,000 events as JSON text and the
 * same 1, 100 and 1,000 rules, matched with Machine.rulesForJSONEvent (array-consistent, as EventBridge does).
 * Each rule set is first warmed up for WARMUP_SECONDS (default 30, at least 3 rounds) so that the JIT has
 * settled — fewer seconds understate event-ruler by a third or more — then the median of 7 timed rounds.
 *
 * Usage: java -cp <event-ruler + jackson jars>:<classes> [-Drules=1,100,1000] [-Dwarmup.seconds=30] RulerBench <folder
 * written by export-workload.ts>
 */
public class RulerBench {
    static final long WARMUP_SECONDS = Long.getLong("warmup.seconds", 30);
    static final int ROUNDS = 7;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String[] events = Files.readAllLines(dir.resolve("events.jsonl")).toArray(new String[0]);
        System.out.printf("java %s; %d events; %d s of warm-up per rule set%n", System.getProperty("java.version"), events.length, WARMUP_SECONDS);
        for (String counted : System.getProperty("rules", "1,100,1000").split(",")) {
            int count = Integer.parseInt(counted.trim());
            List<String> rules = Files.readAllLines(dir.resolve("rules-" + count + ".jsonl"));
            Machine machine = new Machine();
            for (int i = 0; i < rules.size(); i++) machine.addRule("r" + i, rules.get(i));
            long warmUntil = System.nanoTime() + WARMUP_SECONDS * 1_000_000_000L;
            for (int w = 0; w < 3 || System.nanoTime() < warmUntil; w++) run(machine, events);
            double[] rates = new double[ROUNDS];
            long matched = 0;
            for (int r = 0; r < ROUNDS; r++) {
                long started = System.nanoTime();
                matched += run(machine, events);
                rates[r] = events.length / ((System.nanoTime() - started) / 1e9);
            }
            Arrays.sort(rates);
            double perSecond = rates[ROUNDS / 2];
            System.out.printf("%5d rules: %,d events/s, %,d rule evaluations/s, %.1f matches per event%n",
                    count, Math.round(perSecond), Math.round(perSecond * count), matched / (double) (events.length * ROUNDS));
        }
    }

    static long run(Machine machine, String[] events) throws Exception {
        long matched = 0;
        for (String event : events) matched += machine.rulesForJSONEvent(event).size();
        return matched;
    }
}
