// Uniform random scheduler: every enabled thread is equally likely at every point.
import { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export class RandomScheduler implements Scheduler {
  readonly name = 'random';
  readonly prng: Prng;
  constructor(seed: number) {
    this.prng = new Prng(seed);
  }
  reseed(seed: number): void {
    this.prng.reseed(seed);
  }
  newExecution(): boolean {
    return true;
  }
  nextThread(enabled: Int32Array, n: number): number {
    return n === 1 ? enabled[0]! : enabled[this.prng.below(n)]!;
  }
  draw(bound: number): number {
    return this.prng.below(bound);
  }
}
