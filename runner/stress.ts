// The stress campaign: schedule i runs workload floor(i / every) under a random scheduler
// seeded from (seed, i) alone, so any schedule can be re-run on its own. With the dfs
// strategy, workload k is explored exhaustively instead (DPOR, up to a budget of executions,
// each one a schedule) before workload k + 1.
import { deriveSeed } from '../schedulers/prng.js';
import { RandomScheduler } from '../schedulers/random.js';
import { PctScheduler } from '../schedulers/pct.js';
import { PortfolioScheduler } from '../schedulers/portfolio.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { violationKey, type Violation } from '../engine/violation.js';
import type { TraceEvent } from '../engine/kernel.js';
import { sampleWorkload } from '../workload/generate.js';
import type { Workload } from '../workload/types.js';
import type { OpRecord } from '../workload/execute.js';
import { Runner, type RunOptions } from './run.js';
import { minimise, type Minimal } from './minimise.js';
import { ReplayScheduler } from '../schedulers/replay.js';
import { encodeSchedule } from '../schedulers/encoding.js';
import { DfsScheduler } from '../schedulers/dfs.js';
import { DEFAULT_ESTIMATED_STEPS } from '../schedulers/pct.js';
import type { OpOutcomes } from './outcomes.js';

export const SALT_WORKLOAD = 0x574c;
export const SALT_SCHEDULE = 0x5343;
/** Schedules per generated workload (documented default). */
export const DEFAULT_WORKLOAD_EVERY = 8;

/** The reseedable strategies (makeStrategy); stress also takes 'dfs' (StressStrategyName). */
export type StrategyName = 'random' | 'pct' | 'portfolio';
export const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'portfolio'];
export type StressStrategyName = StrategyName | 'dfs';
export const STRESS_STRATEGIES: readonly StressStrategyName[] = [...STRATEGIES, 'dfs'];
/**
 * Executions the dfs strategy spends on one workload at most. The generator's workloads are
 * big for exhaustive search (of the first 20 two-thread workloads of seed 1 without faults, 3
 * have a DPOR tree under 20,000 executions), and DFS backtracks from the deepest decision, so a
 * cut tree is covered at its end only. A small budget keeps the workloads varied; the summary
 * says how many trees were covered whole.
 */
export const DEFAULT_DFS_BUDGET = 64;
/**
 * The default strategy: PCT with d = 3. `npm run bench` (schedules to first detection, 20 seeds,
 * 18 variants) has it ahead of uniform random on the hardest variants (median 792 vs 2,063 for
 * Z1, 3,545 vs 4,133 for Z8a) and it found F4 and F5, which random did not. The portfolio is
 * close: less work over the whole zoo (163k vs 183k schedules, mostly on Z12a, where PCT d=3 is
 * weak) but a worse median on Z1 (1,371).
 */
export const DEFAULT_STRATEGY: StrategyName = 'pct';

/** A stress strategy: reseeded per schedule; PCT ones learn the run length k per workload. */
export interface StressScheduler extends Scheduler {
  reseed(seed: number, index?: number): void;
  observe?(steps: number): void;
  resetEstimate?(k?: number): void;
}

export function makeStrategy(name: StrategyName, pctDepth = 3): StressScheduler {
  switch (name) {
    case 'random':
      return new RandomScheduler(0);
    case 'pct':
      return new PctScheduler(0, pctDepth);
    case 'portfolio':
      return new PortfolioScheduler(0);
  }
}

export interface StressOptions extends RunOptions {
  /** Scheduling strategy (default DEFAULT_STRATEGY). */
  scheduler?: StressStrategyName;
  /** dfs: executions per workload at most (default DEFAULT_DFS_BUDGET). */
  dfsBudget?: number;
  /** PCT depth d (default 3). */
  pctDepth?: number;
  /** Shrink each distinct violation's workload and schedule (runner/minimise.ts). */
  minimise?: boolean;
  seed: number;
  runs: number;
  threads?: number;
  keepGoing: boolean;
  workloadEvery: number;
  faults: boolean;
  /**
   * The schedules to run (not dfs): ascending ranges of whole windows, as the worker pool and
   * --shard split a campaign (runner/partition.ts). Default: [0, runs).
   */
  ranges?: ReadonlyArray<readonly [number, number]>;
  /** dfs: the workloads to explore, [first, end); `runs` bounds their executions. Default: from 0 on. */
  workloads?: readonly [number, number];
  /**
   * Called every TICK schedules with the schedules done, the violations found and the current
   * workload; return true to stop early (Ctrl-C, --time, a chunk the pool no longer needs).
   */
  tick?: (done: number, found: number, workload: number) => boolean;
}

