// Every invariant I1..I13 of properties/registry.ts broken on purpose, with the check that must
// report it, next to a control where the same scenario is left intact and the check is clean.
// States are built by correct sequential scripts on makeKernel(); the breakage is a direct edit
// of kernel state (or an injected variant / fault) so each test can fail if its check is lost.
import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne, runThreads, type KernelOpts } from '../helpers/kernel.js';
import { EThread, Runtime } from '../../schedulers/runtime.js';
import { RandomScheduler } from '../../schedulers/random.js';
import type { Scheduler } from '../../schedulers/scheduler.js';
import { Lockdep, LockClasses } from '../../engine/locks/lockdep.js';
import { internClasses, Kernel } from '../../engine/kernel.js';
import { profileFixes, profileFlags, type ProfileName } from '../../engine/profiles.js';
import type { VariantName } from '../../engine/variants.js';
import type { FaultPoint } from '../../engine/faults.js';
import type { DeviceSpec, RegionSpec, Topology } from '../../engine/topology.js';
import { ViolationError, type Violation } from '../../engine/violation.js';
import { Hwpt, Idev, IGroup, Ioas, SelftestObj } from '../../engine/objects.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import { hwptAllocIoctl, ioasMutexUnlock } from '../../engine/hw-pagetable.js';
import { deviceAttach, deviceBind, deviceDetach, deviceReplace, deviceUnbind, type PtId } from '../../engine/device.js';
import { fopsRelease, getObject, iommufdDestroy, objectAbort, objectAlloc, objectFinalize, putObject } from '../../engine/object-table.js';
import { HwptEv } from '../../models/index.js';
import {
  checkClosed,
  checkQuiescent,
  defaultHooks,
  fingerprint,
  INVARIANTS,
  replaceMovedGroup,
  stateHash,
} from '../../properties/registry.js';
import { checkRefcounts, expectedUsers } from '../../properties/refcount.js';
import { checkHwptList } from '../../properties/ioas.js';
import { checkIgroup } from '../../properties/igroup.js';
import { runOp, Session } from '../../workload/execute.js';

// ---- fixtures ------------------------------------------------------------------------------

const RESV: RegionSpec = { start: 0x1000, length: 0x1000, type: 'reserved' };
const RESV2: RegionSpec = { start: 0x4000, length: 0x1000, type: 'direct' };
const SW_MSI: RegionSpec = { start: 0x8000000, length: 0x100000, type: 'sw-msi' };
const dev = (o: Partial<DeviceSpec> = {}): DeviceSpec => ({ cacheCoherent: true, enforceCC: false, resv: [], ...o });

/**
 * Group 0: dev0 (a reserved region, a SW_MSI region, enforces cache coherency) and dev1 (one
 * region). Group 1: dev2, plain. One iommu that supports enforce_cache_coherency.
 */
const TOPO: Topology = {
  iommus: [{ enforceCC: true, isolatedMsi: true }],
  groups: [
    { iommu: 0, devices: [dev({ resv: [RESV, SW_MSI], enforceCC: true }), dev({ resv: [RESV2] })] },
    { iommu: 0, devices: [dev()] },
  ],
  ioas: [],
};

/** The state after the base script. */
interface Base {
  a: Ioas;
  b: Ioas;
  d0: Idev;
  d1: Idev;
  d2: Idev;
  /** The auto HWPT of group 0 on IOAS a (dev0 and dev1 attached). */
  h1: Hwpt;
  /** A manual HWPT on IOAS b, no device. */
  h2: Hwpt;
  g0: IGroup;
  setupThread: EThread;
}

async function attachTo(k: Kernel, t: EThread, idev: Idev, id: number): Promise<number> {
  const pt: PtId = { value: id };
  await deviceAttach(k, t, idev, pt);
  return pt.value;
}

/** A correct sequential script: two IOAS, dev0 + dev1 attached to a (one auto HWPT), dev2 bound, a manual HWPT on b. */
async function base(k: Kernel): Promise<Base> {
  let s!: Base;
  const out = await runOne(k, async (t) => {
    const a = await ioasAllocIoctl(k, t);
    const b = await ioasAllocIoctl(k, t);
    const d0 = await deviceBind(k, t, k.devices[0]!);
    const d1 = await deviceBind(k, t, k.devices[1]!);
    const d2 = await deviceBind(k, t, k.devices[2]!);
    const h1id = await attachTo(k, t, d0, a.id);
    expect(await attachTo(k, t, d1, a.id)).toBe(h1id);
    const h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: d2.id, ptId: b.id });
    s = { a, b, d0, d1, d2, h1: k.objects[h1id] as Hwpt, h2, g0: d0.igroup, setupThread: t };
  });
  expect(out.violation).toBeNull();
  expect(out.end.kind).toBe('done');
  return s;
}

/** Run a check outside any run, with an EThread built by hand; returns what it reports. */
function check(f: (t: EThread) => void): Violation | null {
  try {
    f(new EThread(-1, 'check'));
    return null;
  } catch (e) {
    if (e instanceof ViolationError) return e.violation;
    throw e;
  }
}

