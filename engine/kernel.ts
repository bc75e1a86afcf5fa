// The emulated iommufd context and everything a kernel function needs: locks, lockdep,
// refcount_t semantics, poison checks, failure points, lifecycle-machine events, tracing.
import type { EThread, Runtime } from '../schedulers/runtime.js';
import { KMutex } from './locks/kmutex.js';
import { RwSem } from './locks/rwsem.js';
import type { LockClasses, Lockdep, LockdepReport } from './locks/lockdep.js';
import type { LockEnv, Poisonable } from './locks/env.js';
import { ViolationError, type Violation, type ViolationKind } from './violation.js';
import { FAULT_POINTS, type FaultPoint } from './faults.js';
import type { ErrnoName } from './errno.js';
import { KErr } from './errno.js';
import type { VariantFlags } from './variants.js';
import type { FixFlags } from './profiles.js';
import type { IommuSpec, Topology } from './topology.js';
import { RES } from './resources.js';
import {
  Domain,
  Hwpt,
  IGroup,
  IObj,
  IommuGroup,
  Ioas,
  Iopt,
  OBJ_TYPE_NAMES,
  PhysDev,
  type ObjTypeId,
} from './objects.js';
import { DEVICE, HWPT, type CompiledMachine, type Coverage } from '../models/index.js';

export interface TraceEvent {
  step: number;
  thread: number;
  /** Thread name: ids are reused by each phase (setup, T0.., teardown). */
  name: string;
  text: string;
}

/** Checks the properties layer runs at the points the spec names (lock releases, quiescence). */
export interface PropertyHooks {
  igroupUnlocked(k: Kernel, t: EThread, g: IGroup): void;
  ioasUnlocked(k: Kernel, t: EThread, ioas: Ioas): void;
}

export interface KernelConfig {
  flags: VariantFlags;
  fixes: FixFlags;
  /** Fault probability denominator: each failure point fails with probability 1/faultDen; 0 = never. */
  faultDen: number;
  /** Points allowed to fail (all when undefined). */
  faultPoints?: ReadonlySet<FaultPoint>;
  tracing: boolean;
  /** Z6: one lockdep class for every destroy_rwsem instead of one per object type. */
  singleRwsemClass?: boolean;
}

export interface MachineCoverage {
  device: Coverage;
  hwpt: Coverage;
}

/** Lock classes, interned once per LockClasses registry. */
export interface ClassIds {
  rwsem: number[];
  ioasMutex: number;
  igroupLock: number;
  groupMutex: number;
  domainsRwsem: number;
  iovaRwsem: number;
}

export function internClasses(classes: LockClasses, singleRwsemClass = false): ClassIds {
  const rwsem: number[] = [];
  for (const [k, n] of Object.entries(OBJ_TYPE_NAMES)) {
    rwsem[Number(k)] = classes.intern(singleRwsemClass ? 'iommufd_object::destroy_rwsem' : `iommufd_object::destroy_rwsem:${n}`);
  }
  return {
    rwsem,
    ioasMutex: classes.intern('&ioas->mutex'),
    igroupLock: classes.intern('&igroup->lock'),
    groupMutex: classes.intern('&group->mutex'),
    domainsRwsem: classes.intern('&iopt->domains_rwsem'),
    iovaRwsem: classes.intern('&iopt->iova_rwsem'),
  };
}

export class Kernel implements LockEnv {
  readonly tracing: boolean;
  readonly trace: TraceEvent[] = [];
  readonly flags: VariantFlags;
  readonly fixes: FixFlags;
  /** ctx->objects: index = id; an entry is reserved or published according to obj.published. */
  readonly objects: Array<IObj | null> = [null];
  /** ctx->groups: iommu_group id -> iommufd_group */
  readonly groups = new Map<number, IGroup>();
  readonly iommuGroups: IommuGroup[] = [];
  readonly devices: PhysDev[] = [];
  /** Every igroup ever made, to check freed ones and leaks. */
  readonly allIgroups: IGroup[] = [];
  readonly allDomains: Domain[] = [];
  readonly allObjects: IObj[] = [];
  /** Every IOAS ever allocated (the I5 check walks their reservations). */
  readonly allIoas: Ioas[] = [];
  /** Number of IOAS allocated so far (indexes topology.ioas). */
  ioasCount = 0;
  warnings: string[] = [];
  /** References on the ctx's file: the open fd, plus one per bound real (non-mock) device. */
  fileRefs = 1;
  /** The last file reference went inside the kernel: the release waits for the call to return. */
  releasePending = false;
  /** Lifecycle-machine refusals recorded instead of failing (softWarnings mode). */
  refusals: string[] = [];
  /** Record WARNs and lifecycle-machine refusals instead of ending the run (the check command). */
  softWarnings = false;
  closed = false;
  props: PropertyHooks | null = null;
  private uid = 0;
  private res: number = RES.DYNAMIC;
  private readonly faultDen: number;
  private readonly faultPoints: ReadonlySet<FaultPoint> | undefined;

