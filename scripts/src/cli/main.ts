// The CLI as a program: `pnpm reflex …` (the launcher imports the bundle, whose entry imports this).
import { main } from './cli';

// SDK clients of an invoked reflex may keep sockets open; the command is done when main is.
process.exit(await main(process.argv.slice(2)));