const quiescent = (k: Kernel) => check((t) => checkQuiescent(k, t));
const igroupHook = (k: Kernel, g: IGroup) => check((t) => defaultHooks.igroupUnlocked(k, t, g));
const ioasHook = (k: Kernel, ioas: Ioas) => check((t) => defaultHooks.ioasUnlocked(k, t, ioas));

async function fresh(o: KernelOpts = {}): Promise<{ k: Kernel; s: Base }> {
  const k = makeKernel({ topology: TOPO, ...o });
  const s = await base(k);
  return { k, s };
}

/** Single-threaded scheduler whose fault draws fail only while armed (fault denominator 2). */
class FaultGate implements Scheduler {
  readonly name = 'fault-gate';
  armed = false;
  newExecution(): boolean {
    return true;
  }
  nextThread(enabled: Int32Array): number {
    return enabled[0]!;
  }
  draw(bound: number): number {
    return this.armed ? 0 : bound - 1;
  }
}

function gatedKernel(o: { profile?: ProfileName; variants?: VariantName[]; points: FaultPoint[]; hooks?: boolean }): {
  k: Kernel;
  gate: FaultGate;
} {
  const gate = new FaultGate();
  const classes = new LockClasses();
  const profile = o.profile ?? 'fixed';
  const k = new Kernel(
    new Runtime(gate, 100_000),
    new Lockdep(classes, 8),
    internClasses(classes),
    TOPO,
    {
      flags: profileFlags(profile, o.variants ?? []),
      fixes: profileFixes(profile),
      faultDen: 2,
      faultPoints: new Set(o.points),
      tracing: true,
    },
    null,
  );
  if (o.hooks !== false) k.props = defaultHooks;
  return { k, gate };
}

/** A scheduler function over the enabled list, recording what it was offered. */
class FnScheduler implements Scheduler {
  readonly name = 'fn';
  constructor(private readonly choose: (enabled: number[], current: number) => number) {}
  newExecution(): boolean {
    return true;
  }
  nextThread(enabled: Int32Array, n: number, current: number): number {
    return this.choose(Array.from(enabled.subarray(0, n)), current);
  }
  draw(): number {
    return 0;
  }
}

// ---- the base state is clean ------------------------------------------------------------------

describe('controls', () => {
  it('the registry lists I1..I13', () => {
    expect(Object.keys(INVARIANTS)).toEqual(Array.from({ length: 13 }, (_, i) => `I${i + 1}`));
  });

  it('the base script passes every quiescence and lock-release check', async () => {
    const { k, s } = await fresh();
    expect(s.h1.autoDomain).toBe(true);
    expect(s.g0.hwpt).toBe(s.h1);
    expect(s.g0.deviceList).toEqual([s.d0, s.d1]);
    expect(s.g0.swMsiStart).toBe(SW_MSI.start);
    expect([s.h1.msiCookie, s.h1.enforceCC]).toEqual([true, true]);
    expect(s.a.iopt.reserved.length).toBe(3);
    expect(quiescent(k)).toBeNull();
    expect(igroupHook(k, s.g0)).toBeNull();
    expect(igroupHook(k, s.d2.igroup)).toBeNull();
    expect(ioasHook(k, s.a)).toBeNull();
    expect(ioasHook(k, s.b)).toBeNull();
  });
});

// ---- I1 refcount accounting ---------------------------------------------------------------------

describe('I1 refcount accounting', () => {
  it('control: users equals the accounted references', async () => {
    const { k, s } = await fresh();
    expect([s.d0.users, s.d2.users, s.h1.users, s.h2.users, s.a.users, s.b.users]).toEqual([3, 2, 3, 1, 2, 2]);
    for (const o of [s.d0, s.d1, s.d2, s.h1, s.h2, s.a, s.b]) expect(o.users).toBe(expectedUsers(k, o));
    expect(check((t) => checkRefcounts(k, t))).toBeNull();
  });

  it('an extra users reference on a device is reported by checkRefcounts and checkQuiescent', async () => {
    const { k, s } = await fresh();
    s.d1.users++;
    for (const v of [check((t) => checkRefcounts(k, t)), quiescent(k)]) {
      expect(v).toMatchObject({ kind: 'invariant', invariant: 'I1', location: 'I1:users' });
      expect(v!.message).toContain(`${s.d1.label}.users is 4`);
    }
  });

  it('a lost reference on a HWPT (a device on it not counted) is reported', async () => {
    const { k, s } = await fresh();
    s.h1.users--;
    expect(quiescent(k)).toMatchObject({ invariant: 'I1', location: 'I1:users' });
  });

  it('engine side: a users count one too low makes unbind hit refcount 0 (refcount_t saturation WARN)', async () => {
    const { k, s } = await fresh();
    const ok = await fresh();
    expect((await runOne(ok.k, (t) => deviceUnbind(ok.k, t, ok.s.d2))).violation).toBeNull();
    s.d2.users = 1;
    const out = await runOne(k, (t) => deviceUnbind(k, t, s.d2));
    expect(out.violation).toMatchObject({ kind: 'refcount', invariant: 'I1', location: 'iommufd_object_remove extra_put' });
  });
});

