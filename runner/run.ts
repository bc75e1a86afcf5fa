// One execution of a workload under a scheduler: setup, the concurrent phase, quiescence
// checks, teardown (every device released, the ctx closed) and the final leak checks.
import { EThread, Runtime, type RunEnd } from '../schedulers/runtime.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { ReplayDivergence } from '../schedulers/replay.js';
import { Lockdep, LockClasses } from '../engine/locks/lockdep.js';
import { internClasses, Kernel, type ClassIds, type MachineCoverage, type TraceEvent } from '../engine/kernel.js';
import { ViolationError, type Violation } from '../engine/violation.js';
import { profileFixes, profileFlags, type FixFlags, type ProfileName } from '../engine/profiles.js';
import type { VariantName } from '../engine/variants.js';
import type { FaultPoint } from '../engine/faults.js';
import { ctxPut } from '../engine/object-table.js';
import { checkClosed, checkQuiescent, defaultHooks } from '../properties/registry.js';
import { Coverage, DEVICE, HWPT } from '../models/index.js';
import { releaseDevices, runOps, Session, type OpRecord } from '../workload/execute.js';
import { MAX_WORKLOAD_THREADS, type Workload } from '../workload/types.js';
import { OutcomeCounter } from './outcomes.js';

export interface RunOptions {
  profile: ProfileName;
  variants: readonly VariantName[];
  /** Livelock bound: steps per execution. */
  maxSteps: number;
  /** Check I9/I13 on operations that ran without interleaving. */
  atomicity: boolean;
  /** Z6: one lockdep class for all destroy_rwsem. */
  singleRwsemClass?: boolean;
  /** Override single fixes of the profile (tests and docs use it to show one finding alone). */
  fixes?: Partial<FixFlags>;
  /** Lock-release and quiescence invariant checks (default on; the bench turns them off to price them). */
  invariants?: boolean;
}

export interface RunResult {
  violation: Violation | null;
  steps: number;
  decisions: number[] | null;
  /** Per pick, the enabled threads as a bitmask (recorded runs only). */
  enabledSets: number[] | null;
  trace: TraceEvent[];
  ops: OpRecord[];
  /** Steps each thread took, per phase (setup, threads, teardown): the bench replays these counts. */
  threadSteps: number[][];
}

export const DEFAULT_MAX_STEPS = 20_000;

/** Reusable across executions: the runtime, lockdep and coverage persist, the kernel does not. */
export class Runner {
  readonly rt: Runtime;
  readonly classes = new LockClasses();
  readonly lockdep: Lockdep;
  readonly cls: ClassIds;
  readonly coverage: MachineCoverage = { device: new Coverage(DEVICE), hwpt: new Coverage(HWPT) };
  /** Outcomes of the operations of unrecorded runs: a campaign's schedules, not its re-runs of a violation. */
  readonly outcomes = new OutcomeCounter();
  /** The kernel of the current (or last) run: the report's observer reads its objects between steps. */
  kernel: Kernel | null = null;
  private readonly flags;
  private readonly fixes;

  constructor(readonly opts: RunOptions) {
    this.rt = new Runtime({ name: 'none', newExecution: () => true, nextThread: () => 0, draw: () => 0 }, opts.maxSteps);
    this.lockdep = new Lockdep(this.classes, MAX_WORKLOAD_THREADS);
    // Z6 is a lockdep configuration: one class for every destroy_rwsem.
    this.cls = internClasses(this.classes, opts.singleRwsemClass || opts.variants.includes('single-rwsem-class'));
    this.flags = profileFlags(opts.profile, opts.variants);
    this.fixes = { ...profileFixes(opts.profile), ...opts.fixes };
  }

