// `pnpm reflex <command>`: match events against the manifests, invoke a reflex locally, draw the event paths,
// preview schedules, audit mandatory tags, query and feed the IPAM, list and request IP blocks, show and
// override route failover paths, scaffold a new reflex.
import { inspect } from 'node:util';
import { describeError } from '@reflex/manifest';
import { blocksCommand } from './blocks';
import { checkCommand } from './check';
import { type Command, EXIT, exitCodeOf, UsageError } from './common';
import { graphCommand } from './graph';
import { invokeCommand } from './invoke';
import { ipamCommand } from './ipam';
import { matchCommand } from './match';
import { newCommand } from './new';
import { planCommand } from './plan';
import { routesCommand } from './routes';
import { scheduleCommand } from './schedule';
import { tagsCommand } from './tags';
import { ttlCommand } from './ttl';

const COMMANDS: readonly Command[] = [matchCommand, invokeCommand, graphCommand, scheduleCommand, tagsCommand, ipamCommand, blocksCommand, routesCommand, checkCommand, planCommand, ttlCommand, newCommand];

const USAGE = `reflex <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

  reflex <command> --help   options and exit codes of a command
  reflex --help             this text

  --debug (anywhere, or REFLEX_DEBUG=1)   print the stack of an error, not only its one line
  Exit codes: 0 done, 1 a failure at run time (an AWS or database call…), 2 a usage or input error.`;

/** `--debug` anywhere before a `--`, taken out of the arguments the command parses. */
function takeDebugFlag(argv: readonly string[]): { args: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const args = [...head.filter((a) => a !== '--debug'), ...(end < 0 ? [] : argv.slice(end))];
  return { args, debug: args.length !== argv.length };
}

const debugFromEnv = () => /^(1|true|yes)$/i.test(process.env.REFLEX_DEBUG ?? '');

/**
 * Prints a failed command's error: one line, `reflex <command>: <message> ← <cause> ← …`; with the usage
 * for a UsageError that asks for it; with the stack and causes in full when debugging. Returns the exit code.
 */
function report(command: Command, error: unknown, debug: boolean): number {
  process.stderr.write(`reflex ${command.name}: ${describeError(error, { names: false })}\n`);
  if (error instanceof UsageError && error.showUsage) {
    process.stderr.write(`usage: ${command.help.split('\n')[0]}\n       reflex ${command.name} --help for the options\n`);
  }
  if (debug) process.stderr.write(`${inspect(error, { depth: 8 })}\n`);
  return exitCodeOf(error);
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const { args, debug: debugFlag } = takeDebugFlag(argv);
  const debug = debugFlag || debugFromEnv();
  const [first, ...rest] = args;
  if (first === undefined) {
    process.stderr.write(`reflex: expected a command\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${topic ? topic.help : USAGE}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    process.stderr.write(`reflex: unknown command "${first}"\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    return report(command, error, debug);
  }
}