// ---- I2 igroup consistency ----------------------------------------------------------------------

describe('I2 igroup consistency', () => {
  it('a device twice on the device_list', async () => {
    const { k, s } = await fresh();
    s.g0.deviceList.push(s.d0);
    expect(igroupHook(k, s.g0)).toMatchObject({ kind: 'invariant', invariant: 'I2', location: 'I2:list-duplicate' });
    expect(quiescent(k)?.invariant).toBeDefined();
  });

  it('devices attached but igroup->hwpt NULL', async () => {
    const { k, s } = await fresh();
    s.g0.hwpt = null;
    expect(check((t) => checkIgroup(k, t, s.g0))).toMatchObject({ invariant: 'I2', location: 'I2:hwpt-iff-devices' });
  });

  it('an idev of another igroup on the device_list', async () => {
    const { k, s } = await fresh();
    s.g0.deviceList.push(s.d2);
    expect(igroupHook(k, s.g0)).toMatchObject({ invariant: 'I2', location: 'I2:device-igroup' });
  });

  it('the core group on another domain than igroup->hwpt', async () => {
    const { k, s } = await fresh();
    s.g0.group.domain = s.h2.domain;
    expect(igroupHook(k, s.g0)).toMatchObject({ invariant: 'I2', location: 'I2:core-domain' });
    s.g0.group.domain = s.h1.domain;
    expect(igroupHook(k, s.g0)).toBeNull();
  });

  it('control: an unattached igroup has neither hwpt nor devices', async () => {
    const { k, s } = await fresh();
    expect(s.d2.igroup.hwpt).toBeNull();
    expect(igroupHook(k, s.d2.igroup)).toBeNull();
    s.d2.igroup.hwpt = s.h2;
    expect(igroupHook(k, s.d2.igroup)).toMatchObject({ invariant: 'I2', location: 'I2:hwpt-iff-devices' });
  });
});

// ---- I3 hwpt_list ------------------------------------------------------------------------------

describe('I3 hwpt_list and unfinalized HWPTs', () => {
  it('an unfinalized HWPT on the list while its creator does not hold ioas->mutex', async () => {
    const { k, s } = await fresh();
    s.h2.published = false;
    expect(ioasHook(k, s.b)).toMatchObject({ kind: 'invariant', invariant: 'I3', location: 'I3:unfinalized-visible' });
  });

  it('control: the same unfinalized HWPT is fine while its creator holds ioas->mutex', async () => {
    const { k, s } = await fresh();
    let inside: Violation | null | undefined;
    const out = await runOne(k, async (t) => {
      await s.b.mutex.lock(k, t);
      s.h2.published = false;
      s.h2.creator = t;
      inside = check(() => checkHwptList(k, t, s.b, false));
      s.h2.published = true;
      await ioasMutexUnlock(k, t, s.b);
    });
    expect(out.violation).toBeNull();
    expect(inside).toBeNull();
  });

  it('a HWPT on the list whose domain is not in the iopt', async () => {
    const { k, s } = await fresh();
    s.b.iopt.domains = [];
    expect(ioasHook(k, s.b)).toMatchObject({ invariant: 'I3', location: 'I3:list-domain' });
  });

  it('a domain in the iopt with no HWPT on the list: only at quiescence (both directions)', async () => {
    const { k, s } = await fresh();
    s.b.hwptList = [];
    // At ioas->mutex release only the list => domains direction is checked.
    expect(ioasHook(k, s.b)).toBeNull();
    expect(quiescent(k)).toMatchObject({ invariant: 'I3', location: 'I3:domain-list' });
  });

  it('a freed HWPT left on the list', async () => {
    const { k, s } = await fresh();
    s.h2.freed = true;
    expect(ioasHook(k, s.b)).toMatchObject({ invariant: 'I3', location: 'I3:freed-on-list' });
  });
});

// ---- I4 auto HWPT has a device at quiescence ----------------------------------------------------------

describe('I4 auto HWPT in use at quiescence', () => {
  it('a HWPT marked auto with no attached device', async () => {
    const { k, s } = await fresh();
    s.h2.autoDomain = true;
    expect(quiescent(k)).toMatchObject({ kind: 'invariant', invariant: 'I4', location: 'I4:auto-hwpt-unused' });
    s.h2.autoDomain = false;
    expect(quiescent(k)).toBeNull();
  });

  it('an auto HWPT kept alive by a leaked short-term hold after every device detached', async () => {
    const { k, s } = await fresh();
    // Leak a reference handed to a caller for a put that never comes (users and the shadow
    // count agree, so I1 holds).
    s.h1.users++;
    s.h1.transient++;
    const out = await runOne(k, async (t) => {
      await deviceDetach(k, t, s.d0);
      await deviceDetach(k, t, s.d1);
    });
    expect(out.violation).toBeNull();
    expect(s.h1.freed).toBe(false);
    // The leaked reference itself is an I1 finding at quiescence...
    expect(quiescent(k)).toMatchObject({ invariant: 'I1', location: 'I1:put-leak' });
    // ...and once it is gone the auto HWPT is alive with no device: I4.
    s.h1.users--;
    s.h1.transient--;
    expect(quiescent(k)).toMatchObject({ invariant: 'I4', location: 'I4:auto-hwpt-unused' });
  });

  it('control: without the leak the last detach destroys the auto HWPT', async () => {
    const { k, s } = await fresh();
    const out = await runOne(k, async (t) => {
      await deviceDetach(k, t, s.d0);
      await deviceDetach(k, t, s.d1);
    });
    expect(out.violation).toBeNull();
    expect(s.h1.freed).toBe(true);
    expect(quiescent(k)).toBeNull();
  });
});

