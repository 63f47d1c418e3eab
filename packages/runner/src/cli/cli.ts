/**
 * `vgglab`: the command line. Every command has `--help`; failures print one line `vgglab: <message>`
 * (spec errors print all their lines) and exit non-zero.
 */
import * as fs from 'node:fs';
import { helpText, parseCommandArgs, type Command, type CommandIO } from './command.ts';
import { EXIT } from '../defaults.ts';
import { CliError, messageOf } from '../errors.ts';
import { expCommand } from './commands/exp.ts';
import { runsCommand } from './commands/runs.ts';
import { predictCommand } from './commands/predict.ts';
import { evaluateCommand } from './commands/evaluate.ts';
import { modelsCommand } from './commands/models.ts';
import { dataCommand } from './commands/data.ts';
import { serveCommand } from './commands/serve.ts';
import { serverCommand } from './commands/server.ts';
import { workerCommand } from './commands/worker.ts';

export const COMMANDS: Command[] = [
  expCommand,
  runsCommand,
  predictCommand,
  evaluateCommand,
  modelsCommand,
  dataCommand,
  serveCommand,
  serverCommand,
  workerCommand,
];

const rootCommand: Command = {
  name: '',
  summary: 'vgglab: image-classification experiments from YAML specs, logged to a SQLite run store.',
  usage: 'vgglab <command> [options]',
  options: {},
  subcommands: COMMANDS,
  details: [
    'Examples:',
    '  vgglab exp experiments/quickstart.yaml',
    '  vgglab exp experiments/quickstart.yaml -o optimizer.lr=0.0005 -o train.epochs=3',
    '  vgglab runs --status finished',
    '  vgglab predict --run <id> image.jpg',
    '  vgglab serve',
  ].join('\n'),
};

function defaultIO(): CommandIO {
  return {
    stdout: { write: (t) => void process.stdout.write(t), isTTY: process.stdout.isTTY, columns: process.stdout.columns },
    stderr: { write: (t) => void process.stderr.write(t), isTTY: process.stderr.isTTY },
    env: process.env,
  };
}

/** The lines an error prints: spec errors carry one line per problem. */
function errorLines(err: unknown): string[] {
  const issues = (err as { issues?: unknown }).issues;
  const message = messageOf(err);
  if (Array.isArray(issues) && issues.length > 1 && !message.includes('\n')) {
    return [message, ...issues.map((i) => (typeof i === 'string' ? i : ((i as { message?: string }).message ?? JSON.stringify(i))))];
  }
  return message.split('\n');
}

/** Spec errors (file:line:column) are the user's input: exit code 2 like other usage errors. */
function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  const name = (err as { name?: string }).name;
  if (name === 'SpecError' || name === 'RegistryError') return EXIT.usage;
  return EXIT.error;
}

/** Node's exit code for a process whose top-level await was left with nothing that could settle it. */
const UNSETTLED_TOP_LEVEL_AWAIT = 13;

/**
 * Node ends a process silently with exit code 13 when the event loop empties while the top-level await is
 * still pending (something the command waits for can no longer happen). The bin calls this first, so such
 * an end prints one line and exits with the documented error code 1 instead.
 */
export function reportUnsettledExit(): void {
  process.on('exit', () => {
    if (process.exitCode !== UNSETTLED_TOP_LEVEL_AWAIT) return;
    // 'exit' handlers must write synchronously.
    fs.writeSync(2, 'vgglab: internal error: the command stopped while waiting for something that can no longer happen (Node exit 13); it did not finish\n');
    process.exitCode = EXIT.error;
  });
}

/** Runs one command line; returns the exit code (the bin sets process.exitCode from it). */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  let cmd: Command = rootCommand;
  let args = argv;
  let prefix = 'vgglab';
  // Walk down sub-commands: `runs show <id>` -> runs -> show.
  while (cmd.subcommands && args.length > 0 && !args[0]!.startsWith('-')) {
    const sub = cmd.subcommands.find((c) => c.name === args[0]);
    if (!sub) {
      if (cmd.run) break; // a positional of the command itself (`runs` has both)
      const where = cmd === rootCommand ? 'command' : `${cmd.name} command`;
      io.stderr.write(`vgglab: unknown ${where} '${args[0]}'; run \`${prefix} ${cmd.name ? cmd.name + ' ' : ''}--help\`\n`);
      return EXIT.usage;
    }
    prefix = cmd === rootCommand ? 'vgglab' : `${prefix} ${cmd.name}`;
    cmd = sub;
    args = args.slice(1);
  }
  try {
    const { values, positionals } = parseCommandArgs(cmd, args);
    if (values.help || !cmd.run) {
      if (!values.help && cmd !== rootCommand && cmd.subcommands) {
        io.stderr.write(helpText(cmd, prefix));
        return EXIT.usage;
      }
      io.stdout.write(helpText(cmd, prefix));
      return values.help || cmd === rootCommand ? (argv.length === 0 ? EXIT.usage : EXIT.ok) : EXIT.usage;
    }
    return await cmd.run(values, positionals, io);
  } catch (err) {
    for (const line of errorLines(err)) io.stderr.write(`vgglab: ${line}\n`);
    if (io.env.VGGLAB_DEBUG && err instanceof Error && err.stack) io.stderr.write(err.stack + '\n');
    return exitCodeOf(err);
  }
}
