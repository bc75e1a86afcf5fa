// The exhaustive DFS explorer (schedulers/dfs.ts) on synthetic programs built on a Runtime whose
// steps report their accesses: exact execution counts per reduction, draws as branching points,
// preemption bounds, finding and replaying a bug and a deadlock, the statement strings, and a
// differential check on random programs that sleep sets and DPOR reach exactly the Mazurkiewicz
// traces (and outcomes) that the unreduced search reaches, each once.
import { describe, expect, it } from 'vitest';
import { DfsNondeterminism, DfsScheduler, SleepSetBlocked, type DfsOptions, type Reduction } from '../../schedulers/dfs.js';
import { ReplayScheduler } from '../../schedulers/replay.js';
import { EThread, Runtime, type RunEnd, type Waitable } from '../../schedulers/runtime.js';
import { Prng } from '../../schedulers/prng.js';

// ---- harness -------------------------------------------------------------------------------

type Body = (t: EThread) => Promise<void>;

/** Records, per step, who ran and what it touched and drew: the trace of a run. */
class Recorder {
  steps: Array<{ t: number; acc: number[]; draws: number[] }> = [];
  constructor(readonly rt: Runtime) {
    rt.onStep = (t) => this.steps.push({ t, acc: [], draws: [] });
  }
  access(id: number, write: boolean): void {
    this.rt.access(id, write);
    this.steps[this.steps.length - 1]!.acc.push(write ? ~id : id);
  }
  draw(bound: number): number {
    const v = this.rt.draw(bound);
    this.steps[this.steps.length - 1]!.draws.push(v);
    return v;
  }
  /**
   * The Mazurkiewicz trace of the run: each thread's steps (accesses, draws) in program order,
   * and for every resource the order of its writes with the set of reads between them.
   */
  fingerprint(end: RunEnd): string {
    const perThread = new Map<number, string[]>();
    const perRes = new Map<number, string[]>();
    const idx = new Map<number, number>();
    for (const s of this.steps) {
      const i = idx.get(s.t) ?? 0;
      idx.set(s.t, i + 1);
      const name = `${s.t}.${i}`;
      if (!perThread.has(s.t)) perThread.set(s.t, []);
      perThread.get(s.t)!.push(`${s.acc.join(',')}|${s.draws.join(',')}`);
      const seen = new Set<number>();
      for (const a of s.acc) {
        const id = a < 0 ? ~a : a;
        if (seen.has(id)) continue;
        seen.add(id);
        const write = s.acc.includes(~id);
        if (!perRes.has(id)) perRes.set(id, []);
        const seq = perRes.get(id)!;
        if (write) seq.push(`W${name}`);
        else {
          const lastGroup = seq[seq.length - 1];
          if (lastGroup?.startsWith('R')) seq[seq.length - 1] = `R${[...lastGroup.slice(1).split(' '), name].sort().join(' ')}`;
          else seq.push(`R${name}`);
        }
      }
    }
    const threads = [...perThread.entries()].sort((a, b) => a[0] - b[0]).map(([t, s]) => `T${t}:${s.join(';')}`);
    const res = [...perRes.entries()].sort((a, b) => a[0] - b[0]).map(([r, s]) => `X${r}:${s.join(' ')}`);
    return `${end.kind} ${threads.join(' ')} ${res.join(' ')}`;
  }
}

interface Run {
  end: RunEnd;
  fp: string;
  redundant: boolean;
  schedule: number[];
}

type Program = (rt: Runtime, rec: Recorder) => Body[];

/** The driver loop: a fresh Runtime and program per execution, until the explorer is done (or `stop`). */
async function explore(sched: DfsScheduler, program: Program, stop?: (r: Run) => boolean): Promise<Run[]> {
  const runs: Run[] = [];
  while (sched.newExecution()) {
    const rt = new Runtime(sched, 10_000);
    const rec = new Recorder(rt);
    program(rt, rec).forEach((b, i) => rt.spawn(`T${i}`, b));
    const end = await rt.run();
    const r = { end, fp: rec.fingerprint(end), redundant: sched.redundant, schedule: sched.schedule() };
    runs.push(r);
    if (stop?.(r)) break;
  }
  return runs;
}

async function count(opts: DfsOptions, program: Program): Promise<{ sched: DfsScheduler; runs: Run[] }> {
  const sched = new DfsScheduler(opts);
  const runs = await explore(sched, program);
  return { sched, runs };
}