  constructor(
    readonly rt: Runtime,
    readonly lockdep: Lockdep,
    readonly cls: ClassIds,
    readonly topo: Topology,
    cfg: KernelConfig,
    readonly coverage: MachineCoverage | null,
  ) {
    this.tracing = cfg.tracing;
    this.flags = cfg.flags;
    this.fixes = cfg.fixes;
    this.faultDen = cfg.faultDen;
    this.faultPoints = cfg.faultPoints;
    topo.groups.forEach((g, gi) => {
      const iommu = topo.iommus[g.iommu] ?? { enforceCC: false, isolatedMsi: true };
      const grp: IommuGroup = new IommuGroup(gi, g.iommu, iommu.isolatedMsi, null as unknown as KMutex);
      grp.resId = this.newRes();
      (grp as { mutex: KMutex }).mutex = new KMutex(`group#${gi}->mutex`, cls.groupMutex, grp, this.newRes());
      this.iommuGroups.push(grp);
      g.devices.forEach((spec, di) => {
        const d = new PhysDev(this.nextUid(), `dev${this.devices.length}(g${gi}.${di})`, grp, spec, false);
        grp.devices.push(d);
        this.devices.push(d);
        this.coverage?.device.visit(d.mstate);
      });
    });
  }

  /** The mock driver of the selftest is one more iommu after the topology's. */
  iommuSpec(i: number): IommuSpec {
    return this.topo.iommus[i] ?? { enforceCC: false, isolatedMsi: true };
  }

  get mockIommu(): number {
    return this.topo.iommus.length;
  }

  nextUid(): number {
    return ++this.uid;
  }

  /** A fresh resource id for the explorer's dependency relation (engine/resources.ts). */
  newRes(): number {
    return this.res++;
  }

  // ---- LockEnv -------------------------------------------------------------------------

  checkAlive(t: EThread, home: Poisonable | null, what: string, write = true): void {
    if (home === null) return;
    this.rt.access(home.resId, write);
    if (home.freed) {
      this.fail(t, 'use-after-free', what, `use-after-free: ${what} on ${home.label}, which was already freed`, 'I8');
    }
  }

  lockdepReport(t: EThread, r: LockdepReport): never {
    this.fail(t, r.kind === 'circular' ? 'lockdep-circular' : 'lockdep-recursive', `${r.acquiring.cls}`, r.message, 'I11', r);
  }

  assertFail(t: EThread, location: string, message: string): never {
    this.fail(t, 'assert', location, message);
  }

  traceLock(t: EThread, what: string, lock: string): void {
    if (this.tracing) this.note(t, `${what} ${lock}`);
  }

  // ---- reporting -----------------------------------------------------------------------

  fail(t: EThread, kind: ViolationKind, location: string, message: string, invariant?: string, details?: unknown): never {
    const v: Violation = {
      kind,
      location,
      message,
      thread: t.id,
      threadName: t.name,
      step: this.rt.steps,
      ...(invariant ? { invariant } : {}),
      ...(details !== undefined ? { details } : {}),
    };
    const err = new ViolationError(v);
    this.rt.stop(err);
    throw err;
  }

  /**
   * WARN_ON(): the kernel complains and goes on. For the tester any WARN is a finding and ends
   * the run, unless `softWarnings` is set (sequential scenarios, where a step may expect the
   * kernel to WARN): then it is recorded and the caller continues as the kernel does.
   */
  warn(t: EThread, location: string, message: string, invariant?: string): void {
    this.warnings.push(`${location}: ${message}`);
    if (!this.softWarnings) this.fail(t, 'warn', location, `WARNING in ${location}: ${message}`, invariant);
  }

  note(t: EThread, text: string): void {
    if (this.tracing) this.trace.push({ step: this.rt.steps, thread: t.id, name: t.name, text });
  }

  /** A step writes ctx->objects (store, erase) or ctx->groups. */
  xaObjectsWrite(): void {
    this.rt.access(RES.XA_OBJECTS, true);
  }

  xaGroups(write: boolean): void {
    this.rt.access(RES.XA_GROUPS, write);
  }

  /** A scheduling point before an access to shared state. */
  sched(t: EThread): Promise<void> {
    return this.rt.point(t);
  }

  /** A failure point armed to fail the next time it is reached (a scenario step's `inject`). */
  injectOnce: FaultPoint | null = null;

  /** Does this failure point fail now? A scheduler draw when faults are on. */
  shouldFail(t: EThread, p: FaultPoint): boolean {
    if (this.injectOnce === p) {
      this.injectOnce = null;
      if (this.tracing) this.note(t, `FAULT ${p} -> ${FAULT_POINTS[p]} (injected)`);
      return true;
    }
    if (this.faultDen === 0) return false;
    if (this.faultPoints !== undefined && !this.faultPoints.has(p)) return false;
    const failed = this.rt.draw(this.faultDen) === 0;
    if (failed) this.note(t, `FAULT ${p} -> ${FAULT_POINTS[p]}`);
    return failed;
  }

  injected(t: EThread, p: FaultPoint): KErr {
    return new KErr(FAULT_POINTS[p] as ErrnoName);
  }

  // ---- refcount_t ----------------------------------------------------------------------

