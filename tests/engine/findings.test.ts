// The findings in docs/findings.md: each shows up in the released code (profile v6.6, or the
// fixed profile with only that fix removed) and is closed by its fix, with no new deadlock,
// lockdep report or other violation on the same schedules.
import { describe, expect, it } from 'vitest';
import { Runner, DEFAULT_MAX_STEPS } from '../../runner/run.js';
import { explore } from '../../runner/explore.js';
import { RandomScheduler } from '../../schedulers/random.js';
import { makeStrategy, type StrategyName } from '../../runner/stress.js';
import { deriveSeed } from '../../schedulers/prng.js';
import type { FixFlags, ProfileName } from '../../engine/profiles.js';
import type { VariantName } from '../../engine/variants.js';
import type { Topology } from '../../engine/topology.js';
import type { Workload } from '../../workload/types.js';

const RESV = [{ start: 0x10000, length: 0x1000, type: 'reserved' as const }];
const dev = (resv = RESV) => ({ cacheCoherent: true, enforceCC: false, resv });

/** Runs `schedules` random interleavings; returns the violations seen, as kind@location. */
async function search(
  wl: Workload,
  profile: ProfileName,
  fixes: Partial<FixFlags> = {},
  schedules = 3000,
  variants: VariantName[] = [],
  strategy: StrategyName = 'random',
) {
  const runner = new Runner({ profile, variants, maxSteps: DEFAULT_MAX_STEPS, atomicity: true, fixes });
  const sched = makeStrategy(strategy);
  const seen = new Map<string, number>();
  for (let i = 0; i < schedules; i++) {
    sched.reseed(deriveSeed(42, i), i);
    const r = await runner.run(wl, sched, false, false);
    sched.observe?.(r.steps);
    if (r.violation) {
      const key = `${r.violation.kind}@${r.violation.location}`;
      if (!seen.has(key)) seen.set(key, i);
    }
  }
  return seen;
}

describe('F1: failed replace between two HWPTs of one IOAS strips the group\'s reserved regions', () => {
  // Two iommu instances: hwpt h0 is allocated for dev1 (iommu 1), so dev0's group (iommu 0)
  // cannot use its domain and iommu_group_replace_domain fails with EINVAL (driver attach_dev).
  const topology: Topology = {
    iommus: [
      { enforceCC: false, isolatedMsi: true },
      { enforceCC: false, isolatedMsi: true },
    ],
    groups: [
      { iommu: 0, devices: [dev()] },
      { iommu: 1, devices: [dev([])] },
    ],
    ioas: [{ mapped: [] }],
  };
  const wl: Workload = {
    topology,
    setup: [{ op: 'ioas_alloc', as: 'ioas0' }],
    threads: [
      [
        { op: 'bind', dev: 0 },
        { op: 'bind', dev: 1 },
        { op: 'attach', dev: 0, pt: 'ioas0' },
        { op: 'hwpt_alloc', dev: 'dev1.idev', pt: 'ioas0', flags: 0, as: 'h0' },
        { op: 'replace', dev: 0, pt: 'h0' },
      ],
    ],
    faultDen: 0,
  };

  it('v6.6: the failed replace removes reservations the attached group still needs (I5)', async () => {
    const seen = await search(wl, 'v6.6', {}, 1);
    expect([...seen.keys()]).toEqual(['invariant@I5:reserved-regions']);
  });

  it('fixed: the replace fails with EINVAL and changes nothing', async () => {
    const runner = new Runner({ profile: 'fixed', variants: [], maxSteps: DEFAULT_MAX_STEPS, atomicity: true });
    const r = await runner.run(wl, new RandomScheduler(1), true, true);
    expect(r.violation).toBeNull();
    expect(r.ops.find((o) => o.op.startsWith('replace'))?.result).toBe('EINVAL');
  });
});

