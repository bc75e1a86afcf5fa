// Exhaustive exploration of one workload: every interleaving and fault outcome, up to
// Mazurkiewicz equivalence when a reduction is on (schedulers/dfs.ts), re-running the workload
// from the start for each execution.
import { DfsScheduler, type Reduction } from '../schedulers/dfs.js';
import { violationKey, type Violation } from '../engine/violation.js';
import type { ProfileName } from '../engine/profiles.js';
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
}

export async function explore(wl: Workload, o: ExploreOptions): Promise<Explored> {
  const runner = new Runner({ profile: o.profile, variants: o.variants, maxSteps: o.maxSteps, atomicity: true });
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
  };
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