// ---- I5 reserved regions and MSI cookie ---------------------------------------------------------------

describe('I5 reserved regions and the MSI cookie', () => {
  it('a reservation left behind in an IOAS the device is not attached through', async () => {
    const { k, s } = await fresh();
    s.b.iopt.reserved.push({ start: RESV.start, last: RESV.start + RESV.length - 1, owner: s.d0.dev });
    expect(quiescent(k)).toMatchObject({ kind: 'invariant', invariant: 'I5', location: 'I5:reserved-regions' });
    expect(igroupHook(k, s.g0)).toMatchObject({ invariant: 'I5', location: 'I5:reserved-regions' });
  });

  it('a reservation of a detached device left behind', async () => {
    const { k, s } = await fresh();
    const out = await runOne(k, (t) => deviceDetach(k, t, s.d1));
    expect(out.violation).toBeNull();
    expect(quiescent(k)).toBeNull();
    s.a.iopt.reserved.push({ start: RESV2.start, last: RESV2.start + RESV2.length - 1, owner: s.d1.dev });
    expect(quiescent(k)).toMatchObject({ invariant: 'I5', location: 'I5:reserved-regions' });
  });

  it('a reservation missing for an attached device', async () => {
    const { k, s } = await fresh();
    s.a.iopt.reserved = s.a.iopt.reserved.filter((r) => r.owner !== s.d1.dev);
    expect(quiescent(k)).toMatchObject({ invariant: 'I5', location: 'I5:reserved-regions' });
  });

  it('sw_msi_start set but the HWPT has no MSI cookie', async () => {
    const { k, s } = await fresh();
    s.h1.msiCookie = false;
    expect(igroupHook(k, s.g0)).toMatchObject({ invariant: 'I5', location: 'I5:msi-cookie' });
    expect(quiescent(k)).toMatchObject({ invariant: 'I5', location: 'I5:msi-cookie' });
  });

  it('engine side (finding F1): v6.6 strips the attached group\'s reservations on a failed same-IOAS replace; fixed does not', async () => {
    for (const profile of ['v6.6', 'fixed'] as const) {
      const { k, gate } = gatedKernel({ profile, points: ['replace_domain'] });
      const s = await base(k);
      let r: unknown;
      const out = await runOne(k, async (t) => {
        const h3 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.d0.id, ptId: s.a.id });
        gate.armed = true;
        r = await errno(deviceReplace(k, t, s.d0, { value: h3.id }));
        gate.armed = false;
      });
      if (profile === 'v6.6') {
        expect(out.violation).toMatchObject({ kind: 'invariant', invariant: 'I5', location: 'I5:reserved-regions' });
      } else {
        expect(out.violation).toBeNull();
        expect(r).toBe('EINVAL');
        expect(quiescent(k)).toBeNull();
      }
    }
  });
});

// ---- I6 cache coherency --------------------------------------------------------------------------

describe('I6 enforce cache coherency', () => {
  it('an enforcing device on a HWPT without enforce_cache_coherency', async () => {
    const { k, s } = await fresh();
    expect(s.d0.enforceCC).toBe(true);
    s.h1.enforceCC = false;
    expect(igroupHook(k, s.g0)).toMatchObject({ kind: 'invariant', invariant: 'I6', location: 'I6:enforce-cc' });
    expect(quiescent(k)).toMatchObject({ invariant: 'I6', location: 'I6:enforce-cc' });
  });

  it('control: a non-enforcing device does not need it', async () => {
    const { k, s } = await fresh();
    s.h1.enforceCC = false;
    s.d0.enforceCC = false;
    expect(igroupHook(k, s.g0)).toBeNull();
  });
});

// ---- I7 id states --------------------------------------------------------------------------------