describe('F2: detach reads igroup->hwpt before the igroup lock', () => {
  // dev0 and dev1 share an iommu group. T0 replaces the group onto a manual HWPT of another
  // IOAS while T1 detaches dev1: v6.6 may detach from, and put, the HWPT the group just left.
  const topology: Topology = {
    iommus: [{ enforceCC: false, isolatedMsi: true }],
    groups: [{ iommu: 0, devices: [dev(), dev()] }],
    ioas: [{ mapped: [] }, { mapped: [] }],
  };
  const wl: Workload = {
    topology,
    setup: [
      { op: 'ioas_alloc', as: 'ioas0' },
      { op: 'ioas_alloc', as: 'ioas1' },
    ],
    threads: [
      [
        { op: 'bind', dev: 0 },
        { op: 'attach', dev: 0, pt: 'ioas0' },
        { op: 'hwpt_alloc', dev: 'dev0.idev', pt: 'ioas1', flags: 0, as: 'h0' },
        { op: 'replace', dev: 0, pt: 'h0' },
      ],
      [
        { op: 'bind', dev: 1 },
        { op: 'attach', dev: 1, pt: 'ioas0' },
        { op: 'detach', dev: 1 },
      ],
    ],
    faultDen: 0,
  };

  it('shows up without the fix and is closed by it, with no other violation', async () => {
    const bad = await search(wl, 'fixed', { detachHwptUnderLock: false });
    expect(bad.size).toBeGreaterThan(0);
    for (const k of bad.keys()) expect(k).toMatch(/^invariant@I[125]:|^refcount@|^model@hwpt:|^use-after-free@/);
    const good = await search(wl, 'fixed');
    expect([...good.keys()]).toEqual([]);
  });
});

describe('F3: a group member detaches between do_replace and finalize of a new auto HWPT', () => {
  const topology: Topology = {
    iommus: [{ enforceCC: false, isolatedMsi: true }],
    groups: [{ iommu: 0, devices: [dev([]), dev([])] }],
    ioas: [{ mapped: [] }, { mapped: [] }],
  };
  const wl: Workload = {
    topology,
    setup: [
      { op: 'ioas_alloc', as: 'ioas0' },
      { op: 'ioas_alloc', as: 'ioas1' },
    ],
    threads: [
      [
        { op: 'bind', dev: 0 },
        { op: 'attach', dev: 0, pt: 'ioas0' },
        { op: 'replace', dev: 0, pt: 'ioas1' },
      ],
      [
        { op: 'bind', dev: 1 },
        { op: 'attach', dev: 1, pt: 'ioas0' },
        { op: 'detach', dev: 1 },
      ],
    ],
    faultDen: 0,
  };

  it('leaks a reference of the new auto HWPT without the fix, and is closed by it', async () => {
    const bad = await search(wl, 'fixed', { autoPutUnfinalized: false }, 4000);
    expect([...bad.keys()].some((k) => k === 'invariant@I1:put-leak' || k === 'invariant@I1:users')).toBe(true);
    const good = await search(wl, 'fixed', {}, 4000);
    expect([...good.keys()]).toEqual([]);
  });
});

describe('Z1: put_object drops users before up_read (v6.6); fixed by the destroy_rwsem trylock', () => {
  // T0's HWPT_ALLOC fails (injected faults) after taking a short-term hold on ioas1, and
  // puts it; T1 destroys ioas1 in the gap between the put's refcount_dec and its up_read.
  const wl: Workload = {
    topology: { iommus: [{ enforceCC: false, isolatedMsi: true }], groups: [], ioas: [{ mapped: [] }, { mapped: [] }] },
    setup: [
      { op: 'ioas_alloc', as: 'ioas0' },
      { op: 'ioas_alloc', as: 'ioas1' },
      { op: 'mock_domain', pt: 'ioas0', as: 'm0' },
    ],
    threads: [
      [
        { op: 'hwpt_alloc', dev: 'm0.idev', pt: 'ioas1', flags: 0, as: 'h0' },
        { op: 'hwpt_alloc', dev: 'm0.idev', pt: 'ioas1', flags: 0, as: 'h1' },
      ],
      [
        { op: 'destroy', id: 'ioas1' },
        { op: 'destroy', id: 'ioas1' },
      ],
    ],
    faultDen: 2,
    faultPoints: ['domain_alloc'],
  };

  it('v6.6 frees the IOAS under a reader that still has to up_read', async () => {
    const bad = await search(wl, 'v6.6');
    expect([...bad.keys()]).toContain('use-after-free@up_read');
  });

  it('fixed: IOMMU_DESTROY answers EBUSY in that window; no deadlock, no lockdep report', async () => {
    const good = await search(wl, 'fixed');
    expect([...good.keys()]).toEqual([]);
  });
});

describe('Z4: replace by a device that is not attached (fixed by 55c85fa7579d)', () => {
  const wl: Workload = {
    topology: {
      iommus: [{ enforceCC: false, isolatedMsi: true }],
      groups: [{ iommu: 0, devices: [dev(), dev()] }],
      ioas: [{ mapped: [] }, { mapped: [] }],
    },
    setup: [
      { op: 'ioas_alloc', as: 'ioas0' },
      { op: 'ioas_alloc', as: 'ioas1' },
    ],
    threads: [
      [
        { op: 'bind', dev: 0 },
        { op: 'attach', dev: 0, pt: 'ioas0' },
      ],
      [
        { op: 'bind', dev: 1 },
        { op: 'replace', dev: 1, pt: 'ioas1' },
      ],
    ],
    faultDen: 0,
  };

  it('v6.6 lets the unattached device move the group', async () => {
    const bad = await search(wl, 'v6.6', {}, 500);
    expect([...bad.keys()]).toContain('model@device:bound:REPLACE');
  });

  it('fixed answers EINVAL', async () => {
    const good = await search(wl, 'fixed', {}, 500);
    expect([...good.keys()]).toEqual([]);
  });
});

