// Shared fixtures for the sequential engine tests (not a test file itself).
//
// `makeKernel({failAt})` in tests/helpers/kernel.ts makes the listed points fail EVERY time,
// which also breaks the setup steps that reach the same point (IOMMU_IOAS_ALLOC reaches
// object_alloc and copy_to_user, for example). `makeGated` builds the same kernel but lets a
// test arm and disarm its failure points between steps, so the fault hits one chosen call.
import { Runtime, type EThread } from '../../schedulers/runtime.js';
import type { Scheduler } from '../../schedulers/scheduler.js';
import { Lockdep, LockClasses } from '../../engine/locks/lockdep.js';
import { internClasses, Kernel } from '../../engine/kernel.js';
import { profileFixes, profileFlags, type ProfileName } from '../../engine/profiles.js';
import type { VariantName } from '../../engine/variants.js';
import type { DeviceSpec, RegionSpec, Topology } from '../../engine/topology.js';
import type { FaultPoint } from '../../engine/faults.js';
import { Hwpt, Idev, IGroup, Ioas, type IObj } from '../../engine/objects.js';
import { defaultHooks } from '../../properties/registry.js';
import { deviceAttach, deviceReplace, type PtId } from '../../engine/device.js';

/**
 * Single-threaded scheduler whose fault draws fail only while armed. The kernel is built with
 * a fault denominator of 2: draw(2) === 0 fails the point, 1 lets it pass.
 */
export class FaultGate implements Scheduler {
  readonly name = 'fault-gate';
  armed = false;
  /** While armed, let this many reached points pass before failing. */
  skip = 0;
  /** Fault draws seen while armed. */
  draws = 0;
  newExecution(): boolean {
    return true;
  }
  nextThread(enabled: Int32Array): number {
    return enabled[0]!;
  }
  draw(bound: number): number {
    if (!this.armed) return bound - 1;
    this.draws++;
    if (this.skip > 0) {
      this.skip--;
      return bound - 1;
    }
    return 0;
  }
}

export interface GatedOpts {
  topology?: Topology;
  profile?: ProfileName;
  variants?: VariantName[];
  /** The failure points the gate controls. */
  points: FaultPoint[];
}

export function makeGated(o: GatedOpts): { k: Kernel; gate: FaultGate } {
  const gate = new FaultGate();
  const classes = new LockClasses();
  const profile = o.profile ?? 'fixed';
  const k = new Kernel(
    new Runtime(gate, 100_000),
    new Lockdep(classes, 8),
    internClasses(classes),
    o.topology ?? ONE_DEV,
    {
      flags: profileFlags(profile, o.variants ?? []),
      fixes: profileFixes(profile),
      faultDen: 2,
      faultPoints: new Set(o.points),
      tracing: true,
    },
    null,
  );
  k.props = defaultHooks;
  return { k, gate };
}

// ---- topologies --------------------------------------------------------------------------

export function dev(o: Partial<DeviceSpec> = {}): DeviceSpec {
  return { cacheCoherent: true, enforceCC: false, resv: [], ...o };
}

export const RESV: RegionSpec = { start: 0x1000, length: 0x1000, type: 'reserved' };
export const RESV2: RegionSpec = { start: 0x4000, length: 0x1000, type: 'direct' };
export const SW_MSI: RegionSpec = { start: 0x8000000, length: 0x100000, type: 'sw-msi' };
export const HW_MSI: RegionSpec = { start: 0xfee00000, length: 0x100000, type: 'msi' };

export interface TopoOpts {
  /** Per iommu: enforce_cache_coherency support and MSI isolation (default: both true). */
  iommus?: Array<{ enforceCC?: boolean; isolatedMsi?: boolean }>;
  /** Iommu index per group (default 0). */
  groupIommu?: number[];
  /** Mapped ranges per IOAS, in IOAS allocation order. */
  ioas?: Array<Array<{ start: number; length: number }>>;
}

/** groups[i] lists the devices of iommu group i. */
export function topo(groups: DeviceSpec[][], o: TopoOpts = {}): Topology {
  return {
    iommus: (o.iommus ?? [{}]).map((m) => ({ enforceCC: m.enforceCC ?? true, isolatedMsi: m.isolatedMsi ?? true })),
    groups: groups.map((devices, i) => ({ iommu: o.groupIommu?.[i] ?? 0, devices })),
    ioas: (o.ioas ?? []).map((mapped) => ({ mapped })),
  };
}

/** One group with one plain device. */
export const ONE_DEV = topo([[dev()]]);
/** One group with two plain devices. */
export const TWO_IN_GROUP = topo([[dev(), dev()]]);
/** Two groups with one plain device each. */
export const TWO_GROUPS = topo([[dev()], [dev()]]);

// ---- state probes ------------------------------------------------------------------------

/** Labels of the objects in ctx->objects (published or reserved), by id. */
export function live(k: Kernel): string[] {
  return k.objects.filter((o): o is IObj => o !== null).map((o) => `${o.label}${o.published ? '' : '(reserved)'}`);
}

export function obj<T extends IObj>(k: Kernel, id: number): T {
  const o = k.objects[id];
  if (!o) throw new Error(`no object ${id}`);
  return o as T;
}

export function hwpts(k: Kernel): Hwpt[] {
  return k.allObjects.filter((o): o is Hwpt => o instanceof Hwpt && !o.freed);
}

/** Reserved ranges of `ioas` owned by the physical device of `idev`. */
export function resvOf(ioas: Ioas, idev: Idev): number {
  return ioas.iopt.reserved.filter((r) => r.owner === idev.dev).length;
}

export function igroupOf(k: Kernel, idev: Idev): IGroup {
  return idev.igroup;
}

export async function attach(k: Kernel, t: EThread, idev: Idev, id: number): Promise<number> {
  const pt: PtId = { value: id };
  await deviceAttach(k, t, idev, pt);
  return pt.value;
}

export async function replace(k: Kernel, t: EThread, idev: Idev, id: number): Promise<number> {
  const pt: PtId = { value: id };
  await deviceReplace(k, t, idev, pt);
  return pt.value;
}
