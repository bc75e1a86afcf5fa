// Exhaustive exploration of one workload: every interleaving and fault outcome, up to
// Mazurkiewicz equivalence when a reduction is on (schedulers/dfs.ts), re-running the workload
// from the start for each execution.
import { DfsScheduler, type Reduction } from '../schedulers/dfs.js';
import { violationKey, type Violation } from '../engine/violation.js';
import type { FixFlags, ProfileName } from '../engine/profiles.js';
import type { VariantName } from '../engine/variants.js';
import type { Workload } from '../workload/types.js';
import { Runner, type RunResult } from './run.js';

export interface ExploreOptions {
  profile: ProfileName;
  variants: readonly VariantName[];
  reduction: Reduction;
  preemptionBound?: number;
  maxExecutions?: number;
  maxSteps: number;
  keepGoing: boolean;
  /** Fixes of the profile to turn off (or on), as the findings' tests do. */
  fixes?: Partial<FixFlags>;
  /**
   * Collect every distinct outcome (each thread's op results in program order, and the
   * violation if any). Equivalent interleavings have the same outcome, so a reduction that
   * misses an outcome the full tree has is unsound for this program: the check the tests run
   * on the engine's access reports.
   */
  outcomes?: boolean;
}

export interface Explored {
  executions: number;
  complete: boolean;
  statement: string;
  /** Distinct violations (kind@location), each with the decisions that replay it. */
  found: Array<{ execution: number; violation: Violation; decisions: number[] }>;
  /** Sorted distinct outcomes, with `outcomes` set. */
  outcomes?: string[];
  /** Why the reduction makes no coverage claim for this program (DfsScheduler.unsound), or null. */
  noClaim: string | null;
}

export async function explore(wl: Workload, o: ExploreOptions): Promise<Explored> {
  const runner = new Runner({ profile: o.profile, variants: o.variants, maxSteps: o.maxSteps, atomicity: true, ...(o.fixes ? { fixes: o.fixes } : {}) });
  const dfs = new DfsScheduler({
    reduction: o.reduction,
    ...(o.preemptionBound !== undefined ? { preemptionBound: o.preemptionBound } : {}),
    ...(o.maxExecutions !== undefined ? { maxExecutions: o.maxExecutions } : {}),
  });
  const found: Explored['found'] = [];
  const seen = new Set<string>();
  let violations = 0;
  const outcomes = o.outcomes ? new Set<string>() : null;
  while (dfs.newExecution()) {
    const r = await runner.run(wl, dfs, false, outcomes !== null);
    if (outcomes !== null && !dfs.redundant) outcomes.add(outcome(r));
    if (!r.violation) continue;
    violations++;
    const key = violationKey(r.violation);
    if (seen.has(key)) continue;
    seen.add(key);
    found.push({ execution: dfs.executions, violation: r.violation, decisions: dfs.schedule() });
    if (!o.keepGoing) break;
  }
  return {
    executions: dfs.executions,
    complete: dfs.complete,
    statement: dfs.statement(violations),
    found,
    ...(outcomes !== null ? { outcomes: [...outcomes].sort() } : {}),
    noClaim: dfs.unsound,
  };
}

export type CheckedReduction = Exclude<Reduction, 'none'>;

export interface ReductionCheck {
  reduction: CheckedReduction;
  /** The tree without reduction, bounded by maxExecutions. */
  full: Explored;
  /** The tree with the reduction, unbounded. */
  reduced: Explored;
  /**
   * Outcomes the full tree reaches and the reduction does not. Each is proof that some step
   * touches shared state it does not report (Runtime.access), even when the full tree was cut.
   */
  missed: string[];
}

/**
 * The reduction's dependency relation is only as good as the engine's access reports: a step
 * that touches state it does not report looks independent of the steps it races with, and the
 * reduction then skips interleavings that differ. Comparing outcomes with the full tree catches
 * that, on this workload. The bound applies to the full tree only: cutting the reduced one would
 * make a missed outcome no proof.
 */
export async function checkReduction(
  wl: Workload,
  o: Omit<ExploreOptions, 'reduction' | 'preemptionBound' | 'keepGoing' | 'outcomes'> & { reduction: CheckedReduction },
): Promise<ReductionCheck> {
  const base = { profile: o.profile, variants: o.variants, maxSteps: o.maxSteps, keepGoing: true, outcomes: true };
  const full = await explore(wl, { ...base, reduction: 'none', ...(o.maxExecutions !== undefined ? { maxExecutions: o.maxExecutions } : {}) });
  const reduced = await explore(wl, { ...base, reduction: o.reduction });
  const got = new Set(reduced.outcomes);
  return { reduction: o.reduction, full, reduced, missed: full.outcomes!.filter((x) => !got.has(x)) };
}

/** Per thread, its op results in order; then the violation. Independent of how threads interleave. */
function outcome(r: RunResult): string {
  const per = new Map<string, string[]>();
  for (const op of r.ops) {
    let l = per.get(op.thread);
    if (l === undefined) per.set(op.thread, (l = []));
    l.push(`${op.op}=${JSON.stringify(op.result)}`);
  }
  const threads = [...per.keys()].sort().map((t) => `${t}: ${per.get(t)!.join(', ')}`);
  return `${threads.join(' | ')}${r.violation ? ` ! ${violationKey(r.violation)}` : ''}`;
}
