// How the summary names a campaign's strategy and states what it guarantees: PCT's per-run
// detection bound, dfs's per-workload coverage.
import type { StressSummary } from './doc.js';
import type { DfsCoverage, StressStrategyName } from './stress.js';

/**
 * PCT's guarantee (Burckhardt et al., ASPLOS 2010): a depth-d bug is hit with probability
 * >= 1/(n*k^(d-1)) per run, with n threads and k steps (the campaign's mean steps per schedule).
 */
export function pctBound(n: number, avgSteps: number, d: number): { n: number; k: number; d: number; bound: number } {
  const k = Math.max(1, Math.round(avgSteps));
  return { n, k, d, bound: 1 / (n * k ** (d - 1)) };
}

export function strategyFigures(
  scheduler: StressStrategyName,
  threads: number | undefined,
  pctDepth: number,
  avgSteps: number,
  dfs: DfsCoverage | null,
): StressSummary['strategy'] {
  if (scheduler === 'random') return { name: 'random', pctDepth: null, pctBound: null };
  if (scheduler === 'dfs') return { name: dfsText(dfs!), pctDepth: null, pctBound: null };
  const d = pctDepth;
  return { name: scheduler === 'pct' ? `pct(d=${d})` : 'portfolio (random, pct d=2, 3, 4)', pctDepth: d, pctBound: pctBound(threads ?? 4, avgSteps, d) };
}

/** The dfs claim, per workload: a tree covered whole is every Mazurkiewicz trace of that workload. */
function dfsText(c: DfsCoverage): string {
  const parts = [`${c.complete} covered completely (every Mazurkiewicz trace and fault outcome)`, `${c.cut} cut at the budget`];
  if (c.stopped > 0) parts.push(`${c.stopped} stopped by the end of the campaign`);
  if (c.noClaim > 0) parts.push(`${c.noClaim} with no claim (blocking-wait contract broken, see schedulers/dfs.ts)`);
  const w = `${c.workloads} workload${c.workloads === 1 ? '' : 's'}`;
  return `dfs (dpor, budget ${c.budget} executions per workload); ${w}: ${parts.join(', ')}`;
}
