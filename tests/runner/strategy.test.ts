// The PCT bound the summary prints holds for every schedule: k is the campaign's longest run.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_STEPS, Runner } from '../../runner/run.js';
import { DEFAULT_WORKLOAD_EVERY, scheduleSeed, stress, workloadFor } from '../../runner/stress.js';
import { pctBound, strategyFigures } from '../../runner/strategy.js';
import { RandomScheduler } from '../../schedulers/random.js';

describe('PCT bound', () => {
  it('stress reports the longest run, schedule by schedule the same as running them one at a time', async () => {
    const base = { seed: 3, runs: 40, profile: 'fixed' as const, variants: [], maxSteps: DEFAULT_MAX_STEPS, atomicity: true, workloadEvery: DEFAULT_WORKLOAD_EVERY, faults: true, keepGoing: false };
    const r = await stress({ ...base, scheduler: 'random' });
    const runner = new Runner(base);
    const sched = new RandomScheduler(0);
    let longest = 0;
    for (let i = 0; i < base.runs; i++) {
      sched.reseed(scheduleSeed(base.seed, i));
      const one = await runner.run(workloadFor(base.seed, Math.floor(i / DEFAULT_WORKLOAD_EVERY), undefined, true), sched, false, false);
      longest = Math.max(longest, one.steps);
    }
    expect(r.longestRun).toBe(longest);
    expect(r.longestRun).toBeGreaterThan(r.steps / r.runs);
  });

  it('the bound uses that k and the most threads a workload may have', () => {
    expect(pctBound(4, 150, 3)).toEqual({ n: 4, k: 150, d: 3, bound: 1 / (4 * 150 ** 2) });
    expect(strategyFigures('pct', undefined, 3, 150, null).pctBound).toEqual(pctBound(4, 150, 3));
    expect(strategyFigures('pct', 2, 2, 99.6, null).pctBound).toEqual({ n: 2, k: 100, d: 2, bound: 1 / 200 });
    expect(strategyFigures('random', undefined, 3, 150, null).pctBound).toBeNull();
  });
});
