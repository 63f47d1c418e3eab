/**
 * The shape of a CLI command: its options (node:util parseArgs config plus a description each), usage text,
 * and what it does. `--help` comes with every command; `help` text is generated from the same table.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Output } from '../loop/progress.ts';
import { UsageError } from '../errors.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help as `--name <valueName>`. */
  valueName?: string;
}

export interface CommandIO {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  /** e.g. `vgglab exp <file> [options]`. */
  usage: string;
  /** Extra help text after the options (examples). */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Sub-commands (`runs show`, `data split`); the first positional picks one. */
  subcommands?: Command[];
  run?(values: ParsedValues, positionals: string[], io: CommandIO): Promise<number>;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help.' };

export function helpText(cmd: Command, prefix = 'vgglab'): string {
  const lines = [`Usage: ${cmd.usage}`, '', cmd.summary];
  if (cmd.subcommands?.length) {
    lines.push('', 'Commands:');
    const w = Math.max(...cmd.subcommands.map((s) => s.name.length));
    for (const s of cmd.subcommands) lines.push(`  ${s.name.padEnd(w)}  ${s.summary}`);
    lines.push('', `Run \`${[prefix, cmd.name].filter(Boolean).join(' ')} <command> --help\` for a command's options.`);
  }
  const opts = { ...cmd.options, help: HELP_OPTION };
  lines.push('', 'Options:');
  const labels = Object.entries(opts).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '    ';
    const value = o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : '';
    return [`${short}--${name}${value}`, o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const w = Math.max(...labels.map(([l]) => l.length));
  for (const [l, d] of labels) lines.push(`  ${l.padEnd(w)}  ${d}`);
  if (cmd.details) lines.push('', cmd.details.trimEnd());
  return lines.join('\n') + '\n';
}

/** Parses a command's arguments; unknown options are usage errors naming the option. */
export function parseCommandArgs(cmd: Command, argv: string[]): { values: ParsedValues; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries({ ...cmd.options, help: HELP_OPTION })) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as ParsedValues, positionals };
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${cmd.name}: ${msg} (see \`vgglab ${cmd.name} --help\`)`);
  }
}

/** Typed accessors for parsed values. */
export function str(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
export function list(values: ParsedValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
export function flag(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}
export function int(values: ParsedValues, name: string, fallback: number, min = 1): number {
  const v = str(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, received '${v}'`);
  return n;
}
export function num(values: ParsedValues, name: string, fallback: number): number {
  const v = str(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, received '${v}'`);
  return n;
}

export function printJson(io: CommandIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Left-aligned columns for human-readable tables. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
