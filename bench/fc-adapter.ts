// The peer: fast-check's own fc.scheduler() taking every decision of a run of our engine.
//
// How the decisions are routed (and why this way). Our Runtime (schedulers/runtime.ts) passes a
// baton: a thread that reaches a scheduling point parks on its own promise and the runtime asks
// its Scheduler, synchronously, which parked thread runs next (nextThread), and for fault
// outcomes (draw). fc.scheduler() is a promise scheduler: tasks are registered with
// s.schedule(promise) and released one at a time by s.waitOne() / waitNext() / waitIdle(); its
// whole policy is the task selector, which picks the next task uniformly among the pending ones
// with the property's random generator (mrng.nextInt(0, pending - 1), fast-check 4.10.2,
// SchedulerArbitrary.buildNextTaskIndex).
//
// The mapping, kept as close as possible to what a developer writing `await s.schedule(...)` at
// every scheduling point would get:
//
// - One pending fc task per parked enabled thread. At each dispatch, every enabled thread that
//   has no task yet gets one (s.schedule(Promise.resolve(), 'T<id>', ..., act)); then s.waitOne()
//   releases one task and that task's thread runs the step. fc's selection happens synchronously
//   inside waitOne() (it calls the task's `act` before returning its promise), so the adapter
//   learns fc's choice through the task's act and answers nextThread synchronously; the runtime,
//   not fc's trigger promise, resumes the thread (the same thread, one microtask earlier): the
//   baton runtime and the engine are untouched, and fc decides which thread goes.
// - A thread that parked enabled and was then blocked (another thread took the lock it waits
//   for) keeps its task, as a developer's `await s.schedule(...)` in front of a lock would; if fc
//   releases it the adapter discards it (the thread gets a new task once enabled again) and calls
//   waitOne() again. Conditioned on landing on an enabled thread, fc's choice is uniform among the
//   enabled threads, exactly what its selector gives among runnable tasks.
// - Thread ids restart at 0 in every phase (setup, threads, teardown): tasks of an earlier phase
//   are stale and discarded the same way.
// - Fault draws (draw(bound), faults injected with probability 1/bound) go through a second
//   fc.scheduler() instance of the same property: `bound` tasks are scheduled, the first one fc
//   releases is the outcome, and the other bound-1 are released at once so that every draw starts
//   from an empty scheduler. A second instance keeps draw tasks out of the thread picks.
//
// Not used: waitNext(1) / waitIdle() (fast-check's recommended calls) select asynchronously,
// after up to 50 microtask ticks, so they cannot answer a synchronous nextThread without replacing
// the Runtime, which would then no longer be the same engine under test; scheduleSequence /
// scheduleFunction wrap whole operations, which would only interleave between ioctls and hide
// every race inside one (all the zoo's bugs are inside one).
//
// The waitOne() used here is deprecated in fast-check 4 (in favour of waitNext(1)) but present and
// unchanged in 4.10.2.
import type { Scheduler as FcScheduler, SchedulerAct } from 'fast-check';
import type { Scheduler } from '../schedulers/scheduler.js';

export class FcSchedulerAdapter implements Scheduler {
  readonly name = 'fc.scheduler';
  /** fc tasks released and discarded (blocked or stale threads): the cost of the mapping. */
  discarded = 0;
  /** Thread picks and draws taken by fc. */
  picks = 0;
  draws = 0;

  private s: FcScheduler | null = null;
  private d: FcScheduler | null = null;
  /** Per thread id, the phase generation of its pending task (or -1 when it has none). */
  private readonly pending: number[] = [];
  private gen = 0;
  private picked = -1;
  private pickedGen = -1;
  private drawn = -1;
  private readonly labels: string[] = [];
  private readonly drawActs: SchedulerAct[] = [];

  /** Start an execution with the two schedulers fast-check generated for this run of the property. */
  use(threads: FcScheduler, draws: FcScheduler): void {
    this.s = threads;
    this.d = draws;
    this.pending.length = 0;
    this.gen++;
  }

  newExecution(): boolean {
    return true;
  }

  nextThread(enabled: Int32Array, n: number, current: number): number {
    const s = this.s!;
    if (current === -1) this.gen++; // a new phase: ids restart, earlier tasks are stale
    const gen = this.gen;
    for (let i = 0; i < n; i++) {
      const t = enabled[i]!;
      if (this.pending[t] === gen) continue;
      while (this.pending.length <= t) this.pending.push(-1);
      this.pending[t] = gen;
      s.schedule(Promise.resolve(), this.label(t), undefined, (f) => {
        this.picked = t;
        this.pickedGen = gen;
        return f();
      });
    }
    this.picks++;
    for (;;) {
      this.picked = -1;
      void s.waitOne(); // fc picks here, synchronously: the released task's act has run on return
      const t = this.picked;
      if (t < 0) throw new Error('fc.scheduler adapter: waitOne() released no task synchronously');
      if (this.pickedGen === gen) {
        this.pending[t] = -1;
        if (includes(enabled, n, t)) return t;
      }
      this.discarded++;
    }
  }

  draw(bound: number): number {
    if (bound <= 1) return 0;
    const d = this.d!;
    this.draws++;
    for (let v = 0; v < bound; v++) d.schedule(Promise.resolve(), '', undefined, this.drawAct(v));
    this.drawn = -1;
    for (let i = 0; i < bound; i++) void d.waitOne(); // the first release decides; the rest empty the scheduler
    return this.drawn;
  }

  private label(t: number): string {
    while (this.labels.length <= t) this.labels.push(`T${this.labels.length}`);
    return this.labels[t]!;
  }

  private drawAct(v: number): SchedulerAct {
    while (this.drawActs.length <= v) {
      const k = this.drawActs.length;
      this.drawActs.push((f) => {
        if (this.drawn < 0) this.drawn = k;
        return f();
      });
    }
    return this.drawActs[v]!;
  }
}

function includes(a: Int32Array, n: number, t: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] === t) return true;
  return false;
}
