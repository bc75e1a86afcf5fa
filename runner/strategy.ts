// How the summary names a campaign's strategy and states what it guarantees: PCT's per-run
// detection bound, dfs's per-workload coverage.
import type { StressSummary } from './doc.js';
import type { DfsCoverage, StressStrategyName } from './stress.js';

/**
 * PCT's guarantee (Burckhardt et al., ASPLOS 2010): a depth-d bug is hit with probability
 * >= 1/(n*k^(d-1)) per run, with n threads and k >= the steps of a run: k is the campaign's
 * longest run, and n the most threads a workload may have (--threads, else the generator's 4),
 * so the figure holds for every schedule of the campaign.
 */
export function pctBound(n: number, longestRun: number, d: number): { n: number; k: number; d: number; bound: number } {
  const k = Math.max(1, Math.round(longestRun));
  return { n, k, d, bound: 1 / (n * k ** (d - 1)) };
}

export function strategyFigures(
  scheduler: StressStrategyName,
  threads: number | undefined,
  pctDepth: number,
  longestRun: number,
  dfs: DfsCoverage | null,
): StressSummary['strategy'] {
  if (scheduler === 'random') return { name: 'random', pctDepth: null, pctBound: null };
  if (scheduler === 'dfs') return { name: dfsText(dfs!), pctDepth: null, pctBound: null };
  const d = pctDepth;
  return { name: scheduler === 'pct' ? `pct(d=${d})` : 'portfolio (random, pct d=2, 3, 4)', pctDepth: d, pctBound: pctBound(threads ?? 4, longestRun, d) };
}

/** The dfs claim, per workload: a tree covered whole is every Mazurkiewicz trace of that workload. */
function dfsText(c: DfsCoverage): string {
  const parts = [`${c.complete} covered completely (every Mazurkiewicz trace and fault outcome)`, `${c.cut} cut at the budget`];
  if (c.stopped > 0) parts.push(`${c.stopped} stopped by the end of the campaign`);
  if (c.noClaim > 0) parts.push(`${c.noClaim} with no claim (blocking-wait contract broken, see schedulers/dfs.ts)`);
  const w = `${c.workloads} workload${c.workloads === 1 ? '' : 's'}`;
  return `dfs (dpor, budget ${c.budget} executions per workload); ${w}: ${parts.join(', ')}`;
}