describe('I7 id states: finalize once, abort only unfinalized, reserved ids invisible', () => {
  it('finalize of an already finalized object WARNs', async () => {
    const { k, s } = await fresh();
    const out = await runOne(k, (t) => objectFinalize(k, t, s.b));
    expect(out.violation).toMatchObject({ kind: 'warn', invariant: 'I7', location: 'iommufd_object_finalize' });
  });

  it('abort of a finalized object WARNs', async () => {
    const { k, s } = await fresh();
    const out = await runOne(k, (t) => objectAbort(k, t, s.h2));
    expect(out.violation).toMatchObject({ kind: 'warn', invariant: 'I7', location: 'iommufd_object_abort' });
  });

  it('control: alloc -> finalize once, alloc -> abort; a reserved id is invisible to lookups and destroy', async () => {
    const { k } = await fresh();
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const x = await objectAlloc(k, t, new SelftestObj());
      seen.push(k.load(x.id), await errno(getObject(k, t, x.id, 0)), await errno(iommufdDestroy(k, t, x.id)));
      await objectFinalize(k, t, x);
      seen.push(k.load(x.id) === x);
      const y = await objectAlloc(k, t, new SelftestObj());
      await objectAbort(k, t, y);
      seen.push(k.objects[y.id] ?? null, y.freed);
      k.objects[x.id] = null;
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual([null, 'ENOENT', 'ENOENT', true, null, true]);
  });

  it('a lookup of a reserved HWPT is refused by the HWPT machine', async () => {
    const { k } = await fresh();
    const out = await runOne(k, async (t) => {
      const h = await objectAlloc(k, t, new Hwpt());
      k.hwptEvent(t, h, HwptEv.LOOKUP);
    });
    expect(out.violation).toMatchObject({ kind: 'model', location: 'hwpt:reserved:LOOKUP' });
  });
});

// ---- I8 use after free -------------------------------------------------------------------------

describe('I8 no use after free', () => {
  it('a read trylock on the destroy_rwsem of an unbound (freed) device', async () => {
    const { k, s } = await fresh();
    const before = await runOne(k, async (t) => {
      expect(await s.d2.destroyRwsem.tryRead(k, t)).toBe(true);
      await s.d2.destroyRwsem.upRead(k, t);
      await deviceUnbind(k, t, s.d2);
    });
    expect(before.violation).toBeNull();
    expect(s.d2.freed).toBe(true);
    const out = await runOne(k, async (t) => {
      await s.d2.destroyRwsem.tryRead(k, t);
    });
    expect(out.violation).toMatchObject({ kind: 'use-after-free', invariant: 'I8', location: 'down_read_trylock' });
  });

  it('a mutex_lock of a destroyed IOAS\'s mutex', async () => {
    const { k } = await fresh();
    let c!: Ioas;
    const ok = await runOne(k, async (t) => {
      c = await ioasAllocIoctl(k, t);
      await c.mutex.lock(k, t);
      await c.mutex.unlock(k, t);
      await iommufdDestroy(k, t, c.id);
    });
    expect(ok.violation).toBeNull();
    const out = await runOne(k, (t) => c.mutex.lock(k, t));
    expect(out.violation).toMatchObject({ kind: 'use-after-free', invariant: 'I8', location: 'mutex_lock' });
  });

  it('a bound device referencing a freed igroup at quiescence', async () => {
    const { k, s } = await fresh();
    s.d2.igroup.freed = true;
    expect(quiescent(k)).toMatchObject({ invariant: 'I8', location: 'I8:igroup-freed' });
  });

  it('engine side (Z1): v6.6 IOMMU_DESTROY frees an IOAS under a short-term holder; fixed answers EBUSY', async () => {
    async function search(profile: ProfileName): Promise<{ uaf: Violation | null; results: Set<string> }> {
      const results = new Set<string>();
      for (let seed = 1; seed <= 300; seed++) {
        const k = makeKernel({ profile, scheduler: new RandomScheduler(seed) });
        let id = 0;
        const setup = await runOne(k, async (t) => {
          id = (await ioasAllocIoctl(k, t)).id;
        });
        expect(setup.violation).toBeNull();
        const out = await runThreads(
          k,
          async (t) => {
            await errno(
              (async () => {
                const o = await getObject(k, t, id, 0);
                await putObject(k, t, o);
              })(),
            );
          },
          async (t) => {
            results.add(await errno(iommufdDestroy(k, t, id)));
          },
        );
        if (out.violation) return { uaf: out.violation, results };
      }
      return { uaf: null, results };
    }
    const bad = await search('v6.6');
    expect(bad.uaf).toMatchObject({ kind: 'use-after-free', invariant: 'I8' });
    const good = await search('fixed');
    expect(good.uaf).toBeNull();
    expect(good.results).toContain('EBUSY');
    expect(good.results).toContain('ok');
  });
});

// ---- I9 failure atomicity ----------------------------------------------------------------------------