/** A thread of `k` steps; step i runs `step(i)` (the first step starts the thread, the others follow a point). */
function steps(rt: Runtime, k: number, step: (i: number) => void): Body {
  return async (t) => {
    for (let i = 0; i < k; i++) {
      if (i > 0) await rt.point(t);
      step(i);
    }
  };
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** A mutex that reports itself written by the step that parks on it, by the acquire and by the release. */
class Mutex implements Waitable {
  owner: EThread | null = null;
  constructor(
    readonly name: string,
    readonly id: number,
    /** Report the resource before waiting (what the DPOR contract asks); false to break it. */
    readonly reportAttempt = true,
  ) {}
  canAcquire(): boolean {
    return this.owner === null;
  }
  holderIds(): number[] {
    return this.owner ? [this.owner.id] : [];
  }
  async lock(rec: Recorder, t: EThread): Promise<void> {
    if (this.reportAttempt) rec.access(this.id, true);
    await rec.rt.waitFor(t, this, 1);
    this.owner = t;
    rec.access(this.id, true);
  }
  unlock(rec: Recorder, t: EThread): void {
    if (this.owner !== t) throw new Error(`${this.name} unlocked by a non-owner`);
    this.owner = null;
    rec.access(this.id, true);
  }
}

const REDUCTIONS: Reduction[] = ['none', 'sleep-sets', 'dpor'];

// ---- programs ------------------------------------------------------------------------------

/** Two threads of k steps, each writing only its own resource. */
const independent =
  (k: number): Program =>
  (rt, rec) => [steps(rt, k, () => rec.access(0, true)), steps(rt, k, () => rec.access(1, true))];

/** Two threads of k steps, every step writing resource 0. */
const shared =
  (k: number): Program =>
  (rt, rec) => [steps(rt, k, () => rec.access(0, true)), steps(rt, k, () => rec.access(0, true))];

/** Three threads: a step writing its own resource, then a step writing the shared resource 9. */
const ownThenShared: Program = (rt, rec) =>
  [0, 1, 2].map((i) => steps(rt, 2, (s) => (s === 0 ? rec.access(i, true) : rec.access(9, true))));

// ---- counts ----------------------------------------------------------------------------------

describe('execution counts', () => {
  for (const k of [1, 2, 3, 4]) {
    it(`two threads of ${k} independent steps: none C(${2 * k},${k}) = ${binom(2 * k, k)}, sleep sets and DPOR 1`, async () => {
      const none = await count({ reduction: 'none' }, independent(k));
      expect(none.sched.executions).toBe(binom(2 * k, k));
      expect(none.sched.blocked).toBe(0);
      expect(new Set(none.runs.map((r) => r.schedule.join())).size).toBe(binom(2 * k, k));
      const sleep = await count({ reduction: 'sleep-sets' }, independent(k));
      expect(sleep.sched.executions).toBe(1);
      // Sleep sets alone still try T1 at each of the k nodes of the first run where T0 ran with
      // T1 enabled; each such run ends blocked once T1 is done (T0 stays asleep: independent).
      expect(sleep.sched.blocked).toBe(k);
      const dpor = await count({ reduction: 'dpor' }, independent(k));
      expect(dpor.sched.executions).toBe(1);
      expect(dpor.sched.runs).toBe(1);
      for (const r of [none, sleep, dpor]) expect(r.sched.complete).toBe(true);
    });
  }

  for (const k of [1, 2, 3, 4]) {
    it(`two threads of ${k} steps all writing one resource: every reduction C(${2 * k},${k}) = ${binom(2 * k, k)}`, async () => {
      for (const reduction of REDUCTIONS) {
        const { sched, runs } = await count({ reduction }, shared(k));
        expect(sched.executions, reduction).toBe(binom(2 * k, k));
        expect(sched.blocked, reduction).toBe(0);
        expect(new Set(runs.map((r) => r.fp)).size, reduction).toBe(binom(2 * k, k));
      }
    });
  }

  it('three threads each writing its own resource then a shared one: none 90 (6!/2!2!2!), sleep sets and DPOR 6 (3!)', async () => {
    const none = await count({ reduction: 'none' }, ownThenShared);
    expect(none.sched.executions).toBe(90);
    const traces = new Set(none.runs.map((r) => r.fp));
    expect(traces.size).toBe(6);
    for (const reduction of ['sleep-sets', 'dpor'] as const) {
      const { sched, runs } = await count({ reduction }, ownThenShared);
      expect(sched.executions, reduction).toBe(6);
      expect(new Set(runs.filter((r) => !r.redundant).map((r) => r.fp)), reduction).toEqual(traces);
    }
    const dpor = await count({ reduction: 'dpor' }, ownThenShared);
    expect(dpor.sched.blocked).toBe(0);
  });

  it('a draw(2) in a step doubles every count', async () => {
    const withDraw =
      (base: Program): Program =>
      (rt, rec) => {
        const bodies = base(rt, rec);
        const b0 = bodies[0]!;
        bodies[0] = async (t) => {
          rec.access(5, rec.draw(2) === 1);
          await b0(t);
        };
        return bodies;
      };
    // The draw happens inside T0's first step, so the step counts are unchanged.
    const expected: Record<Reduction, [number, number]> = { none: [20, 20], 'sleep-sets': [1, 20], dpor: [1, 20] };
    for (const reduction of REDUCTIONS) {
      const [ind, sh] = expected[reduction];
      const a = await count({ reduction }, withDraw(independent(3)));
      expect(a.sched.executions, reduction).toBe(2 * ind);
      const b = await count({ reduction }, withDraw(shared(3)));
      expect(b.sched.executions, reduction).toBe(2 * sh);
      expect(new Set(b.runs.map((r) => r.fp)).size, reduction).toBe(2 * sh);
    }
  });

  it('programs in two phases (beginPhase): each phase is explored under the other', async () => {
    for (const reduction of REDUCTIONS) {
      const sched = new DfsScheduler({ reduction });
      let n = 0;
      while (sched.newExecution()) {
        const rt = new Runtime(sched, 1000);
        const rec = new Recorder(rt);
        shared(2)(rt, rec).forEach((b, i) => rt.spawn(`A${i}`, b));
        expect((await rt.run()).kind).toBe('done');
        rt.beginPhase();
        independent(2)(rt, rec).forEach((b, i) => rt.spawn(`B${i}`, b));
        expect((await rt.run()).kind).toBe('done');
        n++;
      }
      expect(sched.complete).toBe(true);
      // shared(2) has 6 traces and 6 interleavings; independent(2) has 1 trace and 6 interleavings.
      expect(sched.executions, reduction).toBe(reduction === 'none' ? 36 : 6);
      expect(n).toBe(sched.runs);
    }
  });
});

// ---- preemption bounds -------------------------------------------------------------------------

/** Pick sequences of threads with the given step counts (never blocking) using at most `bound` preemptions. */
function boundedSchedules(left: number[], current: number, bound: number): number {
  if (left.every((x) => x === 0)) return 1;
  let total = 0;
  for (let t = 0; t < left.length; t++) {
    if (left[t] === 0) continue;
    const preempt = current >= 0 && t !== current && left[current]! > 0 ? 1 : 0;
    if (preempt > bound) continue;
    const next = [...left];
    next[t]!--;
    total += boundedSchedules(next, t, bound - preempt);
  }
  return total;
}

describe('preemption bound', () => {
  it('two threads that never block: bound 0 gives 2 executions, bound 1 gives 2k; matches a brute-force count', async () => {
    for (const k of [1, 2, 3, 4]) {
      const b0 = await count({ reduction: 'none', preemptionBound: 0 }, independent(k));
      expect(b0.sched.executions).toBe(2);
      expect(boundedSchedules([k, k], -1, 0)).toBe(2);
      const b1 = await count({ reduction: 'none', preemptionBound: 1 }, independent(k));
      expect(b1.sched.executions).toBe(2 * k);
      expect(boundedSchedules([k, k], -1, 1)).toBe(2 * k);
      expect(b1.sched.complete).toBe(true);
    }
  });

  it('bounds 0..3 on 2 and 3 threads agree with the brute-force count, and a large bound is the full search', async () => {
    const three: Program = (rt, rec) => [0, 1, 2].map((i) => steps(rt, 2, () => rec.access(i, true)));
    for (let bound = 0; bound <= 3; bound++) {
      const two = await count({ reduction: 'none', preemptionBound: bound }, independent(3));
      expect(two.sched.executions, `2 threads, bound ${bound}`).toBe(boundedSchedules([3, 3], -1, bound));
      const thr = await count({ reduction: 'none', preemptionBound: bound }, three);
      expect(thr.sched.executions, `3 threads, bound ${bound}`).toBe(boundedSchedules([2, 2, 2], -1, bound));
    }
    expect([0, 1, 2, 3, 4].map((b) => boundedSchedules([3, 3], -1, b))).toEqual([2, 6, 14, 18, 20]);
    const big = await count({ reduction: 'none', preemptionBound: 100 }, independent(3));
    expect(big.sched.executions).toBe(20);
  });

  it('a bound with a reduction disables the reduction (every schedule within the bound) and says so', async () => {
    const { sched } = await count({ reduction: 'dpor', preemptionBound: 1 }, independent(3));
    expect(sched.reduction).toBe('none');
    expect(sched.requested).toBe('dpor');
    expect(sched.executions).toBe(6);
    expect(sched.statement()).toBe(
      "6 executions cover every interleaving of this program within 1 preemption (the preemption bound disables the 'dpor' reduction: every schedule within the bound was run), no violation",
    );
  });

  it('a blocked current thread is no preemption: with bound 0 a lock handoff still runs', async () => {
    const program: Program = (rt, rec) => {
      const m = new Mutex('m', 7);
      const body: Body = async (t) => {
        await m.lock(rec, t);
        await rt.point(t);
        m.unlock(rec, t);
      };
      return [body, body];
    };
    const { sched, runs } = await count({ reduction: 'none', preemptionBound: 0 }, program);
    expect(runs.every((r) => r.end.kind === 'done')).toBe(true);
    expect(sched.executions).toBe(2);
  });
});

// ---- finding and replaying -------------------------------------------------------------------

describe('bugs and deadlocks', () => {
  /** T0 sets a flag then clears it; T1 fails if it sees the flag set: only T1 between T0's two steps. */
  const flagBug: Program = (rt, rec) => {
    let flag = 0;
    return [
      steps(rt, 2, (i) => {
        flag = i === 0 ? 1 : 0;
        rec.access(3, true);
      }),
      async () => {
        rec.access(3, false);
        if (flag === 1) throw new Error('saw the transient flag');
      },
    ];
  };

  for (const reduction of REDUCTIONS) {
    it(`${reduction}: the one interleaving that triggers the bug is found, and schedule() replays it`, async () => {
      const sched = new DfsScheduler({ reduction });
      const all = await explore(sched, flagBug);
      expect(all.length).toBe(3);
      const bad = all.filter((r) => r.end.kind === 'stopped');
      expect(bad.length).toBe(1);
      expect(bad[0]!.schedule).toEqual([0, 1]);
      expect(sched.statement(1)).toBe(
        `3 executions cover every ${reduction === 'none' ? 'interleaving' : 'Mazurkiewicz trace'} of this program, 1 violation`,
      );

      // Stop at the violation, as a driver would, and replay the schedule.
      const again = new DfsScheduler({ reduction });
      const runs = await explore(again, flagBug, (r) => r.end.kind === 'stopped');
      const found = runs[runs.length - 1]!;
      expect(found.end.kind).toBe('stopped');
      expect(again.complete).toBe(false);
      const rt = new Runtime(new ReplayScheduler(found.schedule), 100);
      rt.decisions = [];
      const rec = new Recorder(rt);
      flagBug(rt, rec).forEach((b, i) => rt.spawn(`T${i}`, b));
      const end = await rt.run();
      expect(end.kind).toBe('stopped');
      expect(end.kind === 'stopped' && (end.reason as Error).message).toBe('saw the transient flag');
      expect(rt.decisions).toEqual(found.schedule);
      expect(again.statement(1)).toBe(
        `${runs.length} execution${runs.length === 1 ? '' : 's'} explored, exploration not finished: not every ${reduction === 'none' ? 'interleaving' : 'Mazurkiewicz trace'} is covered, 1 violation`,
      );
    });
  }

  /** ABBA: T0 takes a then b, T1 takes b then a. */
  const abba: Program = (rt, rec) => {
    const a = new Mutex('a', 10);
    const b = new Mutex('b', 11);
    const body =
      (x: Mutex, y: Mutex): Body =>
      async (t) => {
        await x.lock(rec, t);
        await rt.point(t);
        await y.lock(rec, t);
        await rt.point(t);
        y.unlock(rec, t);
        x.unlock(rec, t);
      };
    return [body(a, b), body(b, a)];
  };

  for (const reduction of REDUCTIONS) {
    it(`${reduction}: two mutexes taken in opposite order, the deadlock interleaving is found and replays`, async () => {
      const sched = new DfsScheduler({ reduction });
      const runs = await explore(sched, abba);
      expect(sched.complete).toBe(true);
      expect(sched.unsound).toBeNull();
      const dead = runs.filter((r) => r.end.kind === 'deadlock' && !r.redundant);
      expect(dead.length).toBeGreaterThan(0);
      const d = dead[0]!;
      if (d.end.kind !== 'deadlock') return;
      expect([...d.end.cycle].sort()).toEqual([0, 1]);
      const rt = new Runtime(new ReplayScheduler(d.schedule), 100);
      const rec = new Recorder(rt);
      abba(rt, rec).forEach((b, i) => rt.spawn(`T${i}`, b));
      const end = await rt.run();
      expect(end.kind).toBe('deadlock');
      expect(end.steps).toBe(d.end.steps);
      // The reductions reach the same traces (done and deadlocked) as the full search.
      const full = await explore(new DfsScheduler({ reduction: 'none' }), abba);
      expect(new Set(runs.filter((r) => !r.redundant).map((r) => r.fp))).toEqual(new Set(full.map((r) => r.fp)));
    });
  }

  it('measured counts of the ABBA program', async () => {
    const counts: Record<string, [number, number]> = {};
    for (const reduction of REDUCTIONS) {
      const { sched, runs } = await count({ reduction }, abba);
      counts[reduction] = [sched.executions, runs.filter((r) => r.end.kind === 'deadlock' && !r.redundant).length];
    }
    const full = await explore(new DfsScheduler({ reduction: 'none' }), abba);
    const traces = new Set(full.map((r) => r.fp)).size;
    const deadTraces = new Set(full.filter((r) => r.end.kind === 'deadlock').map((r) => r.fp)).size;
    expect(counts['sleep-sets']).toEqual([traces, deadTraces]);
    expect(counts['dpor']).toEqual([traces, deadTraces]);
    // Measured: the full search runs 32 interleavings (20 deadlock); there are 13 traces (5 deadlock).
    expect(counts).toEqual({ none: [32, 20], 'sleep-sets': [13, 5], dpor: [13, 5] });
  });
});

// ---- protocol -----------------------------------------------------------------------------------

describe('protocol', () => {
  it('newExecution() returns false once the tree is covered, and keeps returning false', async () => {
    const sched = new DfsScheduler({ reduction: 'none' });
    await explore(sched, shared(1));
    expect(sched.complete).toBe(true);
    expect(sched.executions).toBe(2);
    expect(sched.newExecution()).toBe(false);
    expect(sched.newExecution()).toBe(false);
    expect(sched.runs).toBe(2);
  });

  it('statement strings', async () => {
    const dpor = await count({ reduction: 'dpor' }, independent(3));
    expect(dpor.sched.statement()).toBe('1 execution covers every Mazurkiewicz trace of this program, no violation');
    const none = await count({ reduction: 'none' }, independent(3));
    expect(none.sched.statement()).toBe('20 executions cover every interleaving of this program, no violation');
    expect(none.sched.statement(2)).toBe('20 executions cover every interleaving of this program, 2 violations');
    const sleep = await count({ reduction: 'sleep-sets' }, independent(3));
    expect(sleep.sched.statement()).toBe(
      '1 execution covers every Mazurkiewicz trace of this program (plus 3 redundant sleep-set-blocked runs), no violation',
    );
    const bounded = await count({ reduction: 'none', preemptionBound: 0 }, independent(3));
    expect(bounded.sched.statement()).toBe('2 executions cover every interleaving of this program within 0 preemptions, no violation');
    const drawn = await count({ reduction: 'dpor' }, (rt, rec) => [
      async () => {
        rec.access(0, rec.draw(3) > 0);
      },
    ]);
    expect(drawn.sched.statement()).toBe('3 executions cover every Mazurkiewicz trace and draw outcome of this program, no violation');
    const limited = await count({ reduction: 'none', maxExecutions: 5 }, independent(3));
    expect(limited.sched.executions).toBe(5);
    expect(limited.sched.complete).toBe(false);
    expect(limited.sched.statement()).toBe(
      '5 executions explored, stopped at the limit of 5 runs: not every interleaving is covered, no violation',
    );
  });

  it('abortBlocked: a sleep-set-blocked run ends as stopped with SleepSetBlocked, the counts are unchanged', async () => {
    const sched = new DfsScheduler({ reduction: 'sleep-sets', abortBlocked: true });
    const runs = await explore(sched, independent(3));
    expect(sched.executions).toBe(1);
    expect(sched.blocked).toBe(3);
    const aborted = runs.filter((r) => r.end.kind === 'stopped');
    expect(aborted.length).toBe(3);
    for (const r of aborted) expect(r.end.kind === 'stopped' && r.end.reason).toBeInstanceOf(SleepSetBlocked);
  });

  it('a program that does not replay its prefix is reported as DfsNondeterminism', async () => {
    const sched = new DfsScheduler({ reduction: 'none' });
    let run = 0;
    const ends: RunEnd[] = [];
    while (sched.newExecution() && run < 5) {
      const rt = new Runtime(sched, 100);
      const rec = new Recorder(rt);
      const extra = run++ > 0;
      rt.spawn('T0', steps(rt, 2, () => rec.access(extra ? 1 : 0, true)));
      rt.spawn('T1', steps(rt, 2, () => rec.access(0, true)));
      ends.push(await rt.run());
    }
    expect(ends[0]!.kind).toBe('done');
    expect(ends[1]!.kind).toBe('stopped');
    expect(ends[1]!.kind === 'stopped' && ends[1]!.reason).toBeInstanceOf(DfsNondeterminism);
  });

  it('a blocking wait that does not report its resource makes DPOR withdraw its claim', async () => {
    const program: Program = (rt, rec) => {
      const m = new Mutex('m', 7, false);
      const body: Body = async (t) => {
        await m.lock(rec, t);
        await rt.point(t);
        m.unlock(rec, t);
      };
      return [body, body];
    };
    const { sched } = await count({ reduction: 'dpor' }, program);
    expect(sched.unsound).toMatch(/parked in a blocking wait without reporting a write/);
    expect(sched.statement()).toMatch(/^\d+ executions? explored with the 'dpor' reduction, no violation; no coverage claim: thread \d parked in a blocking wait/);
    // Sleep sets do not depend on it.
    const sleep = await count({ reduction: 'sleep-sets' }, program);
    expect(sleep.sched.unsound).toBeNull();
  });
});

// ---- differential: random programs ---------------------------------------------------------------

/**
 * A random program: 2-3 threads of 1-3 steps over 3 shared variables; a step reads and writes
 * variables (what it touches next may depend on the value it read) and may draw; threads take
 * up to two mutexes (in either order, so some programs deadlock) around some of their steps.
 */
function randomProgram(seed: number): Program {
  const g = new Prng(seed);
  const nThreads = 2 + g.below(2);
  type Op = { k: 'r' | 'w' | 'branch' | 'draw'; v: number; v2: number };
  const plan = Array.from({ length: nThreads }, () => {
    const nSteps = 1 + g.below(3);
    const ops = Array.from({ length: nSteps }, () =>
      Array.from({ length: g.below(3) }, (): Op => {
        const x = g.below(10);
        return { k: x < 4 ? 'r' : x < 7 ? 'w' : x < 9 ? 'branch' : 'draw', v: g.below(3), v2: g.below(3) };
      }),
    );
    // No mutex, one, or both in a random order (the second taken in the same or the next step).
    const locks: Array<{ m: number; from: number; len: number }> = [];
    const kind = g.below(4);
    const firstM = g.below(2);
    const from = g.below(nSteps);
    if (kind >= 1) locks.push({ m: firstM, from, len: 1 + g.below(3) });
    if (kind >= 2) locks.push({ m: 1 - firstM, from: Math.min(nSteps - 1, from + g.below(2)), len: 1 + g.below(3) });
    return { ops, locks };
  });
  return (rt, rec) => {
    const vars = [0, 0, 0];
    const ms = [new Mutex('m0', 50), new Mutex('m1', 51)];
    return plan.map(({ ops, locks }, tid) => async (t: EThread) => {
      let local = tid;
      for (let i = 0; i < ops.length; i++) {
        if (i > 0) await rt.point(t);
        for (const l of locks) if (i === l.from) await ms[l.m]!.lock(rec, t);
        for (const op of ops[i]!) {
          if (op.k === 'r') {
            rec.access(op.v, false);
            local += vars[op.v]!;
          } else if (op.k === 'w') {
            rec.access(op.v, true);
            vars[op.v] = local + i;
          } else if (op.k === 'branch') {
            rec.access(op.v, false);
            if (vars[op.v]! % 2 === 1) {
              rec.access(op.v2, true);
              vars[op.v2] = local;
            } else rec.access(op.v2, false);
          } else {
            local += rec.draw(2);
          }
        }
        for (const l of [...locks].reverse()) {
          const m = ms[l.m]!;
          if (m.owner === t && (i === l.from + l.len - 1 || i === ops.length - 1)) m.unlock(rec, t);
        }
      }
    });
  };
}

describe('differential: sleep sets and DPOR reach exactly the traces of the full search', () => {
  it('on 120 random programs (accesses depending on values read, draws, two mutexes, deadlocks)', async () => {
    const totals = { programs: 0, none: 0, traces: 0, deadlocked: 0, sleepRuns: 0, dporExecutions: 0, dporRuns: 0 };
    for (let seed = 1; seed <= 120; seed++) {
      const program = randomProgram(seed);
      const fullSched = new DfsScheduler({ reduction: 'none', maxExecutions: 5000 });
      const full = await explore(fullSched, program);
      if (!fullSched.complete) continue;
      const traces = new Set(full.map((r) => r.fp));
      const outcomes = new Set(full.map((r) => r.end.kind));
      for (const reduction of ['sleep-sets', 'dpor'] as const) {
        const sched = new DfsScheduler({ reduction });
        const runs = await explore(sched, program);
        const real = runs.filter((r) => !r.redundant);
        const what = `seed ${seed} ${reduction}`;
        expect(sched.complete, what).toBe(true);
        expect(sched.unsound, what).toBeNull();
        expect(new Set(real.map((r) => r.fp)), what).toEqual(traces);
        // No trace twice.
        expect(real.length, what).toBe(traces.size);
        expect(new Set(real.map((r) => r.end.kind)), what).toEqual(outcomes);
        if (reduction === 'sleep-sets') totals.sleepRuns += sched.runs;
        else {
          totals.dporExecutions += sched.executions;
          totals.dporRuns += sched.runs;
        }
      }
      totals.programs++;
      totals.none += full.length;
      totals.traces += traces.size;
      if (outcomes.has('deadlock')) totals.deadlocked++;
    }
    // Measured over the programs the full search covers within 5000 runs: DPOR runs each trace
    // once, with 42 sleep-set-blocked runs in all; sleep sets alone run 7287.
    expect(totals).toEqual({
      programs: 106,
      none: 53280,
      traces: 5220,
      deadlocked: 9,
      sleepRuns: 7287,
      dporExecutions: 5220,
      dporRuns: 5262,
    });
  });

  it('with violations (stopped runs) explored past: the same traces, stopped ones included', async () => {
    let stoppedTraces = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const base = randomProgram(seed);
      // A violation in the middle of a step: T0 fails in an extra last step if T1 has set a flag.
      const program: Program = (rt, rec) => {
        const bodies = base(rt, rec);
        const [b0, b1] = [bodies[0]!, bodies[1]!];
        let flag = 0;
        bodies[0] = async (t) => {
          await b0(t);
          await rt.point(t);
          rec.access(2, true);
          rec.access(7, false);
          if (flag === 1) throw new Error('violation');
        };
        bodies[1] = async (t) => {
          await b1(t);
          await rt.point(t);
          rec.access(7, true);
          flag = 1;
        };
        return bodies;
      };
      const fullSched = new DfsScheduler({ reduction: 'none', maxExecutions: 5000 });
      const full = await explore(fullSched, program);
      if (!fullSched.complete) continue;
      const traces = new Set(full.map((r) => r.fp));
      stoppedTraces += new Set(full.filter((r) => r.end.kind === 'stopped').map((r) => r.fp)).size;
      for (const reduction of ['sleep-sets', 'dpor'] as const) {
        const runs = await explore(new DfsScheduler({ reduction }), program);
        expect(new Set(runs.filter((r) => !r.redundant).map((r) => r.fp)), `seed ${seed} ${reduction}`).toEqual(traces);
      }
    }
    expect(stoppedTraces).toBeGreaterThan(100);
  });
});