  async run(wl: Workload, scheduler: Scheduler, record: boolean, tracing = record): Promise<RunResult> {
    const rt = this.rt;
    rt.reset();
    rt.scheduler = scheduler;
    rt.maxSteps = this.opts.maxSteps;
    rt.decisions = record ? [] : null;
    rt.enabledSets = record ? [] : null;
    this.lockdep.reset();
    const k = new Kernel(rt, this.lockdep, this.cls, wl.topology, {
      flags: this.flags,
      fixes: this.fixes,
      faultDen: wl.faultDen,
      faultPoints: wl.faultPoints ? new Set(wl.faultPoints as FaultPoint[]) : undefined,
      tracing,
    }, this.coverage);
    this.kernel = k;
    const checks = this.opts.invariants !== false;
    k.props = checks ? defaultHooks : null;
    const s = new Session(k, this.opts.atomicity, tracing, record ? null : this.outcomes);
    s.declareNames(wl);
    let violation: Violation | null = null;
    const threadSteps: number[][] = [];
    const phaseDone = () => threadSteps.push(rt.threads.map((t) => t.steps));
    const result = (): RunResult => ({
      violation,
      steps: rt.steps,
      decisions: rt.decisions,
      enabledSets: rt.enabledSets,
      trace: k.trace,
      ops: s.log ?? [],
      threadSteps,
    });

    // Setup: sequential, before any thread starts.
    rt.beginPhase();
    rt.spawn('setup', (t) => runOps(s, t, wl.setup));
    violation = this.verdict(k, await rt.run());
    phaseDone();
    if (violation) return result();

    rt.beginPhase();
    wl.threads.forEach((ops, i) => rt.spawn(`T${i}`, (t) => runOps(s, t, ops)));
    violation = this.verdict(k, await rt.run());
    phaseDone();
    if (violation) return result();

    if (checks) violation = this.check(k, () => checkQuiescent(k, new EThread(-1, 'quiescence')));
    if (violation) return result();

    rt.beginPhase();
    rt.spawn('teardown', async (t) => {
      await releaseDevices(s, t);
      t.op = 'close';
      await ctxPut(k, t);
      checkClosed(k, t);
    });
    violation = this.verdict(k, await rt.run());
    phaseDone();
    return result();
  }

  private check(k: Kernel, f: () => void): Violation | null {
    try {
      f();
      return null;
    } catch (e) {
      if (e instanceof ViolationError) return e.violation;
      throw e;
    }
  }

  private verdict(k: Kernel, end: RunEnd): Violation | null {
    switch (end.kind) {
      case 'done':
        return null;
      case 'stopped': {
        const r = end.reason;
        if (r instanceof ViolationError) return r.violation;
        if (r instanceof ReplayDivergence) throw r;
        const err = r instanceof Error ? r : new Error(String(r));
        return {
          kind: 'internal',
          location: 'model',
          message: `internal error in the model: ${err.message}`,
          thread: k.rt.currentThread,
          threadName: k.rt.threads[k.rt.currentThread]?.name ?? '?',
          step: end.steps,
          details: err.stack,
        };
      }
      case 'step-bound':
        return {
          kind: 'livelock',
          location: 'step-bound',
          message: `no progress: the run exceeded its bound of ${end.bound} steps`,
          thread: -1,
          threadName: '-',
          step: end.steps,
        };
      case 'deadlock': {
        const lines = end.waits.map((w) => {
          const held = this.lockdep.held(w.thread).map((h) => `${h.lock.name}${h.mode ? '' : '(read)'}`);
          const by = w.holders.map((h) => k.rt.threads[h]?.name ?? `#${h}`).join(', ') || 'nobody';
          return `${w.threadName} in ${w.op || '?'} waits for ${w.waitsFor} (${w.mode}) held by ${by}; holds [${held.join(', ')}]`;
        });
        const cyc = end.cycle.map((id) => k.rt.threads[id]?.name ?? `#${id}`);
        const first = end.waits[0];
        return {
          kind: 'deadlock',
          invariant: 'I11',
          location: end.waits.map((w) => w.waitsFor.replace(/#\d+/g, '')).sort().join('+'),
          message: `deadlock: no thread can run${cyc.length ? ` (wait-for cycle ${cyc.join(' -> ')} -> ${cyc[0]})` : ''}\n  ${lines.join('\n  ')}`,
          thread: first?.thread ?? -1,
          threadName: first?.threadName ?? '-',
          step: end.steps,
          details: { waits: end.waits, cycle: end.cycle },
        };
      }
    }
  }
}
