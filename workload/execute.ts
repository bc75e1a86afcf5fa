// Runs a thread's operation list against the emulated kernel, as userspace (ioctls) and as
// the kernel driver that owns each topology device (kAPI calls, serialised per device).
import type { EThread } from '../schedulers/runtime.js';
import { KErr, type OpResult } from '../engine/errno.js';
import type { Kernel } from '../engine/kernel.js';
import { Hwpt, type Idev } from '../engine/objects.js';
import { iommufdDestroy, runPendingRelease } from '../engine/object-table.js';
import { ioasAllocIoctl } from '../engine/ioas.js';
import { hwptAllocIoctl } from '../engine/hw-pagetable.js';
import { deviceAttach, deviceBind, deviceDetach, deviceReplace, deviceUnbind, type PtId } from '../engine/device.js';
import { mockDomain, mockDomainReplace } from '../engine/selftest.js';
import { fingerprint, replaceMovedGroup, stateHash } from '../properties/registry.js';
import { describeOp, type Op, type Ref, type Workload } from './types.js';
import type { OutcomeCounter } from '../runner/outcomes.js';

/** The driver's view of one topology device: what the kAPI caller believes. */
export interface DeviceView {
  idev: Idev | null;
  attached: boolean;
}

export interface OpRecord {
  thread: string;
  op: string;
  result: OpResult | 'skipped';
}

/** State shared by the threads of one run: the name table and the drivers' device views. */
export class Session {
  readonly names = new Map<string, number>();
  readonly views: DeviceView[];
  readonly log: OpRecord[] | null;
  constructor(
    readonly k: Kernel,
    readonly atomicity: boolean,
    logOps: boolean,
    /** The campaign's outcome counts (runner/outcomes.ts), or null when this run is not counted. */
    readonly outcomes: OutcomeCounter | null = null,
  ) {
    this.views = k.devices.map(() => ({ idev: null, attached: false }));
    this.log = logOps ? [] : null;
  }

  /**
   * Resource ids of the names some operation reads. A name is userspace memory: one thread
   * stores the id an ioctl returned, another passes it to the kernel, and that is a dependency
   * the explorer must see (a read of the name against its store). Ids are handed out when the
   * workload is declared, before any step, so every execution gives a name the same id
   * (engine/resources.ts); a name nobody reads needs none.
   */
  private readonly nameRes = new Map<string, number>();

  /** Give each name the workload's operations read a resource id (Runner.run, before the first phase). */
  declareNames(wl: Workload): void {
    // Only an exploring scheduler (one with stepDone) collects accesses: the others need no ids.
    if (this.k.rt.scheduler.stepDone === undefined) return;
    for (const ops of [wl.setup, ...wl.threads]) {
      for (const op of ops) {
        for (const r of refsOf(op)) if (typeof r === 'string' && !this.nameRes.has(r)) this.nameRes.set(r, this.k.newRes());
      }
    }
  }

  resolve(r: Ref): number {
    if (typeof r === 'number') return r;
    if (this.nameRes.size !== 0) {
      const res = this.nameRes.get(r);
      if (res !== undefined) this.k.rt.access(res, false);
    }
    return this.names.get(r) ?? 0;
  }

  /** Userspace stores the id an ioctl returned under `name`. */
  bind(name: string, id: number): void {
    if (this.nameRes.size !== 0) {
      const res = this.nameRes.get(name);
      if (res !== undefined) this.k.rt.access(res, true);
    }
    this.names.set(name, id);
  }
}

/** The names an operation reads. */
function refsOf(op: Op): Ref[] {
  switch (op.op) {
    case 'hwpt_alloc':
      return [op.dev, op.pt];
    case 'destroy':
      return [op.id];
    case 'mock_domain':
      return [op.pt];
    case 'mock_replace':
      return [op.dev, op.pt];
    case 'attach':
    case 'replace':
      return [op.pt];
    default:
      return [];
  }
}

const ATOMIC_OPS = new Set(['attach', 'replace', 'hwpt_alloc', 'bind']);

export async function runOps(s: Session, t: EThread, ops: readonly Op[]): Promise<void> {
  for (let i = 0; i < ops.length; i++) {
    t.opIndex = i;
    await runOp(s, t, ops[i]!);
  }
}

