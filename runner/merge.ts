// Combining the results of parts of one campaign (the worker pool's chunks, or the shards of
// several machines) into the result the whole campaign has: counts add up, coverage is the
// union of what each part hit, and each distinct violation (kind + location) is represented by
// its lowest schedule index, whichever part found it. Every function gives the same output for
// the same parts in any order, so results do not depend on which worker finished first.
import type { CoverageFigures } from './doc.js';
import type { DfsCoverage } from './stress.js';
import { mergeOutcomes, type OpOutcomes } from './outcomes.js';
import { sortedOutcomes } from './report/outcomes.js';

/** Machine coverage of a part: what models/coverage.ts summary() gives (with its machine id). */
export type PartCoverage = CoverageFigures & { machine?: string };

/** Add `from`'s counts into `into` (schedules by violation kind). */
export function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): Record<string, number> {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  return into;
}

/** Counts with their keys sorted, so the JSON does not depend on the order parts were added. */
export function sortedCounts(c: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.keys(c).sort().map((k) => [k, c[k]!]));
}

/**
 * The union of two parts' coverage of one machine: hit in either. Summaries list what each
 * part missed, in the machine's table order; what both missed is what the union missed.
 */
export function unionCoverage(a: PartCoverage, b: PartCoverage): PartCoverage {
  if (a.machine !== b.machine || a.states.total !== b.states.total || a.transitions.total !== b.transitions.total) {
    throw new Error(`cannot merge coverage of ${b.machine ?? 'a machine'} into ${a.machine ?? 'another machine'}`);
  }
  const both = (x: string[], y: string[]) => {
    const other = new Set(y);
    return x.filter((s) => other.has(s));
  };
  const states = both(a.states.missed, b.states.missed);
  const transitions = both(a.transitions.missed, b.transitions.missed);
  return {
    ...(a.machine !== undefined ? { machine: a.machine } : {}),
    states: { hit: a.states.total - states.length, total: a.states.total, missed: states },
    transitions: { hit: a.transitions.total - transitions.length, total: a.transitions.total, missed: transitions },
  };
}

/** Operation outcomes summed, operations and outcomes in the order runner/outcomes.ts lists them. */
export function sumOutcomes(parts: readonly OpOutcomes[]): OpOutcomes {
  const sum: OpOutcomes = {};
  for (const p of parts) mergeOutcomes(sum, p);
  return sortedOutcomes(sum);
}

/** dfs per-workload figures of two parts, added (the budget is the campaign's). */
export function addDfs(a: DfsCoverage, b: DfsCoverage): DfsCoverage {
  return {
    budget: a.budget,
    workloads: a.workloads + b.workloads,
    complete: a.complete + b.complete,
    cut: a.cut + b.cut,
    stopped: a.stopped + b.stopped,
    noClaim: a.noClaim + b.noClaim,
  };
}

/**
 * One item per distinct key, the one of lowest index, in index order: what a single sequential
 * run records (it keeps the first occurrence of each kind + location). With `firstOnly` (a run
 * that stops at the first violation) only the lowest of all.
 */
export function lowestDistinct<T>(items: readonly T[], key: (t: T) => string, index: (t: T) => number, firstOnly = false): T[] {
  const best = new Map<string, T>();
  for (const t of items) {
    const k = key(t);
    const b = best.get(k);
    if (b === undefined || index(t) < index(b)) best.set(k, t);
  }
  const sorted = [...best.values()].sort((x, y) => index(x) - index(y));
  return firstOnly ? sorted.slice(0, 1) : sorted;
}
