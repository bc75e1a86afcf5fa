// Controlled interleaving by baton passing: exactly one emulated thread runs between
// scheduling points. A thread reaching a point parks on its own promise and picks the
// next thread synchronously; no scheduler coroutine, no timers, no polling.
import type { Scheduler } from './scheduler.js';

/** Something a thread can wait for: the runtime asks it whether the wait is over. */
export interface Waitable {
  readonly name: string;
  /** Could thread `t` acquire this in `mode` (0 shared, 1 exclusive) right now? */
  canAcquire(mode: number, t: EThread): boolean;
  /** Ids of the threads currently holding it. */
  holderIds(): number[];
}

export class EThread {
  /** Pending wait: the thread is enabled only when waitLock.canAcquire(waitMode). */
  waitLock: Waitable | null = null;
  waitMode = 0;
  resume: (() => void) | null = null;
  done = false;
  /** Operation in progress, for reports. */
  op = '';
  /** Index of that operation in the thread's list (the minimiser projects schedules with it). */
  opIndex = 0;
  /** Steps this thread has executed. */
  steps = 0;
  constructor(
    readonly id: number,
    readonly name: string,
    /** The runtime epoch it belongs to: a thread of an abandoned run must never touch a later one. */
    readonly epoch = 0,
  ) {}
}

export interface WaitEdge {
  thread: number;
  threadName: string;
  op: string;
  waitsFor: string;
  mode: 'read' | 'write';
  holders: number[];
}

export type RunEnd =
  | { kind: 'done'; steps: number }
  | { kind: 'deadlock'; steps: number; waits: WaitEdge[]; cycle: number[] }
  | { kind: 'step-bound'; steps: number; bound: number }
  | { kind: 'stopped'; steps: number; reason: unknown };

/** Thrown inside an emulated thread to unwind it once the run has been stopped. */
export class StopRun extends Error {
  constructor() {
    super('run stopped');
  }
}

export type StepHook = (thread: number, step: number) => void;

export class Runtime {
  readonly threads: EThread[] = [];
  steps = 0;
  /** Decision log (picks as thread ids, draws as -(v+1)), or null when not recording. */
  decisions: number[] | null = null;
  /**
   * With `decisions`: per pick, the threads that were enabled, as a bitmask (bit i: thread i), so
   * that a replay that diverges can show the recorded set beside the current one.
   */
  enabledSets: number[] | null = null;
  onStep: StepHook | null = null;
  /**
   * Accesses of the step in progress (resource ids, a write as ~id), collected only when the
   * scheduler wants them (it has stepDone): the code between two points reports what it
   * touches through access().
   */
  private accesses: number[] | null = null;
  private accessStep = -1;
  private accessThread = -1;
  private enabled = new Int32Array(8);
  private end: RunEnd | null = null;
  private finish: ((e: RunEnd) => void) | null = null;
  private current = -1;
  private epoch = 0;
  /** The thread parking at the point being created (read by the shared executor below). */
  private parking: EThread | null = null;
  /** One executor for every point: no closure allocated per step. */
  private readonly park = (res: () => void): void => {
    const t = this.parking!;
    this.parking = null;
    t.resume = res;
    this.dispatch();
  };

  constructor(
    public scheduler: Scheduler,
    public maxSteps = 100_000,
  ) {}

  get stopped(): boolean {
    return this.end !== null;
  }

  get currentThread(): number {
    return this.current;
  }

  /** Forget all threads: the runtime is reused across runs to stay allocation-light. */
  reset(): void {
    this.epoch++;
    this.accesses = null;
    this.accessStep = -1;
    this.threads.length = 0;
    this.steps = 0;
    this.end = null;
    this.finish = null;
    this.current = -1;
    if (this.decisions) this.decisions = [];
    if (this.enabledSets) this.enabledSets = [];
  }

  /** Start another phase of the same run (setup, concurrent, teardown): new threads, same step count and log. */
  beginPhase(): void {
    this.epoch++;
    this.threads.length = 0;
    this.end = null;
    this.finish = null;
    this.current = -1;
  }

  /** Add a thread, parked at its first scheduling point. */
  spawn(name: string, body: (t: EThread) => Promise<void>): EThread {
    const t = new EThread(this.threads.length, name, this.epoch);
    this.threads.push(t);
    if (this.enabled.length < this.threads.length) this.enabled = new Int32Array(this.threads.length * 2);
    new Promise<void>((res) => {
      t.resume = res;
    })
      .then(() => body(t))
      .then(
        () => {
          t.done = true;
          t.op = '';
          if (t.epoch !== this.epoch) return;
          // The next decision is taken here; a scheduler that throws (a replay that no longer
          // fits) must end the run rather than become an unhandled rejection.
          try {
            this.dispatch();
          } catch (err) {
            this.stop(err);
          }
        },
        (err: unknown) => {
          t.done = true;
          if (t.epoch === this.epoch && !(err instanceof StopRun)) this.stop(err);
        },
      );
    return t;
  }