describe('I9 failure atomicity', () => {
  it('fingerprint: changes with observable state, ignores the sticky flags', async () => {
    const { k, s } = await fresh();
    const f0 = fingerprint(k);
    const h0 = stateHash(k);
    s.h1.msiCookie = false;
    s.h1.enforceCC = false;
    s.g0.swMsiStart = null;
    expect(fingerprint(k)).toBe(f0);
    expect(stateHash(k)).toBe(h0);
    s.b.iopt.reserved.push({ start: 1, last: 2, owner: null });
    expect(fingerprint(k)).not.toBe(f0);
    expect(stateHash(k)).not.toBe(h0);
    s.b.iopt.reserved.pop();
    expect(fingerprint(k)).toBe(f0);
    s.a.users++;
    expect(fingerprint(k)).not.toBe(f0);
    expect(stateHash(k)).not.toBe(h0);
    // A short-term hold is not observable state.
    s.a.shortterm++;
    expect(fingerprint(k)).toBe(f0);
    expect(stateHash(k)).toBe(h0);
  });

  /** A session driven through runOp: dev0 and dev1 bound and attached to IOAS a, a manual HWPT h3 on a. */
  async function session(k: Kernel): Promise<Session> {
    const sess = new Session(k, true, true);
    const out = await runOne(k, async (t) => {
      for (const op of [
        { op: 'ioas_alloc', as: 'a' },
        { op: 'ioas_alloc', as: 'b' },
        { op: 'bind', dev: 0 },
        { op: 'bind', dev: 1 },
        { op: 'bind', dev: 2 },
        { op: 'attach', dev: 0, pt: 'a' },
        { op: 'attach', dev: 1, pt: 'a' },
        { op: 'hwpt_alloc', dev: 'dev0.idev', pt: 'a', flags: 0, as: 'h3' },
        { op: 'hwpt_alloc', dev: 'dev0.idev', pt: 'b', flags: 0, as: 'h2' },
      ] as const) {
        expect(await runOp(sess, t, op)).toBe('ok');
      }
    });
    expect(out.violation).toBeNull();
    return sess;
  }

  it('a failed operation that changed state in its solo window is reported by runOp', async () => {
    const k = makeKernel({ topology: TOPO });
    const s = await session(k);
    const a = k.objects[s.names.get('a')!] as Ioas;
    let armed = false;
    k.rt.onStep = () => {
      if (armed) {
        armed = false;
        a.iopt.reserved.push({ start: 0x10000, last: 0x10fff, owner: null });
      }
    };
    let r: unknown;
    const out = await runOne(k, async (t) => {
      armed = true;
      r = await runOp(s, t, { op: 'attach', dev: 2, pt: 999 });
    });
    expect(r).toBeUndefined();
    expect(out.violation).toMatchObject({ kind: 'invariant', invariant: 'I9', location: 'I9:attach' });
    expect(out.violation!.message).toContain('failed with ENOENT');
  });

  it('control: the same failed operation without the corruption; and with it but not solo (another thread interleaved)', async () => {
    const k = makeKernel({ topology: TOPO });
    const s = await session(k);
    let r: unknown;
    const out = await runOne(k, async (t) => {
      r = await runOp(s, t, { op: 'attach', dev: 2, pt: 999 });
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOENT');

    const k2 = makeKernel({ topology: TOPO, scheduler: new FnScheduler((en, cur) => en.find((i) => i !== cur) ?? en[0]!) });
    const s2 = await session(k2);
    const a = k2.objects[s2.names.get('a')!] as Ioas;
    let armed = false;
    k2.rt.onStep = (thread) => {
      if (armed && thread === 0) {
        armed = false;
        a.iopt.reserved.push({ start: 0x10000, last: 0x10fff, owner: null });
      }
    };
    const out2 = await runThreads(
      k2,
      async (t) => {
        armed = true;
        r = await runOp(s2, t, { op: 'attach', dev: 2, pt: 999 });
      },
      async (t) => {
        for (let i = 0; i < 5; i++) await k2.rt.point(t);
      },
    );
    expect(out2.violation).toBeNull();
    expect(r).toBe('ENOENT');
  });

  it('engine side (finding F1): v6.6 failed same-IOAS replace is not atomic (I9, with the lock-release hooks off); fixed is', async () => {
    for (const profile of ['v6.6', 'fixed'] as const) {
      const gate = new FaultGate();
      const k = makeKernel({ topology: TOPO, profile, hooks: false, scheduler: gate, failAt: ['replace_domain'] });
      // makeKernel's failAt sets a fault denominator of 1: a draw of 0 fails. Keep the gate shut.
      gate.draw = (bound: number) => (gate.armed ? 0 : bound);
      const s = await session(k);
      let r: unknown;
      const out = await runOne(k, async (t) => {
        gate.armed = true;
        r = await runOp(s, t, { op: 'replace', dev: 0, pt: 'h3' });
        gate.armed = false;
      });
      if (profile === 'v6.6') {
        expect(out.violation).toMatchObject({ kind: 'invariant', invariant: 'I9', location: 'I9:replace' });
        expect(out.violation!.message).toContain('failed with EINVAL');
      } else {
        expect(out.violation).toBeNull();
        expect(r).toBe('EINVAL');
      }
    }
  });
});

// ---- I10 no leak -----------------------------------------------------------------------------------

describe('I10 no leak at quiescence and after close', () => {
  async function teardown(k: Kernel, s: Base, skipUnbind: Idev | null): Promise<Violation | null> {
    const out = await runOne(k, async (t) => {
      await deviceDetach(k, t, s.d0);
      await deviceDetach(k, t, s.d1);
      for (const d of [s.d0, s.d1, s.d2]) if (d !== skipUnbind) await deviceUnbind(k, t, d);
      await fopsRelease(k, t);
    });
    return out.violation;
  }

  it('control: a full teardown closes clean', async () => {
    const { k, s } = await fresh();
    expect(await teardown(k, s, null)).toBeNull();
    expect(check((t) => checkClosed(k, t))).toBeNull();
    expect(k.closed).toBe(true);
  });

  it('a device never unbound: close cannot free it (fops_release WARN)', async () => {
    const { k, s } = await fresh();
    expect(await teardown(k, s, s.d2)).toMatchObject({ kind: 'warn', invariant: 'I10', location: 'iommufd_fops_release' });
  });

  it('leaks found by checkClosed: an object left, a domain, an igroup, a DMA owner', async () => {
    const cases: Array<[string, (k: Kernel, s: Base) => void]> = [
      ['I10:objects-left', (k, s) => (k.objects[s.a.id] = s.a)],
      ['I10:domain-leak', (k) => (k.allDomains[0]!.freed = false)],
      ['I10:igroup-leak', (k) => (k.allIgroups[0]!.freed = false)],
      ['I10:groups-left', (k, s) => k.groups.set(0, s.g0)],
      ['I10:dma-owner', (k) => (k.iommuGroups[1]!.ownerCount = 1)],
    ];
    for (const [loc, breakIt] of cases) {
      const { k, s } = await fresh();
      expect(await teardown(k, s, null)).toBeNull();
      breakIt(k, s);
      expect(check((t) => checkClosed(k, t)), loc).toMatchObject({ kind: 'invariant', invariant: 'I10', location: loc });
    }
  });

  it('an igroup kref that does not match its bound devices at quiescence', async () => {
    const { k, s } = await fresh();
    s.g0.ref++;
    expect(quiescent(k)).toMatchObject({ invariant: 'I10', location: 'I10:igroup-kref' });
  });

  it('a live igroup not installed in ctx->groups at quiescence', async () => {
    const { k, s } = await fresh();
    k.groups.delete(s.d2.igroup.group.id);
    expect(quiescent(k)).toMatchObject({ invariant: 'I10', location: 'I10:igroup-installed' });
  });
});

// ---- I11 deadlock freedom -------------------------------------------------------------------------

describe('I11 deadlock freedom', () => {
  it('lock order inversion between ioas->mutex and igroup->lock is reported by lockdep even when nothing hangs', async () => {
    const { k, s } = await fresh();
    const out = await runOne(k, async (t) => {
      await s.a.mutex.lock(k, t);
      await s.g0.lock.lock(k, t);
      await s.g0.lock.unlock(k, t);
      await s.a.mutex.unlock(k, t);
      await s.g0.lock.lock(k, t);
      await s.a.mutex.lock(k, t);
    });
    expect(out.violation).toMatchObject({ kind: 'lockdep-circular', invariant: 'I11', location: '&ioas->mutex' });
  });

  it('control: the same two locks always in the kernel order', async () => {
    const { k, s } = await fresh();
    const out = await runOne(k, async (t) => {
      for (let i = 0; i < 2; i++) {
        await s.a.mutex.lock(k, t);
        await s.g0.lock.lock(k, t);
        await s.g0.lock.unlock(k, t);
        await s.a.mutex.unlock(k, t);
      }
    });
    expect(out.violation).toBeNull();
  });

  it('recursive locking of ioas->mutex', async () => {
    const { k, s } = await fresh();
    const out = await runOne(k, async (t) => {
      await s.a.mutex.lock(k, t);
      await s.a.mutex.lock(k, t);
    });
    expect(out.violation).toMatchObject({ kind: 'lockdep-recursive', invariant: 'I11', location: '&ioas->mutex' });
  });

  it('engine side (Z3 abort-without-abort-op): a HWPT_ALLOC unwind re-locks ioas->mutex; fixed unwinds with EFAULT', async () => {
    for (const variants of [['abort-without-abort-op'], []] as VariantName[][]) {
      const { k, gate } = gatedKernel({ variants, points: ['copy_to_user'] });
      const s = await base(k);
      let r: unknown;
      const out = await runOne(k, async (t) => {
        gate.armed = true;
        r = await errno(hwptAllocIoctl(k, t, { flags: 0, devId: s.d2.id, ptId: s.b.id }));
        gate.armed = false;
      });
      if (variants.length) {
        expect(out.violation).toMatchObject({ kind: 'lockdep-recursive', invariant: 'I11', location: '&ioas->mutex' });
      } else {
        expect(out.violation).toBeNull();
        expect(r).toBe('EFAULT');
        expect(quiescent(k)).toBeNull();
      }
    }
  });
});

// ---- I12 destroy determinism ----------------------------------------------------------------------

describe('I12 unbind waits for short-term holders', () => {
  it('a thread holding getObject of the device keeps the unbinding thread not enabled until it puts', async () => {
    let k!: Kernel;
    let s!: Base;
    let holding = false;
    let heldOff = 0;
    const steps: string[] = [];
    // T0 until it holds the device, then T1 whenever it is enabled.
    const sched = new FnScheduler((en) => {
      const t1 = k.rt.threads[1];
      if (holding && t1 && t1.waitLock === s.d2.destroyRwsem) {
        expect(en).not.toContain(1);
        heldOff++;
      }
      return !holding && en.includes(0) ? 0 : en.includes(1) ? 1 : en[0]!;
    });
    k = makeKernel({ topology: TOPO, scheduler: sched });
    s = await base(k);
    const out = await runThreads(
      k,
      async (t) => {
        const o = await getObject(k, t, s.d2.id, 1);
        holding = true;
        steps.push('T0 got');
        for (let i = 0; i < 4; i++) await k.rt.point(t);
        expect(s.d2.freed).toBe(false);
        await putObject(k, t, o);
        holding = false;
        steps.push('T0 put');
      },
      async (t) => {
        steps.push('T1 unbind');
        await deviceUnbind(k, t, s.d2);
        steps.push('T1 unbound');
      },
    );
    expect(out.violation).toBeNull();
    expect(steps).toEqual(['T0 got', 'T1 unbind', 'T0 put', 'T1 unbound']);
    expect(heldOff).toBeGreaterThanOrEqual(4);
    expect(s.d2.freed).toBe(true);
  });

  it('control over random schedules: unbind racing a short-term holder always completes cleanly', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const k = makeKernel({ topology: TOPO, scheduler: new RandomScheduler(seed) });
      const s = await base(k);
      let got: unknown;
      const out = await runThreads(
        k,
        async (t) => {
          got = await errno(
            (async () => {
              const o = await getObject(k, t, s.d2.id, 1);
              await k.rt.point(t);
              await putObject(k, t, o);
            })(),
          );
        },
        (t) => deviceUnbind(k, t, s.d2),
      );
      expect(out.violation, `seed ${seed}`).toBeNull();
      expect(['ok', 'ENOENT']).toContain(got);
      expect(s.d2.freed).toBe(true);
    }
  });

  it('broken on purpose: when the holder\'s read hold is dropped behind the rwsem, unbind does not wait (I12)', async () => {
    let k!: Kernel;
    let s!: Base;
    let holding = false;
    const sched = new FnScheduler((en) => (!holding && en.includes(0) ? 0 : en.includes(1) ? 1 : en[0]!));
    k = makeKernel({ topology: TOPO, scheduler: sched });
    s = await base(k);
    const out = await runThreads(
      k,
      async (t) => {
        await getObject(k, t, s.d2.id, 1);
        // Forget the read side of the hold (users and the shadow count stay): destroy cannot see it.
        s.d2.destroyRwsem.readers = [];
        holding = true;
        for (let i = 0; i < 4; i++) await k.rt.point(t);
      },
      (t) => deviceUnbind(k, t, s.d2),
    );
    expect(out.violation).toMatchObject({ kind: 'invariant', invariant: 'I12', location: 'I12:destroy-waits' });
  });
});

