// Replays a recorded decision sequence and stops at the first decision that no
// longer fits (the recorded thread is not enabled, or a pick/draw mismatch).
import type { Scheduler } from './scheduler.js';

export class ReplayDivergence extends Error {
  constructor(
    readonly index: number,
    readonly expected: string,
    readonly enabled: number[],
  ) {
    super(`replay diverged at decision ${index}: recorded ${expected}, enabled threads [${enabled.join(', ')}]`);
  }
}

/** Decisions are encoded as numbers: a pick is the thread id (>= 0); a draw v is encoded as -(v + 1). */
export class ReplayScheduler implements Scheduler {
  readonly name = 'replay';
  private i = 0;
  constructor(private readonly decisions: readonly number[]) {}
  newExecution(): boolean {
    this.i = 0;
    return true;
  }
  get consumed(): number {
    return this.i;
  }
  nextThread(enabled: Int32Array, n: number): number {
    const want = this.decisions[this.i];
    const list = Array.from(enabled.subarray(0, n));
    if (want === undefined) throw new ReplayDivergence(this.i, 'end of schedule', list);
    if (want < 0) throw new ReplayDivergence(this.i, `draw ${-want - 1}`, list);
    for (let j = 0; j < n; j++) {
      if (enabled[j] === want) {
        this.i++;
        return want;
      }
    }
    throw new ReplayDivergence(this.i, `thread ${want}`, list);
  }
  draw(bound: number): number {
    const want = this.decisions[this.i];
    if (want === undefined || want >= 0) {
      throw new ReplayDivergence(this.i, want === undefined ? 'end of schedule' : `thread ${want}`, []);
    }
    const v = -want - 1;
    if (v >= bound) throw new ReplayDivergence(this.i, `draw ${v} (bound ${bound})`, []);
    this.i++;
    return v;
  }
}
