// Colour for people at a terminal, never in files, pipes or logs: only when the stream is a
// terminal and NO_COLOR (https://no-color.org) is unset or empty.

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

const GREEN = '\x1b[1;32m';
const RED = '\x1b[1;31m';
const RESET = '\x1b[0m';

/** The summary text with its verdict line (the first line starting `OK:` or `FAILED:`) green or red. */
export function colourVerdict(text: string): string {
  return text.replace(/^(OK|FAILED)(:.*)$/m, (_m, word: string, rest: string) => `${word === 'OK' ? GREEN : RED}${word}${rest}${RESET}`);
}
