// A portfolio of strategies taking turns across executions: execution i runs strategy i mod 4 of
// [random, pct(d=2), pct(d=3), pct(d=4)]. The chosen strategy is reseeded with the execution's
// schedule seed, so execution i is a function of (schedule seed, i) and, for the PCT members,
// of the step estimate k they hold (see PctScheduler.observe).
//
// Which execution is this? reseed(seed, index) says it outright (index mod 4). Without an index
// the portfolio counts: each reseed moves to the next strategy, except a reseed with the same
// seed as the previous one, which re-runs that schedule with the same strategy (stress re-runs a
// schedule with the same seed to record a finding).
//
// The only randomness is the seeded Prng of each member: no clock, no Math.random, no I/O.
import { PctScheduler } from './pct.js';
import { RandomScheduler } from './random.js';
import type { Scheduler } from './scheduler.js';

export type PortfolioMember = RandomScheduler | PctScheduler;

export class PortfolioScheduler implements Scheduler {
  readonly name = 'portfolio';
  readonly strategies: readonly [RandomScheduler, PctScheduler, PctScheduler, PctScheduler];
  private idx = 0;
  private lastSeed: number | null = null;

  constructor(seed: number, estimatedSteps = 200) {
    this.strategies = [
      new RandomScheduler(seed),
      new PctScheduler(seed, 2, estimatedSteps),
      new PctScheduler(seed, 3, estimatedSteps),
      new PctScheduler(seed, 4, estimatedSteps),
    ];
  }

  /** The strategy of execution `index`. */
  strategyFor(index: number): PortfolioMember {
    const n = this.strategies.length;
    return this.strategies[((index % n) + n) % n]!;
  }

  /**
   * Start the execution with schedule seed `seed`: execution `index` when given (strategy
   * index mod 4), else the next one (or the same one again when `seed` repeats the last seed).
   */
  reseed(seed: number, index?: number): void {
    const n = this.strategies.length;
    if (index !== undefined) this.idx = ((index % n) + n) % n;
    else if (this.lastSeed !== null && seed !== this.lastSeed) this.idx = (this.idx + 1) % n;
    this.lastSeed = seed;
    this.strategies[this.idx]!.reseed(seed);
  }

  /** The strategy of the current (last started) execution. */
  get current(): PortfolioMember {
    return this.strategies[this.idx]!;
  }

  /** Its position in the portfolio, 0..3. */
  get currentIndex(): number {
    return this.idx;
  }

  /** Feed the step count of the last run to every PCT member (they share the workload). */
  observe(steps: number): void {
    for (const s of this.strategies) if (s instanceof PctScheduler) s.observe(steps);
  }

  /** A new workload: reset every PCT member's step estimate. */
  resetEstimate(k?: number): void {
    for (const s of this.strategies) if (s instanceof PctScheduler) s.resetEstimate(k);
  }

  newExecution(): boolean {
    return this.current.newExecution();
  }

  nextThread(enabled: Int32Array, n: number): number {
    return this.current.nextThread(enabled, n);
  }

  draw(bound: number): number {
    return this.current.draw(bound);
  }
}
