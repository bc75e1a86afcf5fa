// The fixed profile with no variant reports nothing on the matrix seeds, within the same
// budget (half of the seeds per file so the two cores share the work). Seed 1013 found F5
// (docs/findings.md) before its fix.
import { describe, expect, it } from 'vitest';
import { BUDGET, campaign, MATRIX_SEEDS } from './detect.js';

const seeds = MATRIX_SEEDS.slice(10, 20);

describe('fixed profile, no variant', () => {
  it.each(seeds)(`seed %i is clean for ${BUDGET} schedules`, async (seed) => {
    const r = await campaign(seed, 'fixed', []);
    const f = r.found[0];
    expect(f ? `${f.violation.kind}@${f.violation.location}: ${f.violation.message}` : null).toBeNull();
    expect(r.runs).toBe(BUDGET);
  });
});
