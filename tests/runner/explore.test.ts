// The exhaustive explorer on small iommufd workloads: it finds every zoo variant its workload
// can reach, reports exactly what it covered, and the fixed profile is clean on the same trees.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { checkReduction, explore } from '../../runner/explore.js';
import { Runtime } from '../../schedulers/runtime.js';
import { Runner, DEFAULT_MAX_STEPS } from '../../runner/run.js';
import { ReplayScheduler } from '../../schedulers/replay.js';
import { expectedDetection, VARIANT_NAMES, type VariantName } from '../../engine/variants.js';
import type { Workload } from '../../workload/types.js';

const dev = { cacheCoherent: true, enforceCC: false, resv: [] };
const oneIommu = [{ enforceCC: false, isolatedMsi: true }];

const ZOO: Partial<Record<VariantName, Workload>> = {
  // Z1: HWPT_ALLOC fails after taking a short-term hold on ioas1 and puts it; the destroy lands
  // between the put's refcount_dec and its up_read.
  'put-object-uaf': {
    topology: { iommus: oneIommu, groups: [], ioas: [{ mapped: [] }, { mapped: [] }] },
    setup: [
      { op: 'ioas_alloc', as: 'ioas0' },
      { op: 'ioas_alloc', as: 'ioas1' },
    ],
    threads: [[{ op: 'mock_domain', pt: 'ioas0', as: 'm0' }, { op: 'hwpt_alloc', dev: 'm0.idev', pt: 'ioas1', flags: 0, as: 'h0' }], [{ op: 'destroy', id: 'ioas1' }]],
    faultDen: 2,
    faultPoints: ['domain_alloc'],
  },
  'unlock-before-finalize': JSON.parse(readFileSync(new URL('../../docs/workloads/replace-vs-destroy.json', import.meta.url), 'utf8')),
  // Z3: HWPT_ALLOC's copy to user fails: the abort of a HWPT already on hwpt_list.
  'abort-without-abort-op': {
    topology: { iommus: oneIommu, groups: [], ioas: [{ mapped: [] }] },
    setup: [{ op: 'ioas_alloc', as: 'ioas0' }, { op: 'mock_domain', pt: 'ioas0', as: 'm0' }],
    threads: [[{ op: 'hwpt_alloc', dev: 'm0.idev', pt: 'ioas0', flags: 0, as: 'h0' }]],
    faultDen: 2,
    faultPoints: ['copy_to_user'],
  },
  // Z4: a bound, unattached device replaces while its group-mate is attached.
  'replace-unattached': {
    topology: { iommus: oneIommu, groups: [{ iommu: 0, devices: [dev, dev] }], ioas: [{ mapped: [] }, { mapped: [] }] },
    setup: [{ op: 'ioas_alloc', as: 'ioas0' }, { op: 'ioas_alloc', as: 'ioas1' }, { op: 'bind', dev: 0 }, { op: 'bind', dev: 1 }],
    threads: [[{ op: 'attach', dev: 0, pt: 'ioas0' }], [{ op: 'replace', dev: 1, pt: 'ioas1' }]],
    faultDen: 0,
  },
  // Z5: the last detach destroys an auto HWPT (waiting for ioas->mutex) while another group's
  // attach walks hwpt_list and takes a plain reference on it.
  'no-lock-obj-auto-hwpt': {
    topology: { iommus: oneIommu, groups: [{ iommu: 0, devices: [dev] }, { iommu: 0, devices: [dev] }], ioas: [{ mapped: [] }] },
    setup: [{ op: 'ioas_alloc', as: 'ioas0' }, { op: 'bind', dev: 0 }, { op: 'bind', dev: 1 }, { op: 'attach', dev: 0, pt: 'ioas0' }],
    threads: [[{ op: 'detach', dev: 0 }], [{ op: 'attach', dev: 1, pt: 'ioas0' }]],
    faultDen: 0,
  },
  'put-under-lock': JSON.parse(readFileSync(new URL('../../docs/workloads/replace-vs-destroy.json', import.meta.url), 'utf8')),
};

const opts = { profile: 'fixed' as const, maxSteps: DEFAULT_MAX_STEPS, keepGoing: false };

describe('explore finds every zoo variant its workload reaches', () => {
  it.each(Object.entries(ZOO) as Array<[VariantName, Workload]>)('%s', async (variant, wl) => {
    const r = await explore(wl, { ...opts, variants: [variant], reduction: 'dpor' });
    expect(r.found.length, r.statement).toBe(1);
    const f = r.found[0]!;
    const again = await new Runner({ profile: 'fixed', variants: [variant], maxSteps: DEFAULT_MAX_STEPS, atomicity: true }).run(wl, new ReplayScheduler(f.decisions), true, false);
    expect(again.violation && `${again.violation.kind}@${again.violation.location}`).toBe(`${f.violation.kind}@${f.violation.location}`);
  });

  it.each(Object.entries(ZOO) as Array<[VariantName, Workload]>)('fixed, no variant, is clean on the whole tree of the %s workload', async (_v, wl) => {
    const r = await explore(wl, { ...opts, variants: [], reduction: 'dpor' });
    expect(r.found).toEqual([]);
    expect(r.complete).toBe(true);
    expect(r.statement).toMatch(/cover every Mazurkiewicz trace/);
  });
});

/** The other variants, each in the workload stress minimised for it (tests/runner/zoo-workloads.json). */
const MINIMISED: Record<string, Workload> = JSON.parse(readFileSync(new URL('./zoo-workloads.json', import.meta.url), 'utf8')).workloads;