  refInc(t: EThread, o: IObj, why: string): void {
    this.checkAlive(t, o, 'refcount_inc');
    if (o.users === 0) this.fail(t, 'refcount', why, `refcount_t: addition on 0; use-after-free (${o.label}, ${why})`, 'I1');
    o.users++;
    if (this.tracing) this.note(t, `${o.label}.users ${o.users - 1} -> ${o.users} (${why})`);
  }

  refDec(t: EThread, o: IObj, why: string): void {
    this.checkAlive(t, o, 'refcount_dec');
    if (o.users <= 1) {
      this.fail(
        t,
        'refcount',
        why,
        o.users === 1
          ? `refcount_t: decrement hit 0; leaking memory (${o.label}, ${why})`
          : `refcount_t: underflow; use-after-free (${o.label}, ${why})`,
        'I1',
      );
    }
    o.users--;
    if (this.tracing) this.note(t, `${o.label}.users ${o.users + 1} -> ${o.users} (${why})`);
  }

  refAdd(t: EThread, o: IObj, n: number, why: string): void {
    this.checkAlive(t, o, 'refcount_add');
    if (o.users === 0) this.fail(t, 'refcount', why, `refcount_t: addition on 0; use-after-free (${o.label}, ${why})`, 'I1');
    o.users += n;
    if (this.tracing) this.note(t, `${o.label}.users ${o.users - n} -> ${o.users} (${why})`);
  }

  /** refcount_sub_and_test: true when it reached 0. */
  refSubAndTest(t: EThread, o: IObj, n: number, why: string): boolean {
    this.checkAlive(t, o, 'refcount_sub_and_test');
    if (o.users < n) this.fail(t, 'refcount', why, `refcount_t: underflow; use-after-free (${o.label}, ${why})`, 'I1');
    o.users -= n;
    if (this.tracing) this.note(t, `${o.label}.users ${o.users + n} -> ${o.users} (${why})`);
    return o.users === 0;
  }

  // ---- object table --------------------------------------------------------------------

  /** xa_alloc(XA_FLAGS_ALLOC1): the lowest free id starting at 1. */
  allocId(o: IObj): number {
    this.rt.access(RES.XA_OBJECTS, true);
    let id = 1;
    while (id < this.objects.length && this.objects[id] !== null) id++;
    this.objects[id] = o;
    return id;
  }

  load(id: number): IObj | null {
    this.rt.access(RES.XA_OBJECTS, false);
    if (!Number.isInteger(id) || id <= 0 || id >= this.objects.length) return null;
    const o = this.objects[id] ?? null;
    return o !== null && o.published ? o : null;
  }

  newRwsem(o: IObj, type: ObjTypeId): RwSem {
    return new RwSem(`${OBJ_TYPE_NAMES[type]}#${o.id}->destroy_rwsem`, this.cls.rwsem[type]!, o, this.newRes());
  }

  newIoasParts(ioas: Ioas): void {
    ioas.mutex = new KMutex(`ioas#${ioas.id}->mutex`, this.cls.ioasMutex, ioas, this.newRes());
    ioas.iopt = new Iopt(
      new RwSem(`ioas#${ioas.id}->iopt.domains_rwsem`, this.cls.domainsRwsem, ioas, this.newRes()),
      new RwSem(`ioas#${ioas.id}->iopt.iova_rwsem`, this.cls.iovaRwsem, ioas, this.newRes()),
    );
  }

  newIgroup(group: IommuGroup): IGroup {
    const g = new IGroup(this.nextUid(), group);
    g.resId = this.newRes();
    g.lock = new KMutex(`igroup#${g.uid}->lock`, this.cls.igroupLock, g, this.newRes());
    this.allIgroups.push(g);
    return g;
  }

  // ---- lifecycle machines --------------------------------------------------------------

  private machineEvent(
    t: EThread,
    m: CompiledMachine,
    cov: Coverage | undefined,
    from: number,
    ev: number,
    what: string,
  ): number {
    const to = m.table[from * m.events.length + ev]!;
    if (to < 0 && this.softWarnings) {
      this.refusals.push(`${m.id} machine refused ${m.events[ev]} in state ${m.states[from]} (${what})`);
      return from;
    }
    if (to < 0) {
      this.fail(
        t,
        'model',
        `${m.id}:${m.states[from]}:${m.events[ev]}`,
        `${m.id} machine refused ${m.events[ev]} in state ${m.states[from]} (${what})`,
      );
    }
    if (cov) cov.take(from, ev, to);
    if (this.tracing) this.note(t, `[${m.id} ${what}] ${m.states[from]} --${m.events[ev]}--> ${m.states[to]}`);
    return to;
  }

  devEvent(t: EThread, d: PhysDev, ev: number): void {
    d.mstate = this.machineEvent(t, DEVICE, this.coverage?.device, d.mstate, ev, d.name);
  }

  hwptEvent(t: EThread, h: Hwpt, ev: number): void {
    h.mstate = this.machineEvent(t, HWPT, this.coverage?.hwpt, h.mstate, ev, h.label);
  }
}
