// `pnpm reflex <command>`: match events against the manifests, invoke a reflex locally, draw the event paths,
// preview schedules, audit mandatory tags, query and feed the IPAM.
import { type Command, EXIT, UsageError } from './common';
import { graphCommand } from './graph';
import { invokeCommand } from './invoke';
import { ipamCommand } from './ipam';
import { matchCommand } from './match';
import { scheduleCommand } from './schedule';
import { tagsCommand } from './tags';

const COMMANDS: readonly Command[] = [matchCommand, invokeCommand, graphCommand, scheduleCommand, tagsCommand, ipamCommand];

const USAGE = `reflex <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

  reflex <command> --help   options and exit codes of a command
  reflex --help             this text`;

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
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
    if (error instanceof UsageError) {
      const usage = `usage: ${command.help.split('\n')[0]}\n       reflex ${command.name} --help for the options\n`;
      process.stderr.write(`reflex ${command.name}: ${error.message}\n${error.showUsage ? usage : ''}`);
      return EXIT.usage;
    }
    process.stderr.write(`reflex ${command.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.failed;
  }
}

// SDK clients of an invoked reflex may keep sockets open; the command is done when main is.
process.exit(await main(process.argv.slice(2)));
