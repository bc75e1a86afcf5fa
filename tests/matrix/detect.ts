// Shared driver for the detection matrix: the default stress campaign on one seed.
import { stress, type Found } from '../../runner/stress.js';
import { DEFAULT_WORKLOAD_EVERY } from '../../runner/stress.js';
import { DEFAULT_MAX_STEPS, Runner } from '../../runner/run.js';
import { ReplayScheduler } from '../../schedulers/replay.js';
import type { ProfileName } from '../../engine/profiles.js';
import type { VariantName } from '../../engine/variants.js';

/** Seeds nobody tuned the generator on (tuning used 1-140). */
export const MATRIX_SEEDS = Array.from({ length: 20 }, (_, i) => 1001 + i);
export const BUDGET = 20_000;

export async function campaign(seed: number, profile: ProfileName, variants: VariantName[], keepGoing = false, runs = BUDGET) {
  return stress({
    seed,
    runs,
    keepGoing,
    workloadEvery: DEFAULT_WORKLOAD_EVERY,
    faults: true,
    profile,
    variants,
    maxSteps: DEFAULT_MAX_STEPS,
    atomicity: true,
  });
}

/** Replays a found violation from its recorded decisions; returns the violation it reproduces. */
export async function replay(f: Found, profile: ProfileName, variants: VariantName[]) {
  const runner = new Runner({ profile, variants, maxSteps: DEFAULT_MAX_STEPS, atomicity: true });
  const r = await runner.run(f.workload, new ReplayScheduler(f.decisions), true, true);
  return r.violation;
}