export async function runOp(s: Session, t: EThread, op: Op): Promise<OpResult | 'skipped'> {
  const k = s.k;
  const desc = k.tracing || s.log ? describeOp(op) : '';
  t.op = op.op;
  if (k.tracing) k.note(t, `>> ${desc}`);
  const solo = s.atomicity && ATOMIC_OPS.has(op.op);
  const before = solo ? stateHash(k) : 0;
  const beforeText = solo && k.tracing ? fingerprint(k) : '';
  const s0 = k.rt.steps;
  const t0 = t.steps;
  let r: OpResult | 'skipped';
  try {
    r = await execOp(s, t, op);
  } catch (e) {
    if (!(e instanceof KErr)) throw e;
    r = e.errno;
  }
  if (solo && r !== 'ok' && r !== 'skipped' && k.rt.steps - s0 === t.steps - t0) {
    if (stateHash(k) !== before) {
      const diff = beforeText ? `\n  before: ${beforeText}\n  after:  ${fingerprint(k)}` : `\n  after: ${fingerprint(k)}`;
      k.fail(t, 'invariant', `I9:${op.op}`, `I9 (failure atomicity) violated: ${op.op} failed with ${r} but changed the state${diff}`, 'I9');
    }
  }
  await runPendingRelease(k, t);
  if (k.tracing) k.note(t, `<< ${desc} = ${r}`);
  if (s.log) s.log.push({ thread: t.name, op: desc, result: r });
  if (s.outcomes) s.outcomes.add(op.op, r);
  t.op = '';
  return r;
}

async function execOp(s: Session, t: EThread, op: Op): Promise<OpResult | 'skipped'> {
  const k = s.k;
  switch (op.op) {
    case 'ioas_alloc': {
      const ioas = await ioasAllocIoctl(k, t);
      s.bind(op.as, ioas.id);
      return 'ok';
    }
    case 'hwpt_alloc': {
      const h = await hwptAllocIoctl(k, t, { flags: op.flags, devId: s.resolve(op.dev), ptId: s.resolve(op.pt) });
      s.bind(op.as, h.id);
      return 'ok';
    }
    case 'destroy':
      await iommufdDestroy(k, t, s.resolve(op.id));
      return 'ok';
    case 'mock_domain': {
      const r = await mockDomain(k, t, s.resolve(op.pt));
      s.bind(`${op.as}.stdev`, r.stdevId);
      s.bind(`${op.as}.idev`, r.idevId);
      s.bind(`${op.as}.hwpt`, r.hwptId);
      return 'ok';
    }
    case 'mock_replace': {
      const id = await mockDomainReplace(k, t, s.resolve(op.dev), s.resolve(op.pt));
      if (op.out) s.bind(op.out, id);
      return 'ok';
    }
    case 'bind': {
      const v = s.views[op.dev];
      if (!v || v.idev) return 'skipped';
      v.idev = await deviceBind(k, t, k.devices[op.dev]!);
      s.bind(`dev${op.dev}.idev`, v.idev.id);
      return 'ok';
    }
    case 'attach': {
      const v = s.views[op.dev];
      if (!v || !v.idev || v.attached) return 'skipped';
      const pt: PtId = { value: s.resolve(op.pt) };
      await deviceAttach(k, t, v.idev, pt);
      v.attached = true;
      s.bind(op.out ?? `dev${op.dev}.pt`, pt.value);
      return 'ok';
    }
    case 'replace': {
      // Replace of a bound but unattached device breaks the caller contract; the kernel
      // defends against it since 55c85fa7579d (Z4), so the generator may issue it.
      const v = s.views[op.dev];
      if (!v || !v.idev) return 'skipped';
      const pt: PtId = { value: s.resolve(op.pt) };
      const solo0 = k.rt.steps - t.steps;
      await deviceReplace(k, t, v.idev, pt);
      v.attached = true;
      s.bind(op.out ?? `dev${op.dev}.pt`, pt.value);
      if (s.atomicity && k.rt.steps - t.steps === solo0) checkReplaceMoved(s, t, v.idev);
      return 'ok';
    }
    case 'detach': {
      const v = s.views[op.dev];
      if (!v || !v.idev || !v.attached) return 'skipped';
      v.attached = false;
      await deviceDetach(k, t, v.idev);
      return 'ok';
    }
    case 'unbind': {
      const v = s.views[op.dev];
      // Unbinding an attached device breaks the caller contract: only Z10 issues it.
      if (!v || !v.idev || (v.attached && !s.k.flags.unbindWhileAttached)) return 'skipped';
      const idev = v.idev;
      v.idev = null;
      await deviceUnbind(k, t, idev);
      return 'ok';
    }
  }
}

/** I13 after a replace no other thread interleaved with. */
function checkReplaceMoved(s: Session, t: EThread, idev: Idev): void {
  const g = idev.igroup;
  const h = g.hwpt;
  if (!(h instanceof Hwpt)) {
    s.k.fail(t, 'invariant', 'I13:replace', `I13 violated: ${g.label} has no HWPT after a successful replace`, 'I13');
  }
  const why = replaceMovedGroup(s.k, h, g.deviceList.length);
  if (why) s.k.fail(t, 'invariant', 'I13:replace', `I13 (replace moves the whole group) violated: ${why}`, 'I13');
}

/** Teardown as a driver would: detach and unbind every device it holds. */
export async function releaseDevices(s: Session, t: EThread): Promise<void> {
  for (let d = 0; d < s.views.length; d++) {
    const v = s.views[d]!;
    if (v.idev && v.attached) await runOp(s, t, { op: 'detach', dev: d });
    if (v.idev) await runOp(s, t, { op: 'unbind', dev: d });
  }
}
