// Test harness: an emulated kernel driven by one or more scripted threads.
import { Runtime, type EThread, type RunEnd } from '../../schedulers/runtime.js';
import { RandomScheduler } from '../../schedulers/random.js';
import type { Scheduler } from '../../schedulers/scheduler.js';
import { Lockdep, LockClasses } from '../../engine/locks/lockdep.js';
import { internClasses, Kernel } from '../../engine/kernel.js';
import { profileFixes, profileFlags, type ProfileName } from '../../engine/profiles.js';
import type { VariantName } from '../../engine/variants.js';
import type { Topology } from '../../engine/topology.js';
import { ViolationError, type Violation } from '../../engine/violation.js';
import { KErr, type OpResult } from '../../engine/errno.js';
import { defaultHooks } from '../../properties/registry.js';

export interface KernelOpts {
  topology?: Topology;
  profile?: ProfileName;
  variants?: VariantName[];
  /** Fault points that fail (every time they are reached), for unwind tests. */
  failAt?: string[];
  scheduler?: Scheduler;
  singleRwsemClass?: boolean;
  tracing?: boolean;
  hooks?: boolean;
}

export const ONE_GROUP: Topology = {
  iommus: [{ enforceCC: true, isolatedMsi: true }],
  groups: [{ iommu: 0, devices: [{ cacheCoherent: true, enforceCC: false, resv: [] }] }],
  ioas: [],
};

/** A scheduler that always fails the draw (used with `failAt` to make chosen points fail). */
class AlwaysFail extends RandomScheduler {
  override draw(): number {
    return 0;
  }
}

export function makeKernel(o: KernelOpts = {}): Kernel {
  const sched = o.scheduler ?? (o.failAt ? new AlwaysFail(1) : new RandomScheduler(1));
  const rt = new Runtime(sched, 100_000);
  const classes = new LockClasses();
  const lockdep = new Lockdep(classes, 8);
  const cls = internClasses(classes, o.singleRwsemClass);
  const profile = o.profile ?? 'fixed';
  const k = new Kernel(
    rt,
    lockdep,
    cls,
    o.topology ?? ONE_GROUP,
    {
      flags: profileFlags(profile, o.variants ?? []),
      fixes: profileFixes(profile),
      faultDen: o.failAt ? 1 : 0,
      faultPoints: o.failAt ? new Set(o.failAt as never[]) : undefined,
      tracing: o.tracing ?? true,
    },
    null,
  );
  if (o.hooks !== false) k.props = defaultHooks;
  return k;
}

export interface Outcome {
  end: RunEnd;
  violation: Violation | null;
}

/** Run scripted threads to completion under the kernel's scheduler. */
export async function runThreads(k: Kernel, ...bodies: Array<(t: EThread) => Promise<void>>): Promise<Outcome> {
  k.rt.beginPhase();
  bodies.forEach((b, i) => k.rt.spawn(`T${i}`, b));
  const end = await k.rt.run();
  const violation = end.kind === 'stopped' && end.reason instanceof ViolationError ? end.reason.violation : null;
  if (end.kind === 'stopped' && !(end.reason instanceof ViolationError)) throw end.reason;
  return { end, violation };
}

/** Run one scripted thread; rethrows internal errors. */
export async function runOne(k: Kernel, body: (t: EThread) => Promise<void>): Promise<Outcome> {
  return runThreads(k, body);
}

/** Await an operation and turn its KErr into the errno name. */
export async function errno<T>(p: Promise<T>): Promise<OpResult> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof KErr) return e.errno;
    throw e;
  }
}