/** Schedules between two calls of StressOptions.tick. */
export const TICK = 256;

/** The minimal counterexample of a violation, with the trace of its replay. */
export interface FoundMinimal extends Minimal {
  compact: string;
  /** Per pick of its replay, the enabled threads (Runtime.enabledSets). */
  enabledSets?: number[];
  ops: OpRecord[];
  trace: TraceEvent[];
}

export interface Found {
  /** Present when the campaign minimised its violations. */
  minimal?: FoundMinimal;
  index: number;
  workloadIndex: number;
  scheduleSeed: number;
  workload: Workload;
  violation: Violation;
  decisions: number[];
  /** Per pick of the recorded run, the enabled threads (Runtime.enabledSets). */
  enabledSets?: number[];
  trace: TraceEvent[];
  ops: OpRecord[];
}

/** What the dfs strategy covered, per workload: the whole tree, cut at the budget, or neither. */
export interface DfsCoverage {
  budget: number;
  workloads: number;
  /** Every Mazurkiewicz trace (and fault outcome) of the workload was run. */
  complete: number;
  /** Stopped at the budget with part of the tree left. */
  cut: number;
  /** Stopped by the end of the campaign (--runs, a violation without keepGoing, tick). */
  stopped: number;
  /** The blocking-wait contract failed (DfsScheduler.unsound): no claim either way. */
  noClaim: number;
}

export interface StressResult {
  runs: number;
  steps: number;
  /** Steps of the longest schedule run: PCT's k for its detection bound. */
  longestRun: number;
  found: Found[];
  byKind: Record<string, number>;
  interrupted: boolean;
  runner: Runner;
  /** Operation outcomes over every schedule run (runner.outcomes, as a record). */
  outcomes: OpOutcomes;
  /** Present with the dfs strategy. */
  dfs?: DfsCoverage;
}

export function workloadFor(seed: number, windowIndex: number, threads: number | undefined, faults: boolean): Workload {
  return sampleWorkload(deriveSeed(seed, windowIndex, SALT_WORKLOAD), { threads, faults });
}

export function scheduleSeed(seed: number, index: number): number {
  return deriveSeed(seed, index, SALT_SCHEDULE);
}

/** Minimises a found violation on a runner of its own (the campaign's coverage stays pure). */
export async function minimal(o: StressOptions, f: Found): Promise<FoundMinimal> {
  const runner = new Runner(o);
  const m = await minimise(runner, f, {
    gen: { threads: o.threads, faults: o.faults },
    workloadSeed: deriveSeed(o.seed, f.workloadIndex, SALT_WORKLOAD),
  });
  const r = await runner.run(m.workload, new ReplayScheduler(m.decisions), true, true);
  if (!r.violation || r.violation.kind !== m.violation.kind || r.violation.location !== m.violation.location) {
    throw new Error(`minimisation of schedule ${f.index} does not replay (${r.violation ? violationKey(r.violation) : 'no violation'})`);
  }
  return { ...m, violation: r.violation, compact: encodeSchedule(m.decisions), enabledSets: r.enabledSets!, ops: r.ops, trace: r.trace };
}

