// The worker pool gives what one sequential stress() over the whole campaign gives: the same
// schedules, counts, coverage and violations (lowest index each), for window strategies and for
// dfs (whose chunk crossing --runs is run again, capped). The pool's workers load dist/: run
// `npx tsc -p tsconfig.json` first (npm test does).
import { describe, expect, it } from 'vitest';
import { violationKey } from '../../engine/violation.js';
import { DEFAULT_MAX_STEPS } from '../../runner/run.js';
import { stress, type StressOptions } from '../../runner/stress.js';
import { Campaign } from '../../runner/pool.js';
import { sortedCounts, sumOutcomes } from '../../runner/merge.js';
import type { ChunkStressOptions } from '../../runner/stress-chunk.js';

const base: ChunkStressOptions = {
  seed: 2,
  runs: 600,
  keepGoing: true,
  workloadEvery: 8,
  faults: true,
  minimise: false,
  profile: 'v6.6',
  variants: [],
  maxSteps: DEFAULT_MAX_STEPS,
  atomicity: true,
};

async function both(o: ChunkStressOptions, workers: number) {
  const seq = await stress(o as StressOptions);
  const pooled = await new Campaign({ stress: o, workers, shard: null, timeMs: null }).run();
  return { seq, pooled };
}

describe('Campaign (worker pool) = sequential stress()', () => {
  it.each([
    ['pct, --keep-going', { ...base }, 3],
    ['pct, stop at the first violation', { ...base, keepGoing: false }, 2],
    ['portfolio', { ...base, scheduler: 'portfolio' as const }, 2],
    ['dfs clean, the last chunk capped', { ...base, profile: 'fixed' as const, scheduler: 'dfs' as const, runs: 300 }, 2],
    ['dfs, --keep-going, small budget', { ...base, scheduler: 'dfs' as const, dfsBudget: 8, runs: 500 }, 3],
  ])('%s', async (_name, o, workers) => {
    const { seq, pooled } = await both(o, workers);
    expect(pooled.runs).toBe(seq.runs);
    expect(pooled.steps).toBe(seq.steps);
    expect(pooled.byKind).toEqual(sortedCounts(seq.byKind));
    expect(pooled.found.map((f) => [f.index, violationKey(f.violation), f.decisions])).toEqual(
      seq.found.map((f) => [f.index, violationKey(f.violation), f.decisions]),
    );
    expect(pooled.coverage.device).toEqual(seq.runner.coverage.device.summary());
    expect(pooled.coverage.hwpt).toEqual(seq.runner.coverage.hwpt.summary());
    expect(pooled.coverage.ops).toEqual(sumOutcomes([seq.outcomes]));
    expect(pooled.dfs).toEqual(seq.dfs ?? null);
    expect(pooled.stopReason).toBeNull();
  });

  it('a stop request: what ran is kept and said', async () => {
    const c = new Campaign({ stress: { ...base, runs: 10_000_000 }, workers: 2, shard: null, timeMs: 300 });
    const r = await c.run();
    expect(r.stopReason).toBe('time');
    expect(r.runs).toBeGreaterThan(0);
    expect(r.runs).toBeLessThan(10_000_000);
  });
});
