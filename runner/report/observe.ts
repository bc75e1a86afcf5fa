// Replays a document's run and looks at the kernel while it runs, for what the trace text does
// not carry: the lock-class graph lockdep built (every edge, not just the reported chain),
// short-term holds, igroup->hwpt and device lists, hwpt_list and reservations.
//
// At the decision that starts the failing step, and at the end, it reads every object and
// igroup the kernel has allocated so far (freed ones included), so an id reused by a later object shows as two objects with one label,
// in allocation order: the last of a label is the one the trace's notes now name. (Reaching
// objects only through held locks missed an object no lock led to, and then passed a freed
// namesake off as the object the label names.)
import { Runner } from '../run.js';
import { ReplayDivergence, ReplayScheduler } from '../../schedulers/replay.js';
import type { Scheduler } from '../../schedulers/scheduler.js';
import type { DependencyEdge } from '../../engine/locks/lockdep.js';
import { Domain, Hwpt, IGroup, Idev, Ioas, PhysDev, SelftestObj, type IObj } from '../../engine/objects.js';
import type { Kernel } from '../../engine/kernel.js';
import type { ViolationDoc } from '../doc.js';
import { subjectOf } from './subject.js';
import { byLabel, type Life } from './fold.js';

export interface ObservedObject {
  label: string;
  users: number;
  shortterm: number;
  life: Life;
  /** Type-specific fields in short ("ioas IOAS#2, auto, domain#10"). */
  detail: string;
}

export interface ObservedIgroup {
  label: string;
  /** kref of the iommufd_group. */
  ref: number;
  hwpt: string | null;
  devices: string[];
  freed: boolean;
}

export interface ObservedIoas {
  label: string;
  hwptList: string[];
  domains: string[];
  /** "[0x20000..0x21fff] dev1(g1.0)" */
  reserved: string[];
  freed: boolean;
}

export interface KernelView {
  objects: ObservedObject[];
  igroups: ObservedIgroup[];
  ioas: ObservedIoas[];
}

export type ReplayOutcome = 'reproduced' | 'diverged' | 'different-violation' | 'no-violation' | 'different-trace';

export interface Observation {
  outcome: ReplayOutcome;
  /** One line on what went wrong when not reproduced. */
  why: string | null;
  /** Lockdep's class graph at the end of the run, in the order the edges were recorded. */
  edges: DependencyEdge[];
  /** Lock instance -> lockdep class, for every lock seen held. */
  lockClasses: Record<string, string>;
  /** After step failStep - 1, and when the violation fired. */
  before: KernelView | null;
  at: KernelView | null;
}

function lifeOf(o: IObj): Life {
  return o.freed ? 'freed' : o.removed ? 'removed' : o.published ? 'live' : 'reserved';
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function ownerName(owner: unknown): string {
  if (owner instanceof PhysDev) return owner.name;
  if (owner instanceof Domain) return owner.label;
  if (owner === null) return 'test';
  return '?';
}

function detailOf(o: IObj): string {
  if (o instanceof Hwpt) {
    const parts = [`ioas ${o.ioas?.label ?? '-'}`, o.autoDomain ? 'auto' : 'manual', o.domain ? o.domain.label : 'no domain'];
    if (o.onList) parts.push('on hwpt_list');
    return parts.join(', ');
  }
  if (o instanceof Idev) return `${o.dev?.name ?? '?'}, ${o.igroup?.label ?? 'no igroup'}`;
  if (o instanceof SelftestObj) return o.idev ? `idev ${o.idev.label}` : '';
  return '';
}

function view(k: Kernel): KernelView {
  const objects: ObservedObject[] = [];
  const igroups: ObservedIgroup[] = [];
  const ioas: ObservedIoas[] = [];
  // A reused id gives two objects one label: allocation order (resId), so the newest is last.
  for (const x of [...k.allObjects, ...k.allIgroups].sort((a, b) => byLabel(a.label, b.label) || a.resId - b.resId)) {
    if (x instanceof IGroup) {
      igroups.push({ label: x.label, ref: x.ref, hwpt: x.hwpt?.label ?? null, devices: x.deviceList.map((d) => d.label), freed: x.freed });
      continue;
    }
    objects.push({ label: x.label, users: x.users, shortterm: x.shortterm, life: lifeOf(x), detail: detailOf(x) });
    if (x instanceof Ioas && x.iopt) {
      ioas.push({
        label: x.label,
        hwptList: x.hwptList.map((h) => h.label),
        domains: x.iopt.domains.map((d) => d.label),
        reserved: x.iopt.reserved.map((r) => `[${hex(r.start)}..${hex(r.last)}] ${ownerName(r.owner)}`),
        freed: x.freed,
      });
    }
  }
  return { objects, igroups, ioas };
}

/** Calls `point` at every scheduling decision, then lets the replay decide. */
class ObservingScheduler implements Scheduler {
  readonly name = 'report-observer';
  constructor(
    private readonly inner: ReplayScheduler,
    private readonly point: () => void,
  ) {}
  newExecution(): boolean {
    return this.inner.newExecution();
  }
  nextThread(enabled: Int32Array, n: number): number {
    this.point();
    return this.inner.nextThread(enabled, n);
  }
  draw(bound: number): number {
    return this.inner.draw(bound);
  }
}

export async function observe(doc: ViolationDoc): Promise<Observation> {
  const s = subjectOf(doc);
  const runner = new Runner({
    profile: doc.options.profile,
    variants: doc.options.variants,
    maxSteps: doc.options.maxSteps,
    atomicity: doc.options.atomicity,
  });
  const lockClasses: Record<string, string> = {};
  const failStep = s.violation.step;
  let before: KernelView | null = null;
  const scan = () => {
    for (const t of runner.rt.threads) {
      for (const h of runner.lockdep.held(t.id)) lockClasses[h.lock.name] = runner.classes.name(h.lock.cls);
    }
  };
  const point = () => {
    scan();
    // The decision taken when steps == failStep - 1 starts the failing step: the state now is
    // the state after the step before it.
    if (runner.rt.steps === failStep - 1) before = view(runner.kernel!);
  };
  // A run that went elsewhere says nothing about the document's run: keep none of it.
  const result = (outcome: ReplayOutcome, why: string | null, at: KernelView | null): Observation =>
    outcome === 'reproduced'
      ? {
          outcome,
          why,
          edges: runner.lockdep.edges(),
          lockClasses: Object.fromEntries(Object.entries(lockClasses).sort(([a], [b]) => byLabel(a, b))),
          before,
          at,
        }
      : { outcome, why, edges: [], lockClasses: {}, before: null, at: null };
  try {
    const r = await runner.run(s.workload, new ObservingScheduler(new ReplayScheduler(s.decisions), point), true, true);
    scan();
    if (!r.violation) return result('no-violation', `the replay ended without a violation after ${r.steps} steps`, null);
    if (r.violation.kind !== s.violation.kind || r.violation.location !== s.violation.location) {
      return result('different-violation', `the replay ended in ${r.violation.kind} at ${r.violation.location}`, null);
    }
    if (JSON.stringify(r.trace) !== JSON.stringify(s.trace)) return result('different-trace', 'the replay reproduced the violation along a different trace', null);
    return result('reproduced', null, view(runner.kernel!));
  } catch (e) {
    if (e instanceof ReplayDivergence) return result('diverged', e.message, null);
    throw e;
  }
}
