// The package entry point (package.json "exports" -> dist/index.js) resolves from the built
// output and is enough to run a campaign programmatically.
import { describe, expect, it } from 'vitest';

describe('package entry point', () => {
  it('imports by package name and runs a small campaign that catches an injected bug', async () => {
    const m = await import('iommufd-model');
    expect(typeof m.Runner).toBe('function');
    expect(m.VARIANT_NAMES).toContain('put-object-uaf');
    const r = await m.stress({
      seed: 1,
      runs: 400,
      profile: 'fixed',
      variants: ['unlock-before-finalize'],
      maxSteps: m.DEFAULT_MAX_STEPS,
      atomicity: true,
      workloadEvery: m.DEFAULT_WORKLOAD_EVERY,
      faults: true,
      keepGoing: false,
      minimise: false,
    });
    expect(r.found.length).toBe(1);
    expect(r.found[0]!.violation.kind).not.toBe('internal');
  });
});
