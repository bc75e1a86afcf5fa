// The progress line of a stress campaign on stderr: schedules done, schedules/s, distinct
// violations so far and the time left. Only for a person watching: off when stderr is not a
// terminal, under CI (its logs keep every redraw) and with --quiet.
import cliProgress from 'cli-progress';

/** CI=false and CI=0 are how some setups say "not CI". */
function underCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

export function progressWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, quiet: boolean): boolean {
  return !quiet && stream.isTTY === true && !underCi(env);
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressFigures {
  done: number;
  total: number;
  violations: number;
  elapsedSeconds: number;
  /** --time: seconds left before the run stops anyway, or null. */
  timeLeftSeconds: number | null;
}

/** The figures the line shows, computed apart from the drawing so they can be tested. */
export function progressFields(p: ProgressFigures): { rate: string; violations: string; eta: string } {
  const rate = p.elapsedSeconds > 0 ? p.done / p.elapsedSeconds : 0;
  const byRate = rate > 0 ? (p.total - p.done) / rate : Infinity;
  const eta = p.timeLeftSeconds === null ? byRate : Math.min(byRate, p.timeLeftSeconds);
  return {
    rate: Math.round(rate).toLocaleString('en-US'),
    violations: `${p.violations} violation${p.violations === 1 ? '' : 's'}`,
    eta: duration(eta),
  };
}

export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private readonly t0 = performance.now();

  constructor(
    private readonly total: number,
    private readonly timeSeconds: number | null,
    stream: NodeJS.WritableStream = process.stderr,
  ) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: '  {bar} {percentage}% | {value}/{total} schedules | {rate}/s | {violations} | ETA {etaText}',
        formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? Number(v).toLocaleString('en-US') : String(v)),
        clearOnComplete: true,
        hideCursor: null,
        barsize: 24,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { rate: '0', violations: '0 violations', etaText: '?' });
  }

  update(done: number, violations: number): void {
    const elapsedSeconds = (performance.now() - this.t0) / 1000;
    const timeLeftSeconds = this.timeSeconds === null ? null : this.timeSeconds - elapsedSeconds;
    const f = progressFields({ done, total: this.total, violations, elapsedSeconds, timeLeftSeconds });
    this.bar.update(Math.min(done, this.total), { rate: f.rate, violations: f.violations, etaText: f.eta });
  }

  stop(): void {
    this.bar.stop();
  }
}