/** F4's and F5's machine: one group of two devices without reserved regions, ioas0 and ioas1. */
function groupOfTwoTwoIoas(): Pick<Workload, 'topology' | 'setup' | 'faultDen'> {
  return {
    topology: {
      iommus: [{ enforceCC: false, isolatedMsi: true }],
      groups: [{ iommu: 0, devices: [dev([]), dev([])] }],
      ioas: [{ mapped: [] }, { mapped: [] }],
    },
    setup: [
      { op: 'ioas_alloc', as: 'ioas0' },
      { op: 'ioas_alloc', as: 'ioas1' },
    ],
    faultDen: 0,
  };
}

describe('F4: a concurrent replace moves the group off a new auto HWPT before it is finalized', () => {
  // dev0 and dev1 share a group. T0 replaces the group onto a new auto HWPT of ioas1 (the auto
  // path drops the igroup lock before finalize); T1 replaces it onto a manual HWPT meanwhile and
  // puts the new auto HWPT as a manual one (auto_domain is not set yet): it is left without
  // devices, and nothing will ever destroy it.
  const wl: Workload = {
    ...groupOfTwoTwoIoas(),
    threads: [
      [
        { op: 'bind', dev: 0 },
        { op: 'attach', dev: 0, pt: 'ioas0' },
        { op: 'replace', dev: 0, pt: 'ioas1' },
      ],
      [
        { op: 'bind', dev: 1 },
        { op: 'attach', dev: 1, pt: 'ioas0' },
        { op: 'hwpt_alloc', dev: 'dev1.idev', pt: 'ioas0', flags: 0, as: 'h0' },
        { op: 'replace', dev: 1, pt: 'h0' },
      ],
    ],
    faultDen: 0,
  };

  it('leaves an auto HWPT without devices without the fix (I4), and is closed by it', async () => {
    // Found by PCT (d=3); the window is too narrow for uniform random in this budget.
    const bad = await search(wl, 'fixed', { autoHwptOrphan: false }, 4000, [], 'pct');
    expect([...bad.keys()]).toContain('invariant@I4:auto-hwpt-unused');
    const good = await search(wl, 'fixed', {}, 4000, [], 'pct');
    expect([...good.keys()]).toEqual([]);
  });
});

describe('F5: the F4 abort frees the HWPT inside the replacer\'s F3 destroy_rwsem section', () => {
  // Both group members attached through ioas0 and a manual h0 on ioas0. T0 replaces the group
  // onto a new auto HWPT of ioas1; T1 replaces it onto h0 and gets the new auto HWPT back after
  // auto_domain was set, so its put is a deref_user: down_write, the F3 drop of its reference
  // (the HWPT is still unpublished), up_write. If T0 sees users == 1 in between and aborts (F4),
  // the up_write touches freed memory. Our own correction's bug, not the kernel's.
  const base = groupOfTwoTwoIoas();
  const wl: Workload = {
    topology: base.topology,
    setup: [
      ...base.setup,
      { op: 'bind', dev: 0 },
      { op: 'attach', dev: 0, pt: 'ioas0' },
      { op: 'bind', dev: 1 },
      { op: 'attach', dev: 1, pt: 'ioas0' },
      { op: 'hwpt_alloc', dev: 'dev1.idev', pt: 'ioas0', flags: 0, as: 'h0' },
    ],
    threads: [[{ op: 'replace', dev: 0, pt: 'ioas1' }], [{ op: 'replace', dev: 1, pt: 'h0' }]],
    faultDen: 0,
  };

  it('is a use-after-free at up_write without the wait, and every interleaving is clean with it', async () => {
    const base = { profile: 'fixed' as const, variants: [], reduction: 'dpor' as const, maxSteps: DEFAULT_MAX_STEPS, keepGoing: true };
    const bad = await explore(wl, { ...base, fixes: { autoAbortWaitsDeref: false } });
    expect(bad.found.map((f) => `${f.violation.kind}@${f.violation.location}`)).toEqual(['use-after-free@up_write']);
    const good = await explore(wl, base);
    expect(good.complete).toBe(true);
    expect(good.found).toEqual([]);
  });
});
