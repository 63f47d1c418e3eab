/** Errors the CLI reports as `vgglab: <message>` with an exit code, without a stack trace. */
import { EXIT } from './defaults.ts';

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A run stopped by Ctrl-C after writing its checkpoint. */
export class InterruptedError extends CliError {
  override name = 'InterruptedError';
  constructor(message: string) {
    super(message, EXIT.interrupted);
  }
}

/** The message of any thrown value, for one-line reports. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