  /** Run the spawned threads to completion, deadlock, step bound or stop. */
  run(): Promise<RunEnd> {
    const p = new Promise<RunEnd>((res) => {
      this.finish = res;
    });
    try {
      this.dispatch();
    } catch (err) {
      this.stop(err);
    }
    return p;
  }

  /** A plain scheduling point: any thread may run next. */
  point(t: EThread): Promise<void> {
    if (this.end !== null || t.epoch !== this.epoch) return Promise.reject(new StopRun());
    this.parking = t;
    return new Promise<void>(this.park);
  }

  /** A blocking point: t is enabled only once `w.canAcquire(mode)`. On return it can acquire at once. */
  waitFor(t: EThread, w: Waitable, mode: number): Promise<void> {
    if (this.end !== null || t.epoch !== this.epoch) return Promise.reject(new StopRun());
    t.waitLock = w;
    t.waitMode = mode;
    this.parking = t;
    return new Promise<void>(this.park);
  }

  /** The step in progress read (write=false) or wrote resource `id` (>= 0). */
  access(id: number, write: boolean): void {
    if (this.accesses !== null) this.accesses.push(write ? ~id : id);
  }

  /** Nondeterministic choice in [0, bound), owned by the scheduler and recorded for replay. */
  draw(bound: number): number {
    const v = this.scheduler.draw(bound);
    if (this.decisions) this.decisions.push(-(v + 1));
    return v;
  }

  /** End the run now (a violation, an internal error). Parked threads are abandoned. */
  stop(reason: unknown): void {
    if (this.end !== null) return;
    this.conclude({ kind: 'stopped', steps: this.steps, reason });
  }

  private conclude(e: RunEnd): void {
    this.end = e;
    const f = this.finish;
    this.finish = null;
    if (f) f(e);
  }

  private dispatch(): void {
    if (this.end !== null) return;
    if (this.accesses !== null && this.accessStep >= 0) {
      this.scheduler.stepDone!(this.accessThread, this.accessStep, this.accesses);
      this.accesses.length = 0;
      this.accessStep = -1;
    }
    const threads = this.threads;
    const buf = this.enabled;
    let n = 0;
    let live = 0;
    for (let i = 0; i < threads.length; i++) {
      const t = threads[i]!;
      if (t.done) continue;
      live++;
      if (t.resume !== null && (t.waitLock === null || t.waitLock.canAcquire(t.waitMode, t))) buf[n++] = i;
    }
    if (live === 0) {
      this.conclude({ kind: 'done', steps: this.steps });
      return;
    }
    if (n === 0) {
      this.conclude(this.deadlock());
      return;
    }
    if (this.steps >= this.maxSteps) {
      this.conclude({ kind: 'step-bound', steps: this.steps, bound: this.maxSteps });
      return;
    }
    const pick = this.scheduler.nextThread(buf, n, this.current);
    if (this.decisions) {
      this.decisions.push(pick);
      if (this.enabledSets) {
        let mask = 0;
        for (let i = 0; i < n; i++) mask |= 1 << buf[i]!;
        this.enabledSets.push(mask);
      }
    }
    const t = threads[pick]!;
    const step = this.steps++;
    if (this.scheduler.stepDone !== undefined) {
      if (this.accesses === null) this.accesses = [];
      this.accessStep = step;
      this.accessThread = pick;
    }
    t.steps++;
    this.current = pick;
    t.waitLock = null;
    const r = t.resume!;
    t.resume = null;
    if (this.onStep !== null) this.onStep(pick, step);
    r();
  }

  private deadlock(): RunEnd {
    const waits: WaitEdge[] = [];
    for (const t of this.threads) {
      if (t.done || !t.waitLock) continue;
      waits.push({
        thread: t.id,
        threadName: t.name,
        op: t.op,
        waitsFor: t.waitLock.name,
        mode: t.waitMode ? 'write' : 'read',
        holders: t.waitLock.holderIds(),
      });
    }
    return { kind: 'deadlock', steps: this.steps, waits, cycle: findCycle(waits) };
  }
}

/** A cycle in the wait-for graph (thread -> holders of what it waits for), as thread ids. */
export function findCycle(waits: WaitEdge[]): number[] {
  const next = new Map<number, number[]>();
  for (const w of waits) next.set(w.thread, w.holders);
  for (const start of next.keys()) {
    const path: number[] = [];
    const onPath = new Set<number>();
    const dfs = (u: number): boolean => {
      if (onPath.has(u)) {
        path.splice(0, path.indexOf(u));
        return true;
      }
      const outs = next.get(u);
      if (!outs) return false;
      onPath.add(u);
      path.push(u);
      for (const v of outs) if (dfs(v)) return true;
      path.pop();
      onPath.delete(u);
      return false;
    };
    if (dfs(start)) return path;
  }
  return [];
}
