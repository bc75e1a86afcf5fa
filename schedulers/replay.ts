// Replays a recorded decision sequence and stops at the first decision that no
// longer fits (the recorded thread is not enabled, or a pick/draw mismatch).
import type { Scheduler } from './scheduler.js';

/** The threads set in an enabled-set bitmask (Runtime.enabledSets). */
export function threadsOf(mask: number): number[] {
  const out: number[] = [];
  for (let t = 0; mask >>> t !== 0; t++) if ((mask >>> t) & 1) out.push(t);
  return out;
}

export class ReplayDivergence extends Error {
  constructor(
    /** The decision (picks and draws counted) that no longer fits. */
    readonly index: number,
    readonly expected: string,
    /** The threads enabled now, at that point of the replay. */
    readonly enabled: number[],
    /** The step: picks before it. */
    readonly step: number,
    /** The threads the recorded run had enabled there, when the document carries its enabled sets. */
    readonly recordedEnabled: number[] | null,
  ) {
    const rec = recordedEnabled ? ` (enabled then [${recordedEnabled.join(', ')}])` : '';
    super(`replay diverged at step ${step} (decision ${index}): recorded ${expected}${rec}, enabled now [${enabled.join(', ')}]`);
  }
}

/** Decisions are encoded as numbers: a pick is the thread id (>= 0); a draw v is encoded as -(v + 1). */
export class ReplayScheduler implements Scheduler {
  readonly name = 'replay';
  private i = 0;
  /** Picks taken so far: the step number, and the index into enabledSets. */
  private picks = 0;
  constructor(
    private readonly decisions: readonly number[],
    /** Per pick, the recorded run's enabled threads as bitmasks (optional: older documents lack them). */
    private readonly enabledSets: readonly number[] | null = null,
  ) {}
  newExecution(): boolean {
    this.i = 0;
    this.picks = 0;
    return true;
  }
  get consumed(): number {
    return this.i;
  }
  private recorded(): number[] | null {
    const m = this.enabledSets?.[this.picks];
    return m === undefined ? null : threadsOf(m);
  }
  nextThread(enabled: Int32Array, n: number): number {
    const want = this.decisions[this.i];
    for (let j = 0; j < n && want !== undefined && want >= 0; j++) {
      if (enabled[j] === want) {
        this.i++;
        this.picks++;
        return want;
      }
    }
    const list = Array.from(enabled.subarray(0, n));
    const what = want === undefined ? 'end of schedule' : want < 0 ? `draw ${-want - 1}` : `thread ${want}`;
    throw new ReplayDivergence(this.i, what, list, this.picks, want !== undefined && want >= 0 ? this.recorded() : null);
  }
  draw(bound: number): number {
    const want = this.decisions[this.i];
    if (want === undefined || want >= 0) {
      throw new ReplayDivergence(this.i, want === undefined ? 'end of schedule' : `thread ${want}`, [], this.picks, null);
    }
    const v = -want - 1;
    if (v >= bound) throw new ReplayDivergence(this.i, `draw ${v} (bound ${bound})`, [], this.picks, null);
    this.i++;
    return v;
  }
}
