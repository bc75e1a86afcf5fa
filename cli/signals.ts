// SIGINT (Ctrl-C) and SIGTERM during a campaign: the first one stops scheduling so the results
// found so far are still written; a second one aborts at once. Under `npm start` one Ctrl-C
// arrives twice (from the terminal and forwarded by npm), so a repeat within a second counts as
// the same one.

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The shell's convention: 128 + the signal number. */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export class StopSignals {
  /** The first signal received, or null. */
  signal: StopSignal | null = null;
  private at = 0;
  private readonly handlers: Array<[StopSignal, () => void]>;

  constructor(onStop: (s: StopSignal) => void, quiet: boolean) {
    this.handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [
      s,
      () => {
        const now = Date.now();
        if (this.signal === null) {
          this.signal = s;
          this.at = now;
          if (!quiet) process.stderr.write(`\n${s}: stopping the campaign and writing what it found (${s === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to abort)\n`);
          onStop(s);
        } else if (now - this.at >= 1000) {
          if (!quiet) process.stderr.write(`${s}: aborted, results not written\n`);
          process.exit(SIGNAL_EXIT[s]);
        }
      },
    ]);
    for (const [s, h] of this.handlers) process.on(s, h);
  }

  dispose(): void {
    for (const [s, h] of this.handlers) process.off(s, h);
  }
}