export async function stress(o: StressOptions): Promise<StressResult> {
  const name = o.scheduler ?? DEFAULT_STRATEGY;
  if (name === 'dfs') return stressDfs(o);
  const runner = new Runner(o);
  const sched = makeStrategy(name, o.pctDepth);
  const found: Found[] = [];
  const seen = new Set<string>();
  const byKind: Record<string, number> = {};
  let steps = 0;
  let longestRun = 0;
  let wlIndex = -1;
  let wl: Workload | null = null;
  let done = 0;
  let interrupted = false;
  let stop = false;
  for (const [from, to] of o.ranges ?? [[0, o.runs] as const]) for (let i = from; i < to && !stop; i++) {
    const w = Math.floor(i / o.workloadEvery);
    if (w !== wlIndex) {
      wlIndex = w;
      wl = workloadFor(o.seed, w, o.threads, o.faults);
      // Every window starts from the same prior k, not from what the window before learnt: a
      // window's schedules then depend on (seed, index) alone, whichever worker runs them.
      sched.resetEstimate?.(DEFAULT_ESTIMATED_STEPS);
    }
    const ss = scheduleSeed(o.seed, i);
    sched.reseed(ss, i);
    const r = await runner.run(wl!, sched, false, false);
    steps += r.steps;
    if (r.steps > longestRun) longestRun = r.steps;
    done++;
    if (r.violation) {
      const key = violationKey(r.violation);
      byKind[r.violation.kind] = (byKind[r.violation.kind] ?? 0) + 1;
      if (!seen.has(key)) {
        seen.add(key);
        sched.reseed(ss, i);
        const rec = await runner.run(wl!, sched, true, true);
        const v = rec.violation;
        if (!v || violationKey(v) !== key) {
          throw new Error(`nondeterminism: schedule ${i} gave ${key} and then ${v ? violationKey(v) : 'no violation'} on re-run`);
        }
        const f: Found = {
          index: i,
          workloadIndex: w,
          scheduleSeed: ss,
          workload: wl!,
          violation: v,
          decisions: rec.decisions!,
          enabledSets: rec.enabledSets!,
          trace: rec.trace,
          ops: rec.ops,
        };
        if (o.minimise) f.minimal = await minimal(o, f);
        found.push(f);
        if (!o.keepGoing) {
          stop = true;
          break;
        }
      }
    }
    sched.observe?.(r.steps);
    if (done % TICK === 0 && o.tick && o.tick(done, found.length, w)) {
      interrupted = true;
      stop = true;
    }
  }
  return { runs: done, steps, longestRun, found, byKind, interrupted, runner, outcomes: runner.outcomes.toOutcomes() };
}

/**
 * The dfs campaign: workload k (the same workloadFor(seed, k) as window k of the other
 * strategies) is explored with DPOR until its tree is covered or the budget is spent; every
 * execution counts as a schedule. A violation is recorded by replaying the explorer's decisions,
 * so its document and minimisation are those of any other strategy.
 */
async function stressDfs(o: StressOptions): Promise<StressResult> {
  const budget = o.dfsBudget ?? DEFAULT_DFS_BUDGET;
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`stress: dfsBudget must be an integer >= 1, got ${budget}`);
  const runner = new Runner(o);
  const found: Found[] = [];
  const seen = new Set<string>();
  const byKind: Record<string, number> = {};
  const cov: DfsCoverage = { budget, workloads: 0, complete: 0, cut: 0, stopped: 0, noClaim: 0 };
  let steps = 0;
  let longestRun = 0;
  let i = 0;
  let interrupted = false;
  let stop = false;
  const [first, end] = o.workloads ?? [0, Infinity];
  for (let w = first; w < end && i < o.runs && !stop; w++) {
    const wl = workloadFor(o.seed, w, o.threads, o.faults);
    const dfs = new DfsScheduler({ reduction: 'dpor', maxExecutions: Math.min(budget, o.runs - i) });
    cov.workloads++;
    while (!stop && dfs.newExecution()) {
      const r = await runner.run(wl, dfs, false, false);
      steps += r.steps;
      if (r.steps > longestRun) longestRun = r.steps;
      if (r.violation) {
        const key = violationKey(r.violation);
        byKind[r.violation.kind] = (byKind[r.violation.kind] ?? 0) + 1;
        if (!seen.has(key)) {
          seen.add(key);
          const decisions = dfs.schedule();
          const rec = await runner.run(wl, new ReplayScheduler(decisions), true, true);
          const v = rec.violation;
          if (!v || violationKey(v) !== key) {
            throw new Error(`nondeterminism: schedule ${i} (dfs) gave ${key} and then ${v ? violationKey(v) : 'no violation'} on replay`);
          }
          const f: Found = { index: i, workloadIndex: w, scheduleSeed: 0, workload: wl, violation: v, decisions: rec.decisions!, enabledSets: rec.enabledSets!, trace: rec.trace, ops: rec.ops };
          if (o.minimise) f.minimal = await minimal(o, f);
          found.push(f);
          if (!o.keepGoing) stop = true;
        }
      }
      i++;
      if (!stop && i % TICK === 0 && o.tick && o.tick(i, found.length, w)) {
        interrupted = true;
        stop = true;
      }
    }
    if (dfs.unsound !== null) cov.noClaim++;
    else if (dfs.complete) cov.complete++;
    else if (dfs.runs >= budget) cov.cut++;
    else cov.stopped++;
  }
  return { runs: i, steps, longestRun, found, byKind, interrupted, runner, outcomes: runner.outcomes.toOutcomes(), dfs: cov };
}