// ---- I13 replace moves the whole group -------------------------------------------------------------

describe('I13 replace moves the whole group', () => {
  async function replaced(): Promise<{ k: Kernel; s: Base }> {
    const { k, s } = await fresh();
    const out = await runOne(k, (t) => deviceReplace(k, t, s.d0, { value: s.h2.id }));
    expect(out.violation).toBeNull();
    return { k, s };
  }

  it('control: after replace the group and every device reference are on the new HWPT', async () => {
    const { k, s } = await replaced();
    expect(s.g0.hwpt).toBe(s.h2);
    expect(replaceMovedGroup(k, s.h2, 2)).toBeNull();
    expect(quiescent(k)).toBeNull();
  });

  it('the new HWPT with a wrong users count', async () => {
    const { k, s } = await replaced();
    s.h2.users++;
    expect(replaceMovedGroup(k, s.h2, 2)).toMatch(/users is 4 after replace, expected 3/);
  });

  it('the group left behind (only one device moved)', async () => {
    const { k, s } = await replaced();
    s.g0.deviceList.pop();
    expect(replaceMovedGroup(k, s.h2, 2)).toMatch(/no igroup with 2 devices is on/);
  });

  it('runOp checks I13 after a solo replace', async () => {
    for (const corrupt of [false, true]) {
      const k = makeKernel({ topology: TOPO });
      const sess = new Session(k, true, true);
      let h2!: Hwpt;
      let bumped = false;
      k.rt.onStep = () => {
        if (corrupt && !bumped && h2 && h2.ioas && k.allIgroups.some((g) => g.hwpt === h2)) {
          bumped = true;
          h2.users++;
        }
      };
      const out = await runOne(k, async (t) => {
        for (const op of [
          { op: 'ioas_alloc', as: 'a' },
          { op: 'ioas_alloc', as: 'b' },
          { op: 'bind', dev: 0 },
          { op: 'bind', dev: 1 },
          { op: 'attach', dev: 0, pt: 'a' },
          { op: 'attach', dev: 1, pt: 'a' },
          { op: 'hwpt_alloc', dev: 'dev0.idev', pt: 'b', flags: 0, as: 'h2' },
        ] as const) {
          expect(await runOp(sess, t, op)).toBe('ok');
        }
        h2 = k.objects[sess.names.get('h2')!] as Hwpt;
        expect(await runOp(sess, t, { op: 'replace', dev: 0, pt: 'h2' })).toBe('ok');
      });
      if (corrupt) {
        expect(bumped).toBe(true);
        expect(out.violation).toMatchObject({ kind: 'invariant', invariant: 'I13', location: 'I13:replace' });
      } else {
        expect(out.violation).toBeNull();
      }
    }
  });
});
