// PCT, probabilistic concurrency testing: Burckhardt, Kothari, Musuvathi, Nagarakatte,
// "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010.
//
// Every thread gets a distinct random initial priority in d..d+n-1 (a uniform random
// permutation); d-1 priority change points k_1..k_{d-1} are drawn in [1, k]. At every step the
// enabled thread of highest priority runs; at step k_i the thread that would run that step has
// its priority lowered to d-i, below every initial priority (the paper's Algorithm 1, which
// lowers the thread that ran step k_i, is the same schedule shifted by one step). For a program
// of at most n threads and at most k steps, one execution finds any bug of depth d (d ordering
// constraints between steps) with probability at least
//
//     1 / (n * k^(d-1))
//
// Here the change points are drawn distinct (when k >= d-1), which can only raise that
// probability: a given placement of the d-1 points has probability 1/(k(k-1)...(k-d+2)).
//
// Adaptation to the runtime: a step is one nextThread call, counted from the start of the
// execution across every phase (setup, threads, teardown), like Runtime.steps. Thread ids restart
// at 0 in every phase, so priorities belong to thread ids: id t keeps its priority (lowered or
// not) in every phase of the execution. Priorities are assigned lazily, in id order, the first
// time an id (or a larger one) is offered: id t is inserted at a uniform rank among ids 0..t-1,
// which reveals a uniform random permutation one id at a time (64 slots preallocated, grown if
// ever needed). k is an estimate, fed by observe(): see estimatedSteps.
//
// The only randomness is the seeded Prng: no clock, no Math.random, no I/O.
import { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

const INITIAL_SLOTS = 64;
/** The k before any observation; stress starts every window from it, so no window depends on another. */
export const DEFAULT_ESTIMATED_STEPS = 200;

export class PctScheduler implements Scheduler {
  readonly name: string;
  readonly prng: Prng;
  /** Bug depth d: d-1 change points per execution. */
  readonly depth: number;

  /** The k the next execution will use (see estimatedSteps). */
  private estimate: number;
  /** False after reset: the first observation replaces the estimate instead of raising it. */
  private observed = false;
  /** The k of the current (last started) execution. */
  private k: number;

  /** Steps (nextThread calls) of the current execution. */
  private count = 0;
  /** Change point of index i (1-based) at changes[i-1], in [1, k]. */
  private readonly changes: number[] = [];
  /** Initial rank of each assigned thread id; its initial priority is depth + rank. */
  private rank = new Int32Array(INITIAL_SLOTS);
  /** 0 while the id keeps its initial priority, else its lowered priority d-i (in 1..d-1). */
  private lowered = new Int32Array(INITIAL_SLOTS);
  /** Ids 0..assigned-1 have a priority. */
  private assigned = 0;

  constructor(seed: number, depth = 3, estimatedSteps = DEFAULT_ESTIMATED_STEPS) {
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`pct: depth must be an integer >= 1, got ${depth}`);
    this.depth = depth;
    this.name = `pct(d=${depth})`;
    this.prng = new Prng(seed);
    this.estimate = clampSteps(estimatedSteps);
    this.k = this.estimate;
    this.newExecution();
  }

  /** Reseed the PRNG and start a new execution (priorities and change points drawn afresh). */
  reseed(seed: number): void {
    this.prng.reseed(seed);
    this.newExecution();
  }

  /**
   * The k used by the next execution. Choice: the maximum of the step counts observed since the
   * last reset (PCT wants k >= the steps of a run, and a run cut short by a violation must not
   * shrink it); until the first observation, the constructor's or resetEstimate's value. A first
   * observation replaces that prior, so an over-large default does not spread the change points
   * past the end of short runs.
   */
  get estimatedSteps(): number {
    return this.estimate;
  }

  /** The k of the current (last started) execution. */
  get executionSteps(): number {
    return this.k;
  }

  /** The change points of the current execution: index i-1 holds k_i. */
  get changePoints(): readonly number[] {
    return this.changes;
  }

  /** Update k from the previous run of the same workload (its total step count). */
  observe(steps: number): void {
    const s = clampSteps(steps);
    this.estimate = this.observed ? Math.max(this.estimate, s) : s;
    this.observed = true;
  }

  /** A new workload: forget the observations and start again from `k` (default: the current estimate). */
  resetEstimate(k: number = this.estimate): void {
    this.estimate = clampSteps(k);
    this.observed = false;
  }

  /** The PCT bound for the last execution: 1/(n*k^(d-1)) with n = `threads` and its k. */
  bound(threads: number): number {
    return 1 / (Math.max(1, threads) * Math.pow(this.k, this.depth - 1));
  }

  newExecution(): boolean {
    this.k = this.estimate;
    this.count = 0;
    this.assigned = 0;
    this.lowered.fill(0);
    const changes = this.changes;
    changes.length = 0;
    const distinct = this.k >= this.depth - 1;
    for (let i = 1; i < this.depth; i++) {
      let c: number;
      do c = 1 + this.prng.below(this.k);
      while (distinct && changes.includes(c));
      changes.push(c);
    }
    return true;
  }

  nextThread(enabled: Int32Array, n: number): number {
    const step = ++this.count;
    const last = enabled[n - 1]!;
    if (last >= this.assigned) this.assignUpTo(last);
    let pick = this.highest(enabled, n);
    // Change points at this step, in index order (several only when k < d-1 forced repeats).
    for (let i = 1; i < this.depth; i++) {
      if (this.changes[i - 1] !== step) continue;
      this.lowered[pick] = this.depth - i;
      pick = this.highest(enabled, n);
    }
    return pick;
  }

  draw(bound: number): number {
    return this.prng.below(bound);
  }

  /** The current priority of an assigned id. */
  priority(id: number): number {
    if (id < 0 || id >= this.assigned) return -1;
    const low = this.lowered[id]!;
    return low !== 0 ? low : this.depth + this.rank[id]!;
  }

  private highest(enabled: Int32Array, n: number): number {
    let best = enabled[0]!;
    let bestP = this.priority(best);
    for (let j = 1; j < n; j++) {
      const id = enabled[j]!;
      const p = this.priority(id);
      if (p > bestP) {
        best = id;
        bestP = p;
      }
    }
    return best;
  }

  /** Give priorities to ids assigned..last: each at a uniform rank among the ids before it. */
  private assignUpTo(last: number): void {
    if (last >= this.rank.length) {
      let size = this.rank.length * 2;
      while (size <= last) size *= 2;
      const r = new Int32Array(size);
      r.set(this.rank);
      const l = new Int32Array(size);
      l.set(this.lowered);
      this.rank = r;
      this.lowered = l;
    }
    const rank = this.rank;
    for (let id = this.assigned; id <= last; id++) {
      const pos = this.prng.below(id + 1);
      for (let j = 0; j < id; j++) if (rank[j]! >= pos) rank[j]++;
      rank[id] = pos;
      this.lowered[id] = 0;
    }
    this.assigned = last + 1;
  }
}

function clampSteps(steps: number): number {
  return Number.isFinite(steps) && steps >= 1 ? Math.floor(steps) : 1;
}
