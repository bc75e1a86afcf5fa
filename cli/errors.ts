// Exit codes and error reporting: bad input is one line on stderr and exit 2, never a stack trace.
import { CommanderError, InvalidArgumentError } from 'commander';

export const EXIT_OK = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/** Bad input from the user (flags, files): exit 2 with the message on one line. */
export class UsageError extends Error {}

/** A replay that no longer reproduces, or another failure that is not the user's input: exit 3. */
export class InternalError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function oneLine(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

export function printError(prefix: string, message: string): void {
  const m = oneLine(message);
  process.stderr.write(`${m.startsWith(prefix) ? m : prefix + m}\n`);
}

/** Map anything thrown out of a command to its exit code, printing one line. */
export function handleError(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander already printed its message (through configureOutput, on one line).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
    return EXIT_USAGE;
  }
  if (e instanceof UsageError) {
    printError('error: ', e.message);
    return EXIT_USAGE;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  printError('internal error: ', err.message || err.name);
  if (process.env.IOMMUFD_MODEL_DEBUG) {
    process.stderr.write(`${err instanceof InternalError && err.detail ? err.detail + '\n' : ''}${err.stack ?? ''}\n`);
  }
  return EXIT_INTERNAL;
}

// ---- option parsers (commander argParser functions: they throw InvalidArgumentError) --------

export function positiveInt(value: string): number {
  const n = /^\+?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('Expected a positive integer.');
  return n;
}

export function seedValue(value: string): number {
  const n = /^\+?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n >= 2 ** 32) throw new InvalidArgumentError('Expected an integer from 0 to 4294967295 (2^32-1).');
  return n;
}

export function oneOf<T extends string>(what: string, ok: (s: string) => s is T, all: readonly string[]) {
  return (value: string): T => {
    if (!ok(value)) throw new InvalidArgumentError(`Expected a ${what}: ${all.join(', ')}.`);
    return value;
  };
}
