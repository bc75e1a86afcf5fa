// Detection matrix: every variant of this issue is caught by the default stress campaign
// for every one of 20 untuned seeds within 20000 schedules, with a kind (for an invariant: the
// invariant) the spec names for it, and its replay reproduces it.
import { describe, expect, it } from 'vitest';
import { detectionKey, VARIANTS, VARIANT_NAMES } from '../../engine/variants.js';
import { BUDGET, campaign, MATRIX_SEEDS, replay } from './detect.js';

describe.each(VARIANT_NAMES)('variant %s', (name) => {
  it(`is caught on ${MATRIX_SEEDS.length} seeds within ${BUDGET} schedules and replays`, async () => {
    const misses: number[] = [];
    for (const seed of MATRIX_SEEDS) {
      const r = await campaign(seed, 'fixed', [name]);
      const f = r.found[0];
      if (!f) {
        misses.push(seed);
        continue;
      }
      expect(VARIANTS[name].kinds, `seed ${seed}: ${f.violation.kind} at ${f.violation.location}`).toContain(detectionKey(f.violation));
      expect(f.index).toBeLessThan(BUDGET);
      const again = await replay(f, 'fixed', [name]);
      expect(again && `${again.kind}@${again.location}`).toBe(`${f.violation.kind}@${f.violation.location}`);
    }
    expect(misses, 'seeds where the variant was not caught').toEqual([]);
  });
});

describe('profile v6.6 (as released)', () => {
  it('finds Z1 (use-after-free in put_object) and Z4 (replace by an unattached device)', async () => {
    const kinds = new Set<string>();
    for (const seed of MATRIX_SEEDS.slice(0, 5)) {
      const r = await campaign(seed, 'v6.6', [], true, 5000);
      for (const f of r.found) kinds.add(`${f.violation.kind}@${f.violation.location}`);
    }
    expect([...kinds]).toContain('use-after-free@up_read');
    expect([...kinds]).toContain('model@device:bound:REPLACE');
  });
});
