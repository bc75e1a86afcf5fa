// Minimal counterexamples. First the workload shrinks with fast-check's own shrinking (fewer
// threads, fewer and simpler operations, a smaller topology): a candidate is kept when the
// same violation kind recurs, under the original schedule projected onto it or one of a
// bounded number of fresh schedules. fast-check keeps the generator's bounds, so whole threads
// and then single operations are removed next, each candidate tried first with the best
// schedule minus the decisions the removed thread or op took (project()). Then the schedule
// shrinks: delta debugging over its preemptions (a pick of another thread while the previous
// one could still run), each attempt re-run and kept when the same violation (kind and
// location) recurs.
import fc from 'fast-check';
import { deriveSeed, Prng } from '../schedulers/prng.js';
import { RandomScheduler } from '../schedulers/random.js';
import { PctScheduler } from '../schedulers/pct.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import type { EThread } from '../schedulers/runtime.js';
import { ReplayDivergence } from '../schedulers/replay.js';
import type { Violation } from '../engine/violation.js';
import { workloadArb, type GenOptions } from '../workload/generate.js';
import type { Workload } from '../workload/types.js';
import type { Runner } from './run.js';

export interface Minimal {
  workload: Workload;
  decisions: number[];
  violation: Violation;
  steps: number;
  preemptions: number;
  /** The original schedule's figures, for "minimised from X steps / P preemptions". */
  from: { steps: number; preemptions: number };
  /** Runs spent minimising. */
  runs: number;
}

export interface MinimiseOptions {
  /** The generator options and the seed the workload was sampled with (fc.sample(arb, {seed})). */
  gen: GenOptions;
  workloadSeed: number;
  /** Fresh schedules tried per workload candidate after the projected original. */
  freshSchedules?: number;
  /** Upper bound on runs for the whole minimisation (deterministic, never wall time). */
  maxRuns?: number;
}

/** Picks and draws of a decision list, apart. */
function split(decisions: readonly number[]): { picks: number[]; draws: number[] } {
  const picks: number[] = [];
  const draws: number[] = [];
  for (const d of decisions) (d >= 0 ? picks : draws).push(d >= 0 ? d : -d - 1);
  return { picks, draws };
}

/** Preemptions of a run: pick indices where another thread ran while the previous one was enabled. */
export function countPreemptions(flags: readonly boolean[]): number {
  let n = 0;
  for (const f of flags) if (f) n++;
  return n;
}

/**
 * Follows a recorded schedule where it still fits: a dropped preemption keeps the current
 * thread; a recorded thread that is not enabled gives way to the current one, else the lowest.
 * Draws are taken in order; past the end they answer "no fault" (bound - 1).
 */
class LenientScheduler implements Scheduler {
  readonly name = 'lenient-replay';
  private pi = 0;
  private di = 0;
  /** For each pick made: was it a preemption? */
  readonly preempted: boolean[] = [];
  constructor(
    private readonly picks: readonly number[],
    private readonly draws: readonly number[],
    private readonly drop: ReadonlySet<number>,
  ) {}
  newExecution(): boolean {
    return true;
  }
  nextThread(enabled: Int32Array, n: number, current: number): number {
    const i = this.pi++;
    let curEnabled = false;
    let wantEnabled = false;
    const want = this.picks[i];
    for (let j = 0; j < n; j++) {
      if (enabled[j] === current) curEnabled = true;
      if (enabled[j] === want) wantEnabled = true;
    }
    let pick: number;
    if (this.drop.has(i) && curEnabled) pick = current;
    else if (want !== undefined && wantEnabled) pick = want;
    else if (curEnabled) pick = current;
    else pick = enabled[0]!;
    this.preempted.push(curEnabled && pick !== current);
    return pick;
  }
  draw(bound: number): number {
    const v = this.draws[this.di++];
    return v === undefined || v >= bound ? bound - 1 : v;
  }
}

function sameKind(a: Violation | null, b: Violation): boolean {
  return a !== null && a.kind === b.kind;
}

function same(a: Violation | null, b: Violation): boolean {
  return a !== null && a.kind === b.kind && a.location === b.location;
}

/** The thread (by name) and its op index that a decision of a run served. */
export interface Tag {
  name: string;
  op: number;
}

/** Runs a scheduler unchanged and tags each decision with the thread and op it served. */
class TaggingScheduler implements Scheduler {
  readonly name = 'tagging';
  readonly tags: Tag[] = [];
  constructor(
    private readonly inner: Scheduler,
    private readonly threads: readonly EThread[],
    private readonly current: () => number,
  ) {}
  newExecution(): boolean {
    return this.inner.newExecution();
  }
  nextThread(enabled: Int32Array, n: number, current: number): number {
    const pick = this.inner.nextThread(enabled, n, current);
    const t = this.threads[pick]!;
    this.tags.push({ name: t.name, op: t.opIndex });
    return pick;
  }
  draw(bound: number): number {
    const t = this.threads[this.current()];
    this.tags.push({ name: t?.name ?? '', op: t?.opIndex ?? -1 });
    return this.inner.draw(bound);
  }
}