describe('explore finds the other zoo variants in the workloads stress minimised for them', () => {
  it('together with the hand-made ones above, every variant has a workload', () => {
    expect([...Object.keys(ZOO), ...Object.keys(MINIMISED)].sort()).toEqual([...VARIANT_NAMES].sort());
  });

  it.each(Object.entries(MINIMISED) as Array<[VariantName, Workload]>)('%s', async (variant, wl) => {
    const r = await explore(wl, { ...opts, variants: [variant], reduction: 'dpor', maxExecutions: 5000 });
    expect(r.found.length, r.statement).toBe(1);
    const f = r.found[0]!;
    expect(expectedDetection(variant, f.violation), `${f.violation.kind} ${f.violation.invariant ?? ''} at ${f.violation.location}`).toBe(true);
    const again = await new Runner({ profile: 'fixed', variants: [variant], maxSteps: DEFAULT_MAX_STEPS, atomicity: true }).run(wl, new ReplayScheduler(f.decisions), true, false);
    expect(again.violation && `${again.violation.kind}@${again.violation.location}`).toBe(`${f.violation.kind}@${f.violation.location}`);
  });
});

describe('the engine reports enough accesses for the reductions to be sound', () => {
  // Equivalent interleavings have the same outcome (op results per thread, violation), so an
  // outcome of the full tree that DPOR or sleep sets never reach means a missing access report
  // (as a failed trylock that did not report reading the lock word once was).
  const small: Array<[string, Workload]> = [
    ['replace-vs-destroy', JSON.parse(readFileSync(new URL('../../docs/workloads/replace-vs-destroy.json', import.meta.url), 'utf8'))],
    ['unbind-vs-hwpt-alloc', JSON.parse(readFileSync(new URL('../../docs/workloads/unbind-vs-hwpt-alloc.json', import.meta.url), 'utf8'))],
    ['Z1 hold vs destroy, with faults', ZOO['put-object-uaf']!],
    ['Z3 copy_to_user fault', ZOO['abort-without-abort-op']!],
    // One thread replaces the mock device another creates, by the name it binds: userspace
    // memory the steps must report (DPOR once covered this tree in 7 executions and missed the
    // order where the name is bound first).
    ['a name one thread binds and another reads', MINIMISED['single-rwsem-class']!],
  ];
  for (const profile of ['fixed', 'v6.6'] as const) {
    it.each(small)(`${profile}: %s`, async (_n, wl) => {
      const o = { ...opts, profile, variants: [], keepGoing: true, outcomes: true };
      const none = await explore(wl, { ...o, reduction: 'none' });
      const sleep = await explore(wl, { ...o, reduction: 'sleep-sets' });
      const dpor = await explore(wl, { ...o, reduction: 'dpor' });
      expect(none.complete && sleep.complete && dpor.complete).toBe(true);
      expect(none.outcomes!.length).toBeGreaterThan(1);
      expect(sleep.outcomes).toEqual(none.outcomes);
      expect(dpor.outcomes).toEqual(none.outcomes);
      expect(dpor.executions).toBeLessThanOrEqual(none.executions);
    });
  }
});

describe('reduction on iommufd workloads', () => {
  it('DPOR and sleep sets explore fewer executions than the full tree, with the same verdict', async () => {
    const wl: Workload = JSON.parse(readFileSync(new URL('../../docs/workloads/unbind-vs-hwpt-alloc.json', import.meta.url), 'utf8'));
    const none = await explore(wl, { ...opts, variants: [], reduction: 'none' });
    const sleep = await explore(wl, { ...opts, variants: [], reduction: 'sleep-sets' });
    const dpor = await explore(wl, { ...opts, variants: [], reduction: 'dpor' });
    for (const r of [none, sleep, dpor]) {
      expect(r.complete).toBe(true);
      expect(r.found).toEqual([]);
    }
    expect(dpor.executions).toBeLessThan(none.executions);
    expect(sleep.executions).toBeLessThanOrEqual(none.executions);
    expect(none.statement).toMatch(/^\d+ executions cover every interleaving/);
  });
});

describe('checkReduction: the full tree against the reduced one', () => {
  const wl: Workload = JSON.parse(readFileSync(new URL('../../docs/workloads/replace-vs-destroy.json', import.meta.url), 'utf8'));
  const o = { profile: 'fixed' as const, variants: [], maxSteps: DEFAULT_MAX_STEPS };

  it('the engine as it is: no outcome missed', async () => {
    const c = await checkReduction(wl, { ...o, reduction: 'dpor' });
    expect(c.full.complete && c.reduced.complete).toBe(true);
    expect(c.full.outcomes!.length).toBeGreaterThan(1);
    expect(c.missed).toEqual([]);
    expect(c.reduced.noClaim).toBeNull();
    expect(c.reduced.executions).toBeLessThan(c.full.executions);
  });

  it.each(['dpor', 'sleep-sets'] as const)('an engine that reports every write as a read: %s misses outcomes, and the check names them', async (reduction) => {
    const access = Runtime.prototype.access;
    const spy = vi.spyOn(Runtime.prototype, 'access').mockImplementation(function (this: Runtime, id: number) {
      access.call(this, id, false);
    });
    try {
      const c = await checkReduction(wl, { ...o, reduction });
      expect(c.full.complete).toBe(true);
      expect(c.missed.length).toBeGreaterThan(0);
      for (const m of c.missed) expect(c.full.outcomes).toContain(m);
      expect(c.reduced.outcomes).not.toContain(c.missed[0]);
    } finally {
      spy.mockRestore();
    }
  });

  it('maxExecutions bounds the full tree only', async () => {
    const c = await checkReduction(wl, { ...o, reduction: 'dpor', maxExecutions: 10 });
    expect(c.full.complete).toBe(false);
    expect(c.full.executions).toBe(10);
    expect(c.reduced.complete).toBe(true);
  });
});
