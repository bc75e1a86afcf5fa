// stress with the dfs strategy: each generated workload explored with DPOR up to a budget. It
// finds zoo variants, its violations replay and minimise like the other strategies', it is
// clean on the fixed profile, and the same seed gives the same campaign.
import { describe, expect, it } from 'vitest';
import { stress, workloadFor, type StressOptions, type StressResult } from '../../runner/stress.js';
import { Runner, DEFAULT_MAX_STEPS } from '../../runner/run.js';
import { ReplayScheduler } from '../../schedulers/replay.js';
import { violationKey } from '../../engine/violation.js';
import type { VariantName } from '../../engine/variants.js';

const base: StressOptions = {
  seed: 1,
  runs: 2000,
  keepGoing: false,
  workloadEvery: 8,
  faults: true,
  profile: 'fixed',
  variants: [],
  maxSteps: DEFAULT_MAX_STEPS,
  atomicity: true,
  scheduler: 'dfs',
};

function accounted(r: StressResult): void {
  const c = r.dfs!;
  expect(c.complete + c.cut + c.stopped + c.noClaim).toBe(c.workloads);
}

describe('stress --scheduler dfs', () => {
  it.each([
    ['put-under-lock', 1],
    ['put-under-lock', 3],
    ['replace-unattached', 1],
    ['replace-unattached', 2],
  ] as Array<[VariantName, number]>)('finds %s (seed %i); the violation replays from its decisions', async (variant, seed) => {
    const o = { ...base, seed, runs: 20_000, variants: [variant] };
    const r = await stress(o);
    accounted(r);
    const f = r.found[0]!;
    expect(f, r.dfs && JSON.stringify(r.dfs)).toBeDefined();
    expect(f.workload).toEqual(workloadFor(seed, f.workloadIndex, undefined, true));
    const again = await new Runner(o).run(f.workload, new ReplayScheduler(f.decisions), true, true);
    expect(again.violation && violationKey(again.violation)).toBe(violationKey(f.violation));
    expect(again.decisions).toEqual(f.decisions);
  });

  it('minimises what it finds, and the minimal schedule replays', async () => {
    const o = { ...base, seed: 2, runs: 20_000, variants: ['put-under-lock' as VariantName], minimise: true };
    const r = await stress(o);
    const m = r.found[0]!.minimal!;
    expect(m.violation.kind).toBe(r.found[0]!.violation.kind);
    expect(m.steps).toBeLessThanOrEqual(m.from.steps);
    const again = await new Runner(o).run(m.workload, new ReplayScheduler(m.decisions), true, false);
    expect(again.violation && violationKey(again.violation)).toBe(violationKey(m.violation));
  });

  it('is clean on the fixed profile without variants, and counts every execution as a schedule', async () => {
    const r = await stress({ ...base, runs: 1000, keepGoing: true });
    expect(r.found).toEqual([]);
    expect(r.runs).toBe(1000);
    accounted(r);
    expect(r.dfs!.budget).toBe(64);
    // 1000 schedules: at most 64 per workload, fewer only for a tree covered whole.
    expect(r.dfs!.workloads).toBeGreaterThanOrEqual(Math.ceil(1000 / 64));
    expect(r.dfs!.cut).toBeGreaterThan(0);
  });

  it('a workload whose tree fits in the budget is covered completely', async () => {
    const r = await stress({ ...base, threads: 2, faults: false, runs: 2000 });
    accounted(r);
    expect(r.dfs!.complete).toBeGreaterThan(0);
    const one = await stress({ ...base, runs: 50, dfsBudget: 1 });
    expect(one.dfs).toMatchObject({ workloads: 50, budget: 1 });
  });

  it('is deterministic: the same seed gives the same campaign', async () => {
    const o = { ...base, seed: 1, runs: 3000, keepGoing: true, variants: ['replace-unattached' as VariantName] };
    const a = await stress(o);
    const b = await stress(o);
    expect(a.found.length).toBeGreaterThan(0);
    const view = (r: StressResult) => ({
      runs: r.runs,
      steps: r.steps,
      dfs: r.dfs,
      byKind: r.byKind,
      found: r.found.map((f) => ({ index: f.index, workloadIndex: f.workloadIndex, key: violationKey(f.violation), decisions: f.decisions })),
    });
    expect(view(b)).toEqual(view(a));
  });

  it('rejects a budget that is not a positive integer', async () => {
    await expect(stress({ ...base, dfsBudget: 0 })).rejects.toThrow(/dfsBudget/);
  });
});