/** A removal from a workload: a whole thread (op < 0), or op `op` of thread `thread` (-1: setup). */
export interface Removal {
  thread: number;
  op: number;
}

/**
 * The schedule of a run projected onto the workload without `rm`: the decisions the removed
 * thread or op took are dropped, and the threads after a removed one move down an id. (A step
 * belongs to the op its thread was in when it was picked: the step that ends one op and starts
 * the next counts for the first, which is close enough for a candidate that is re-run anyway.)
 */
export function project(decisions: readonly number[], tags: readonly Tag[], rm: Removal): number[] {
  const name = rm.thread < 0 ? 'setup' : `T${rm.thread}`;
  const out: number[] = [];
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i]!;
    const tag = tags[i];
    if (tag && tag.name === name && (rm.op < 0 || tag.op === rm.op)) continue;
    if (rm.op < 0 && d >= 0 && tag && tag.name.startsWith('T') && Number(tag.name.slice(1)) > rm.thread) out.push(d - 1);
    else out.push(d);
  }
  return out;
}

export async function minimise(
  runner: Runner,
  original: { workload: Workload; decisions: number[]; violation: Violation },
  o: MinimiseOptions,
): Promise<Minimal> {
  const maxRuns = o.maxRuns ?? 2000;
  const fresh = o.freshSchedules ?? 32;
  let runs = 0;
  const target = original.violation;

  /** One run; returns the violation and the decisions actually taken. */
  const attempt = async (wl: Workload, sched: Scheduler) => {
    runs++;
    try {
      const r = await runner.run(wl, sched, true, false);
      return { violation: r.violation, decisions: r.decisions ?? [], steps: r.steps };
    } catch (e) {
      if (e instanceof ReplayDivergence) return { violation: null, decisions: [], steps: 0 };
      throw e;
    }
  };

  const orig = split(original.decisions);
  const lenient0 = new LenientScheduler(orig.picks, orig.draws, new Set());
  const base = await attempt(original.workload, lenient0);
  const from = { steps: orig.picks.length, preemptions: countPreemptions(lenient0.preempted) };

  // ---- 1. the workload, with fast-check's shrinking -------------------------------------
  let best = { workload: original.workload, decisions: original.decisions, violation: target };
  if (!same(base.violation, target)) {
    return { ...best, steps: from.steps, preemptions: from.preemptions, from, runs };
  }
  best = { workload: original.workload, decisions: base.decisions, violation: base.violation! };
  let bestPre = from.preemptions;
  const wanted = JSON.stringify(original.workload);
  let first = true;
  let candidates = 0;
  const phase1Budget = Math.floor(maxRuns / 2);
  let mismatch = false;
  const property = fc.asyncProperty(workloadArb(o.gen), async (wl) => {
    if (first) {
      first = false;
      // Only the stress workload itself starts the shrink: fc.check with the sample's seed
      // generates it first. If it does not (another generator), skip this phase.
      if (JSON.stringify(wl) !== wanted) {
        mismatch = true;
        return true;
      }
      return false;
    }
    // Half the budget at most: the op-by-op phase and the schedule phase need theirs.
    if (mismatch || runs >= phase1Budget) return true;
    candidates++;
    return !(await consider(wl, candidates, fresh, phase1Budget));
  });

  /**
   * Tries a smaller workload: the best schedule projected onto it, then fresh schedules (half
   * random, half PCT). Keeps it, and returns true, only if the kind recurs with neither a
   * longer schedule nor more preemptions than the best so far (a fresh schedule on a smaller
   * workload often preempts more, and the schedule phase cannot always take that back).
   */
  async function consider(wl: Workload, salt: number, nFresh: number, budget: number, projected?: number[]): Promise<boolean> {
    const bp = split(best.decisions);
    const first = projected ? split(projected) : bp;
    const tries: Scheduler[] = [new LenientScheduler(first.picks, first.draws, new Set())];
    const prng = new Prng(deriveSeed(o.workloadSeed, salt, 0x4d494e));
    for (let i = 0; i < nFresh; i++) {
      tries.push(i % 2 === 0 ? new RandomScheduler(prng.nextU32()) : new PctScheduler(prng.nextU32(), 3, Math.max(1, bp.picks.length)));
    }
    for (const s of tries) {
      if (runs >= budget) return false;
      const r = await attempt(wl, s);
      if (sameKind(r.violation, target) && split(r.decisions).picks.length <= bp.picks.length) {
        const sp = split(r.decisions);
        const l = new LenientScheduler(sp.picks, sp.draws, new Set());
        const m = await attempt(wl, l);
        const pre = countPreemptions(l.preempted);
        if (sameKind(m.violation, target) && pre <= bestPre) {
          best = { workload: wl, decisions: m.decisions, violation: m.violation! };
          bestPre = pre;
          return true;
        }
      }
    }
    return false;
  }

  await fc.check(property, { seed: o.workloadSeed, numRuns: 1 });

  // ---- 1b. the workload, op by op ---------------------------------------------------------
  // fast-check's shrinking keeps the generator's bounds (at least 6 ops per thread), so it
  // rarely gets below them. Remove whole threads, then single ops (last first, so names an op
  // defines stay for the ops before it), then setup ops, while the kind recurs.
  let salt = 1 << 20;
  const opBudget = Math.floor(maxRuns * 0.85);
  const without = (wl: Workload, th: number, i: number): Workload =>
    th < 0
      ? { ...wl, setup: wl.setup.filter((_, j) => j !== i) }
      : { ...wl, threads: wl.threads.map((ops, t) => (t === th ? ops.filter((_, j) => j !== i) : ops)) };
  // Fewer fresh schedules per candidate than phase 1: there are many more candidates.
  const opFresh = Math.min(fresh, 8);
  // The best schedule's decisions, tagged with the thread and op each served (one more run,
  // repeated only when the best changes), so a candidate gets the schedule without its part.
  let tagged: { of: number[]; tags: Tag[] } | null = null;
  const tryWithout = async (wl: Workload, rm: Removal): Promise<void> => {
    if (tagged?.of !== best.decisions) {
      const sp = split(best.decisions);
      const tagger = new TaggingScheduler(new LenientScheduler(sp.picks, sp.draws, new Set()), runner.rt.threads, () => runner.rt.currentThread);
      await attempt(best.workload, tagger);
      tagged = { of: best.decisions, tags: tagger.tags };
    }
    await consider(wl, salt++, opFresh, opBudget, project(best.decisions, tagged.tags, rm));
  };
  for (let th = best.workload.threads.length - 1; th >= 0 && best.workload.threads.length > 1 && runs < opBudget; th--) {
    await tryWithout({ ...best.workload, threads: best.workload.threads.filter((_, t) => t !== th) }, { thread: th, op: -1 });
  }
  for (let th = best.workload.threads.length - 1; th >= -1 && runs < opBudget; th--) {
    const len = () => (th < 0 ? best.workload.setup.length : best.workload.threads[th]!.length);
    for (let i = len() - 1; i >= 0 && runs < opBudget; i--) {
      if (th >= 0 && len() === 1) break;
      await tryWithout(without(best.workload, th, i), { thread: th, op: i });
    }
  }

  // ---- 2. the schedule: delta debugging over its preemptions ---------------------------
  /** Runs `decisions` leniently with `drop`; returns the run and where its preemptions were. */
  const leniently = async (ds: number[], drop: ReadonlySet<number>) => {
    const sp = split(ds);
    const l = new LenientScheduler(sp.picks, sp.draws, drop);
    const r = await attempt(best.workload, l);
    return { ...r, points: l.preempted.flatMap((p, i) => (p ? [i] : [])) };
  };
  let cur = await leniently(best.decisions, new Set());
  if (!sameKind(cur.violation, target)) {
    // The workload phase kept a schedule that only fresh randomness reproduces: stop here.
    cur = { ...cur, violation: best.violation, decisions: best.decisions, points: [] };
  }
  let chunks = 2;
  while (cur.points.length > 0 && runs < maxRuns) {
    const size = Math.ceil(cur.points.length / chunks);
    let reduced = false;
    for (let c = 0; c < chunks && runs < maxRuns; c++) {
      const drop = new Set(cur.points.slice(c * size, (c + 1) * size));
      if (drop.size === 0) continue;
      const r = await leniently(cur.decisions, drop);
      if (same(r.violation, cur.violation!)) {
        // Measure the accepted schedule as it is, without drops.
        const again = await leniently(r.decisions, new Set());
        const longer = split(again.decisions).picks.length > split(cur.decisions).picks.length;
        if (!same(again.violation, cur.violation!) || again.points.length >= cur.points.length || longer) continue;
        cur = again;
        chunks = Math.max(2, chunks - 1);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (size <= 1) break;
      chunks = Math.min(cur.points.length, chunks * 2);
    }
  }
  return {
    workload: best.workload,
    decisions: cur.decisions,
    violation: cur.violation ?? best.violation,
    steps: split(cur.decisions).picks.length,
    preemptions: cur.points.length,
    from,
    runs,
  };
}
