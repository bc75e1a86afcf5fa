// The baton-passing runtime (schedulers/runtime.ts) on small synthetic programs: enabledness of
// waiting threads, deadlock and step-bound endings, determinism of seeded runs, replay of a
// recorded decision log and its divergence, findCycle, and isolation between runs (epochs).
import { describe, expect, it } from 'vitest';
import { EThread, findCycle, Runtime, StopRun, type RunEnd, type WaitEdge } from '../../schedulers/runtime.js';
import { RandomScheduler } from '../../schedulers/random.js';
import { ReplayDivergence, ReplayScheduler } from '../../schedulers/replay.js';
import { deriveSeed, Prng } from '../../schedulers/prng.js';
import type { Scheduler } from '../../schedulers/scheduler.js';
import { KMutex } from '../../engine/locks/kmutex.js';
import { RwSem } from '../../engine/locks/rwsem.js';
import { Lockdep, LockClasses, type LockdepReport } from '../../engine/locks/lockdep.js';
import type { LockEnv, Poisonable } from '../../engine/locks/env.js';
import { Runner } from '../../runner/run.js';
import type { Workload } from '../../workload/types.js';

// ---- fixtures ------------------------------------------------------------------------------

/** Lockdep that never objects: lets a real deadlock reach the runtime's wait-for analysis. */
const NO_LOCKDEP = {
  beforeAcquire: () => null,
  acquired: () => {},
  released: () => {},
} as unknown as Lockdep;

class LockdepError extends Error {
  constructor(readonly report: LockdepReport) {
    super(report.message);
  }
}

/** The smallest LockEnv: the runtime, a lockdep (none by default), poison checks that throw. */
function lockEnv(rt: Runtime, lockdep: Lockdep = NO_LOCKDEP): LockEnv {
  return {
    rt,
    lockdep,
    tracing: false,
    checkAlive(_t, home, what) {
      if (home !== null && home.freed) throw new Error(`use-after-free: ${what} on ${home.label}`);
    },
    lockdepReport(_t, r): never {
      throw new LockdepError(r);
    },
    assertFail(_t, location, message): never {
      throw new Error(`assert ${location}: ${message}`);
    },
    traceLock() {},
  };
}

/** A scheduler driven by a function of the enabled list; records every decision it is asked for. */
class ScriptScheduler implements Scheduler {
  readonly name = 'script';
  readonly log: Array<{ enabled: number[]; current: number; pick: number }> = [];
  constructor(
    private readonly choose: (enabled: number[], current: number, i: number) => number,
    private readonly drawFn: (bound: number) => number = () => 0,
  ) {}
  newExecution(): boolean {
    return true;
  }
  nextThread(enabled: Int32Array, n: number, current: number): number {
    const list = Array.from(enabled.subarray(0, n));
    const pick = this.choose(list, current, this.log.length);
    this.log.push({ enabled: list, current, pick });
    return pick;
  }
  draw(bound: number): number {
    return this.drawFn(bound);
  }
}

/** Round robin: the first enabled thread after `current`, wrapping around. */
const roundRobin = (enabled: number[], current: number): number => enabled.find((i) => i > current) ?? enabled[0]!;

/** A RandomScheduler whose every pick is first shown to `probe` (for invariants over the enabled set). */
class ProbedRandom extends RandomScheduler {
  constructor(
    seed: number,
    private readonly probe: (enabled: number[]) => void,
  ) {
    super(seed);
  }
  override nextThread(enabled: Int32Array, n: number): number {
    this.probe(Array.from(enabled.subarray(0, n)));
    return super.nextThread(enabled, n);
  }
}

/** Run a freshly spawned program. */
async function runProgram(rt: Runtime, bodies: Array<(t: EThread) => Promise<void>>): Promise<RunEnd> {
  bodies.forEach((b, i) => rt.spawn(`T${i}`, b));
  return rt.run();
}

let nextRes = 16;
const home = (label: string): Poisonable => ({ freed: false, label, resId: nextRes++ });

// ---- enabledness -------------------------------------------------------------------------

describe('enabledness', () => {
  it('a thread waiting for a held mutex is not enabled until the holder unlocks (scripted)', async () => {
    let rt!: Runtime;
    const m = new KMutex('m', 0, home('m'), nextRes++);
    let t1Waiting = false;
    let t1Acquired = -1;
    let released = -1;
    // T0 first until it owns m, then T1 whenever T1 is enabled.
    const sched = new ScriptScheduler((en) => (m.owner === null && en.includes(0) ? 0 : en.includes(1) ? 1 : en[0]!));
    rt = new Runtime(sched, 1000);
    const env = lockEnv(rt);
    const end = await runProgram(rt, [
      async (t) => {
        await m.lock(env, t);
        for (let i = 0; i < 5; i++) await rt.point(t);
        await m.unlock(env, t);
        released = rt.steps;
      },
      async (t) => {
        t1Waiting = true;
        await m.lock(env, t);
        t1Waiting = false;
        t1Acquired = rt.steps;
        await m.unlock(env, t);
      },
    ]);
    expect(end.kind).toBe('done');
    // Every decision taken while T1 waited and T0 held m offered T0 alone.
    const blocked = sched.log.filter((d, i) => i > 0 && d.enabled.length === 1 && d.enabled[0] === 0);
    expect(blocked.length).toBeGreaterThanOrEqual(6);
    expect(t1Waiting).toBe(false);
    expect(t1Acquired).toBeGreaterThan(released);
    expect(m.owner).toBeNull();
  });

  it('over many random schedules no waiter is ever picked (or even offered) while its mutex is held, and ownership is exclusive', async () => {
    let sawBlocked = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const m = new KMutex('m', 0, home('m'), nextRes++);
      let rt!: Runtime;
      let inside = 0;
      const sched = new ProbedRandom(seed, (enabled) => {
        for (const i of enabled) {
          const t = rt.threads[i]!;
          if (t.waitLock === m) expect(m.owner, `seed ${seed}: T${i} offered while m held`).toBeNull();
        }
        if (rt.threads.some((t) => t.waitLock === m && !enabled.includes(t.id))) sawBlocked++;
      });
      rt = new Runtime(sched, 10_000);
      const env = lockEnv(rt);
      const body = async (t: EThread) => {
        for (let i = 0; i < 3; i++) {
          await rt.point(t);
          await m.lock(env, t);
          inside++;
          expect(inside).toBe(1);
          expect(m.owner).toBe(t);
          await rt.point(t);
          inside--;
          await m.unlock(env, t);
        }
      };
      const end = await runProgram(rt, [body, body, body]);
      expect(end.kind).toBe('done');
    }
    expect(sawBlocked).toBeGreaterThan(0);
  });

  it('rwsem: a writer waits for readers; once it is pending, new read trylocks fail; after up_write they succeed', async () => {
    const rw = new RwSem('rw', 0, home('rw'), nextRes++);
    const seen: string[] = [];
    let writerHolds = false;
    // R0 first (takes read), then W (blocks, pending), then R1 (trylock); round robin after that.
    const order = [0, 0, 1, 2, 2];
    let rt!: Runtime;
    let wHeldOff = 0;
    const sched = new ScriptScheduler((en, cur, i) => {
      const w = rt.threads[1]!;
      if (w.waitLock === rw && (rw.readers.length > 0 || rw.writer !== null)) {
        expect(en).not.toContain(1);
        wHeldOff++;
      }
      const want = order[i];
      return want !== undefined && en.includes(want) ? want : roundRobin(en, cur);
    });
    rt = new Runtime(sched, 1000);
    const env = lockEnv(rt);
    const end = await runProgram(rt, [
      async (t) => {
        seen.push(`R0 read ${await rw.tryRead(env, t)}`);
        // Wait until W is pending and R1 has tried.
        while (seen.length < 2) await rt.point(t);
        await rw.upRead(env, t);
        seen.push('R0 up_read');
      },
      async (t) => {
        await rw.downWrite(env, t);
        writerHolds = true;
        seen.push(`W down_write (readers ${rw.readers.length})`);
        await rt.point(t);
        await rt.point(t);
        writerHolds = false;
        await rw.upWrite(env, t);
        seen.push('W up_write');
      },
      async (t) => {
        // W is pending behind R0: canAcquire(read) is false and the trylock fails.
        expect(rw.pendingWriters).toBe(1);
        expect(rw.readers.length).toBe(1);
        expect(rw.canAcquire(0)).toBe(false);
        seen.push(`R1 read ${await rw.tryRead(env, t)}`);
        while (!writerHolds) await rt.point(t);
        seen.push(`R1 read under writer ${await rw.tryRead(env, t)}`);
        while (rw.writer !== null) await rt.point(t);
        seen.push(`R1 read after writer ${await rw.tryRead(env, t)}`);
        await rw.upRead(env, t);
      },
    ]);
    expect(end.kind).toBe('done');
    expect(seen).toEqual([
      'R0 read true',
      'R1 read false',
      'R0 up_read',
      'W down_write (readers 0)',
      'R1 read under writer false',
      'W up_write',
      'R1 read after writer true',
    ]);
    // W was held off (not offered) at several decisions while R0 held the read side.
    expect(wHeldOff).toBeGreaterThanOrEqual(2);
  });

  it('rwsem over random schedules: a waiting writer is offered only when the lock is free; writer and readers exclude each other', async () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rw = new RwSem('rw', 0, home('rw'), nextRes++);
      let rt!: Runtime;
      const sched = new ProbedRandom(seed, (enabled) => {
        for (const i of enabled) {
          const t = rt.threads[i]!;
          if (t.waitLock === rw) {
            expect(rw.writer).toBeNull();
            expect(rw.readers).toEqual([]);
          }
        }
      });
      rt = new Runtime(sched, 10_000);
      const env = lockEnv(rt);
      const reader = async (t: EThread) => {
        for (let i = 0; i < 4; i++) {
          if (await rw.tryRead(env, t)) {
            expect(rw.writer).toBeNull();
            await rt.point(t);
            await rw.upRead(env, t);
          }
        }
      };
      const writer = async (t: EThread) => {
        for (let i = 0; i < 2; i++) {
          await rw.downWrite(env, t);
          expect(rw.writer).toBe(t);
          expect(rw.readers).toEqual([]);
          await rt.point(t);
          await rw.upWrite(env, t);
        }
      };
      const end = await runProgram(rt, [reader, writer, reader, writer]);
      expect(end.kind).toBe('done');
      expect(rw.pendingWriters).toBe(0);
    }
  });
});

// ---- deadlock ------------------------------------------------------------------------------

describe('deadlock', () => {
  it('ABBA between two threads ends in a deadlock with both waits and a 2-thread cycle', async () => {
    const a = new KMutex('A', 0, home('A'), nextRes++);
    const b = new KMutex('B', 1, home('B'), nextRes++);
    const rt = new Runtime(new ScriptScheduler(roundRobin), 1000);
    const env = lockEnv(rt);
    const end = await runProgram(rt, [
      async (t) => {
        t.op = 'ab';
        await a.lock(env, t);
        await rt.point(t);
        await b.lock(env, t);
      },
      async (t) => {
        t.op = 'ba';
        await b.lock(env, t);
        await rt.point(t);
        await a.lock(env, t);
      },
    ]);
    expect(end.kind).toBe('deadlock');
    if (end.kind !== 'deadlock') return;
    expect(end.waits).toEqual<WaitEdge[]>([
      { thread: 0, threadName: 'T0', op: 'ab', waitsFor: 'B', mode: 'write', holders: [1] },
      { thread: 1, threadName: 'T1', op: 'ba', waitsFor: 'A', mode: 'write', holders: [0] },
    ]);
    expect([...end.cycle].sort()).toEqual([0, 1]);
    expect(end.steps).toBe(rt.steps);
  });

  it('ABBA under random schedules: every run is either done or a deadlock with a 2-cycle, and both occur', async () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 100; seed++) {
      const a = new KMutex('A', 0, home('A'), nextRes++);
      const b = new KMutex('B', 1, home('B'), nextRes++);
      const rt = new Runtime(new RandomScheduler(seed), 1000);
      const env = lockEnv(rt);
      const abba = (x: KMutex, y: KMutex) => async (t: EThread) => {
        await x.lock(env, t);
        await rt.point(t);
        await y.lock(env, t);
        await y.unlock(env, t);
        await x.unlock(env, t);
      };
      const end = await runProgram(rt, [abba(a, b), abba(b, a)]);
      kinds.add(end.kind);
      if (end.kind === 'deadlock') {
        expect(end.waits.map((w) => w.thread)).toEqual([0, 1]);
        expect([...end.cycle].sort()).toEqual([0, 1]);
      } else {
        expect(end.kind).toBe('done');
      }
    }
    expect(kinds).toEqual(new Set(['done', 'deadlock']));
  });

  it('self-deadlock without lockdep: a thread locking a mutex it holds waits for itself (1-cycle)', async () => {
    const m = new KMutex('m', 0, home('m'), nextRes++);
    const rt = new Runtime(new RandomScheduler(1), 1000);
    const env = lockEnv(rt);
    const end = await runProgram(rt, [
      async (t) => {
        await m.lock(env, t);
        await m.lock(env, t);
      },
    ]);
    expect(end).toMatchObject({
      kind: 'deadlock',
      waits: [{ thread: 0, waitsFor: 'm', holders: [0], mode: 'write' }],
      cycle: [0],
    });
  });

  it('self-deadlock through KMutex.lock with lockdep: reported as recursive locking before the thread blocks', async () => {
    const classes = new LockClasses();
    const m = new KMutex('m#1', classes.intern('M'), home('m'), nextRes++);
    const rt = new Runtime(new RandomScheduler(1), 1000);
    const env = lockEnv(rt, new Lockdep(classes, 4));
    const end = await runProgram(rt, [
      async (t) => {
        await m.lock(env, t);
        await m.lock(env, t);
      },
    ]);
    expect(end.kind).toBe('stopped');
    if (end.kind !== 'stopped') return;
    expect(end.reason).toBeInstanceOf(LockdepError);
    const r = (end.reason as LockdepError).report;
    expect(r.kind).toBe('recursive');
    expect(r.acquiring.lock).toBe('m#1');
    expect(r.message).toContain('self-deadlock');
  });

  it('a deadlock among some threads is reported only once every other thread is done', async () => {
    const a = new KMutex('A', 0, home('A'), nextRes++);
    const b = new KMutex('B', 1, home('B'), nextRes++);
    const rt = new Runtime(new ScriptScheduler(roundRobin), 1000);
    const env = lockEnv(rt);
    let bystanderDone = false;
    const end = await runProgram(rt, [
      async (t) => {
        await a.lock(env, t);
        await rt.point(t);
        await b.lock(env, t);
      },
      async (t) => {
        await b.lock(env, t);
        await rt.point(t);
        await a.lock(env, t);
      },
      async (t) => {
        for (let i = 0; i < 10; i++) await rt.point(t);
        bystanderDone = true;
      },
    ]);
    expect(end.kind).toBe('deadlock');
    expect(bystanderDone).toBe(true);
    if (end.kind === 'deadlock') expect(end.waits.map((w) => w.thread)).toEqual([0, 1]);
  });
});

describe('findCycle', () => {
  const edge = (thread: number, holders: number[]): WaitEdge => ({
    thread,
    threadName: `T${thread}`,
    op: '',
    waitsFor: `L${thread}`,
    mode: 'write',
    holders,
  });

  it('no waits, or a chain that ends at a running thread: no cycle', () => {
    expect(findCycle([])).toEqual([]);
    expect(findCycle([edge(0, [1]), edge(1, [2])])).toEqual([]);
    expect(findCycle([edge(0, [])])).toEqual([]);
  });

  it('self-loop, 2-cycle, 3-cycle, in wait order', () => {
    expect(findCycle([edge(0, [0])])).toEqual([0]);
    expect(findCycle([edge(0, [1]), edge(1, [0])])).toEqual([0, 1]);
    expect(findCycle([edge(0, [1]), edge(1, [2]), edge(2, [0])])).toEqual([0, 1, 2]);
  });

  it('a cycle not containing the first waiter is returned without the tail leading into it', () => {
    expect(findCycle([edge(0, [1]), edge(1, [2]), edge(2, [1])])).toEqual([1, 2]);
    expect(findCycle([edge(5, [3]), edge(3, [4]), edge(4, [3])])).toEqual([3, 4]);
  });

  it('several holders (readers of an rwsem): follows the one that closes a cycle', () => {
    expect(findCycle([edge(0, [3, 1]), edge(1, [0])])).toEqual([0, 1]);
    expect(findCycle([edge(0, [2, 1]), edge(1, [2]), edge(2, [])])).toEqual([]);
  });
});

// ---- step bound ------------------------------------------------------------------------------

describe('step bound', () => {
  it('a thread looping on points ends step-bound at exactly maxSteps', async () => {
    for (const max of [1, 2, 17, 500]) {
      const rt = new Runtime(new RandomScheduler(3), max);
      let t0!: EThread;
      const end = await runProgram(rt, [
        async (t) => {
          t0 = t;
          for (;;) await rt.point(t);
        },
      ]);
      expect(end).toEqual({ kind: 'step-bound', steps: max, bound: max });
      expect(rt.steps).toBe(max);
      expect(t0.steps).toBe(max);
    }
  });

  it('two looping threads share the bound', async () => {
    const rt = new Runtime(new RandomScheduler(9), 100);
    const loop = async (t: EThread) => {
      for (;;) await rt.point(t);
    };
    const end = await runProgram(rt, [loop, loop]);
    expect(end).toEqual({ kind: 'step-bound', steps: 100, bound: 100 });
    expect(rt.threads[0]!.steps + rt.threads[1]!.steps).toBe(100);
  });

  it('a program needing exactly maxSteps steps completes; one more step is over the bound', async () => {
    const prog = (rt: Runtime) => [
      async (t: EThread) => {
        for (let i = 0; i < 9; i++) await rt.point(t);
      },
    ];
    // Start step + 9 points = 10 steps.
    const ok = new Runtime(new RandomScheduler(1), 10);
    expect(await runProgram(ok, prog(ok))).toEqual({ kind: 'done', steps: 10 });
    const over = new Runtime(new RandomScheduler(1), 9);
    expect(await runProgram(over, prog(over))).toEqual({ kind: 'step-bound', steps: 9, bound: 9 });
  });
});

// ---- determinism and replay ----------------------------------------------------------------

/**
 * A program with picks, draws and a contended mutex. `log` gets one line per step (who runs,
 * and what it did since its last point), so two runs can be compared interleaving for interleaving.
 */
function busyProgram(rt: Runtime, log: string[]): Array<(t: EThread) => Promise<void>> {
  const m = new KMutex('m', 0, home('m'), nextRes++);
  const env = lockEnv(rt);
  rt.onStep = (thread, step) => log.push(`${step}:T${thread}`);
  const body = (n: number) => async (t: EThread) => {
    for (let i = 0; i < n; i++) {
      await rt.point(t);
      const v = rt.draw(4);
      log.push(`T${t.id} drew ${v}`);
      if (v === 0) {
        await m.lock(env, t);
        log.push(`T${t.id} locked`);
        await rt.point(t);
        await m.unlock(env, t);
      }
    }
  };
  return [body(8), body(6), body(7)];
}

async function recordRun(seed: number): Promise<{ end: RunEnd; decisions: number[]; enabledSets: number[]; log: string[] }> {
  const rt = new Runtime(new RandomScheduler(seed), 10_000);
  rt.decisions = [];
  rt.enabledSets = [];
  const log: string[] = [];
  const end = await runProgram(rt, busyProgram(rt, log));
  return { end, decisions: rt.decisions, enabledSets: rt.enabledSets, log };
}

describe('determinism', () => {
  it('the same seed gives the same decision log, byte for byte, over many runs', async () => {
    const first = await recordRun(1234);
    expect(first.end.kind).toBe('done');
    expect(first.decisions.some((d) => d < 0)).toBe(true);
    const text = JSON.stringify(first.decisions);
    for (let i = 0; i < 50; i++) {
      const again = await recordRun(1234);
      expect(JSON.stringify(again.decisions)).toBe(text);
      expect(again.log).toEqual(first.log);
      expect(again.end).toEqual(first.end);
    }
  });

  it('a reused Runtime (reset + reseed) gives the same log as a fresh one', async () => {
    const fresh = await recordRun(77);
    const sched = new RandomScheduler(1);
    const rt = new Runtime(sched, 10_000);
    for (let i = 0; i < 5; i++) {
      rt.reset();
      sched.reseed(77);
      rt.decisions = [];
      const log: string[] = [];
      const end = await runProgram(rt, busyProgram(rt, log));
      expect(end).toEqual(fresh.end);
      expect(rt.decisions).toEqual(fresh.decisions);
      expect(log).toEqual(fresh.log);
    }
  });

  it('different seeds give different logs', async () => {
    const logs = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) logs.add(JSON.stringify((await recordRun(seed)).decisions));
    expect(logs.size).toBe(20);
    expect(JSON.stringify((await recordRun(1)).decisions)).not.toBe(JSON.stringify((await recordRun(2)).decisions));
  });

  it('prng: same seed same stream, deriveSeed depends on (seed, index)', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const xs = Array.from({ length: 100 }, () => a.nextU32());
    expect(Array.from({ length: 100 }, () => b.nextU32())).toEqual(xs);
    expect(new Prng(6).nextU32()).not.toBe(xs[0]);
    expect(deriveSeed(1, 2)).toBe(deriveSeed(1, 2));
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(1, 3));
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 2));
    for (let i = 0; i < 1000; i++) expect(a.below(7)).toBeLessThan(7);
    expect(a.below(1)).toBe(0);
  });
});

describe('replay', () => {
  it('replaying a recorded decision log reproduces the same interleaving and consumes every decision', async () => {
    for (const seed of [1, 2, 3, 99, 4242]) {
      const rec = await recordRun(seed);
      const replay = new ReplayScheduler(rec.decisions);
      const rt = new Runtime(replay, 10_000);
      rt.decisions = [];
      const log: string[] = [];
      const end = await runProgram(rt, busyProgram(rt, log));
      expect(end).toEqual(rec.end);
      expect(log).toEqual(rec.log);
      expect(rt.decisions).toEqual(rec.decisions);
      expect(replay.consumed).toBe(rec.decisions.length);
    }
  });

  async function replayWith(decisions: number[], enabledSets: number[] | null = null): Promise<RunEnd> {
    const rt = new Runtime(new ReplayScheduler(decisions, enabledSets), 10_000);
    return runProgram(rt, busyProgram(rt, []));
  }

  function divergence(end: RunEnd): ReplayDivergence {
    expect(end.kind).toBe('stopped');
    const r = (end as { reason: unknown }).reason;
    expect(r).toBeInstanceOf(ReplayDivergence);
    return r as ReplayDivergence;
  }

  it('a pick of a thread that is not enabled: ReplayDivergence naming the decision and the enabled threads', async () => {
    const rec = await recordRun(5);
    // Decision 0 starts a thread; decision 1 is taken at that thread's first point (all three enabled).
    expect(rec.decisions[1]).toBeGreaterThanOrEqual(0);
    const bad = [...rec.decisions];
    bad[1] = 7;
    const d = divergence(await replayWith(bad));
    expect(d.index).toBe(1);
    expect(d.expected).toBe('thread 7');
    expect(d.enabled).toEqual([0, 1, 2]);
    expect(d.step).toBe(1);
    expect(d.recordedEnabled).toBeNull();
    expect(d.message).toBe('replay diverged at step 1 (decision 1): recorded thread 7, enabled now [0, 1, 2]');
  });

  it('with the recorded enabled sets, a divergence shows both: the step, what was enabled then and now', async () => {
    const rec = await recordRun(5);
    expect(rec.enabledSets).toHaveLength(rec.decisions.filter((d) => d >= 0).length);
    // Pick 0 starts a thread with all three spawned and enabled: bitmask 0b111.
    expect(rec.enabledSets[0]).toBe(0b111);
    // The run replays with its sets; a tampered pick diverges showing the recorded set beside the current one.
    expect((await replayWith(rec.decisions, rec.enabledSets)).kind).toBe('done');
    const bad = [...rec.decisions];
    bad[1] = 7;
    const sets = [...rec.enabledSets];
    sets[1] = 0b10000011;
    const d = divergence(await replayWith(bad, sets));
    expect(d.recordedEnabled).toEqual([0, 1, 7]);
    expect(d.message).toBe('replay diverged at step 1 (decision 1): recorded thread 7 (enabled then [0, 1, 7]), enabled now [0, 1, 2]');
  });

  it('a pick where a draw was recorded, a draw where a pick was recorded, a draw out of bound, a short log', async () => {
    const rec = await recordRun(5);
    const firstDraw = rec.decisions.findIndex((d) => d < 0);
    expect(firstDraw).toBeGreaterThan(0);

    // The recorded draw is replaced by a pick: the thread's draw finds a pick.
    const pickForDraw = [...rec.decisions];
    pickForDraw[firstDraw] = 0;
    let d = divergence(await replayWith(pickForDraw));
    expect(d.index).toBe(firstDraw);
    expect(d.expected).toBe('thread 0');

    // The decision before the first draw is a pick at a point; make it a draw.
    const drawForPick = [...rec.decisions];
    drawForPick[1] = -3;
    d = divergence(await replayWith(drawForPick));
    expect(d.index).toBe(1);
    expect(d.expected).toBe('draw 2');
    expect(d.enabled).toEqual([0, 1, 2]);

    const outOfBound = [...rec.decisions];
    outOfBound[firstDraw] = -(9 + 1);
    d = divergence(await replayWith(outOfBound));
    expect(d.index).toBe(firstDraw);
    expect(d.expected).toBe('draw 9 (bound 4)');
    outOfBound[firstDraw] = -(4 + 1);
    d = divergence(await replayWith(outOfBound));
    expect(d.expected).toBe('draw 4 (bound 4)');
    outOfBound[firstDraw] = -(3 + 1);
    expect((await replayWith(outOfBound)).kind).not.toBe('stopped');

    d = divergence(await replayWith(rec.decisions.slice(0, 1)));
    expect(d.index).toBe(1);
    expect(d.expected).toBe('end of schedule');
  });

  it('a first decision that does not fit ends the run with the divergence', async () => {
    const rt = new Runtime(new ReplayScheduler([5]), 100);
    rt.spawn('T0', async (t) => {
      await rt.point(t);
    });
    const end = await rt.run();
    expect(end.kind).toBe('stopped');
    expect(end.kind === 'stopped' && end.reason).toBeInstanceOf(ReplayDivergence);
  });

  // Regression: the decision taken right after a thread finishes runs in the fulfilment
  // handler of the thread's promise; a divergence there must end the run, not escape as an
  // unhandled rejection that leaves run() pending.
  it('a divergence at the decision right after a thread finishes ends the run with ReplayDivergence', async () => {
    const unhandled: unknown[] = [];
    const saved = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    const catcher = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', catcher);
    try {
      // T0 finishes at its first step; T1 waits at points. Recorded: pick 0, pick 1, pick 1.
      const program = (rt: Runtime) => [
        async () => {},
        async (t: EThread) => {
          await rt.point(t);
        },
      ];
      const ok = new Runtime(new ReplayScheduler([0, 1, 1]), 100);
      expect(await runProgram(ok, program(ok))).toEqual({ kind: 'done', steps: 3 });
      // Tamper decision 1, taken when T0 has just finished.
      const rt = new Runtime(new ReplayScheduler([0, 0, 1]), 100);
      const p = runProgram(rt, program(rt));
      const end = await Promise.race([p, new Promise<'hung'>((res) => setTimeout(() => res('hung'), 200))]);
      expect(unhandled).toEqual([]);
      expect(end).not.toBe('hung');
      const d = divergence(end as RunEnd);
      expect(d.index).toBe(1);
      expect(d.enabled).toEqual([1]);
    } finally {
      await new Promise((res) => setTimeout(res, 10));
      process.removeListener('unhandledRejection', catcher);
      for (const l of saved) process.on('unhandledRejection', l as (...a: unknown[]) => void);
    }
  });

  it('a Runner execution replays from its recorded decisions with the same trace and ops', async () => {
    const wl: Workload = {
      topology: {
        iommus: [{ enforceCC: true, isolatedMsi: true }],
        groups: [{ iommu: 0, devices: [{ cacheCoherent: true, enforceCC: false, resv: [] }, { cacheCoherent: true, enforceCC: false, resv: [] }] }],
        ioas: [],
      },
      setup: [{ op: 'ioas_alloc', as: 'a' }, { op: 'ioas_alloc', as: 'b' }],
      threads: [
        [
          { op: 'bind', dev: 0 },
          { op: 'attach', dev: 0, pt: 'a' },
          { op: 'replace', dev: 0, pt: 'b' },
          { op: 'detach', dev: 0 },
        ],
        [
          { op: 'bind', dev: 1 },
          { op: 'attach', dev: 1, pt: 'a' },
          { op: 'destroy', id: 'b' },
        ],
        [{ op: 'mock_domain', pt: 'a', as: 'm' }, { op: 'destroy', id: 'm.stdev' }],
      ],
      faultDen: 4,
    };
    const opts = { profile: 'fixed' as const, variants: [], maxSteps: 20_000, atomicity: true };
    let checked = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const rec = await new Runner(opts).run(wl, new RandomScheduler(seed), true);
      const rep = await new Runner(opts).run(wl, new ReplayScheduler(rec.decisions!), true);
      expect(rep.decisions).toEqual(rec.decisions);
      expect(rep.steps).toBe(rec.steps);
      expect(rep.ops).toEqual(rec.ops);
      expect(rep.trace).toEqual(rec.trace);
      expect(rep.violation).toEqual(rec.violation);
      checked++;
    }
    expect(checked).toBe(10);
  });
});

// ---- stop and epochs ---------------------------------------------------------------------------

describe('stop and epochs', () => {
  it('stop() ends the run with its reason; parked threads are abandoned; later stops are ignored', async () => {
    const rt = new Runtime(new ScriptScheduler(roundRobin), 1000);
    let after = false;
    const end = await runProgram(rt, [
      async (t) => {
        await rt.point(t);
        rt.stop('first');
        rt.stop('second');
        // Any further scheduling point of a stopped run unwinds the thread.
        await expect(rt.point(t)).rejects.toBeInstanceOf(StopRun);
      },
      async (t) => {
        for (;;) {
          await rt.point(t);
          after = rt.stopped;
        }
      },
    ]);
    expect(end).toMatchObject({ kind: 'stopped', reason: 'first' });
    expect(rt.stopped).toBe(true);
    expect(after).toBe(false);
  });

  it('an error thrown by a thread stops the run with it as the reason', async () => {
    const rt = new Runtime(new RandomScheduler(1), 1000);
    const boom = new Error('boom');
    const end = await runProgram(rt, [
      async (t) => {
        await rt.point(t);
        throw boom;
      },
    ]);
    expect(end).toMatchObject({ kind: 'stopped', reason: boom });
  });

  it('threads unwinding with StopRun after a stop do not replace the stop reason', async () => {
    const rt = new Runtime(new ScriptScheduler(roundRobin), 1000);
    const unwound: string[] = [];
    const end = await runProgram(rt, [
      async (t) => {
        await rt.point(t);
        rt.stop('reason');
        try {
          await rt.point(t);
        } catch (e) {
          unwound.push(e instanceof StopRun ? 'T0 StopRun' : 'T0 other');
          throw e;
        }
      },
      async (t) => {
        await rt.point(t);
      },
    ]);
    await new Promise((res) => setTimeout(res, 0));
    expect(end).toMatchObject({ kind: 'stopped', reason: 'reason' });
    expect(unwound).toEqual(['T0 StopRun']);
    expect(rt.threads[0]!.done).toBe(true);
    // T1 stays parked: abandoned, never resumed.
    expect(rt.threads[1]!.done).toBe(false);
  });

  for (const [how, ending] of [
    ['reset', 'throws'],
    ['reset', 'returns'],
    ['beginPhase', 'throws'],
    ['beginPhase', 'returns'],
  ] as const) {
    it(`a run abandoned after a stop does not disturb the next run on the same Runtime (${how}; the old thread then ${ending})`, async () => {
      const sched = new RandomScheduler(1);
      const rt = new Runtime(sched, 10_000);
      let releaseOld!: () => void;
      const gate = new Promise<void>((res) => {
        releaseOld = res;
      });
      const oldEvents: string[] = [];

      // Run 1: T0 stops the run and stays alive (not parked at a point) until run 2 is under way.
      // T1 is parked at a point forever.
      const end1 = await runProgram(rt, [
        async (t) => {
          await rt.point(t);
          rt.stop('violation');
          await gate;
          // A point of the old epoch must not schedule anything in the new run.
          try {
            await rt.point(t);
            oldEvents.push('point returned');
          } catch (e) {
            oldEvents.push(e instanceof StopRun ? 'StopRun' : `other ${String(e)}`);
          }
          // Neither a late non-StopRun error nor a normal return of the old epoch may touch the new run.
          if (ending === 'throws') throw new Error('late error of the old run');
        },
        async (t) => {
          for (;;) await rt.point(t);
        },
      ]);
      expect(end1).toMatchObject({ kind: 'stopped', reason: 'violation' });

      // Run 2, same Runtime: the old T0 wakes up in the middle of it (same thread id 0).
      if (how === 'reset') rt.reset();
      else rt.beginPhase();
      sched.reseed(42);
      rt.decisions = [];
      const stepsBefore = rt.steps;
      const log: string[] = [];
      const progs = busyProgram(rt, log);
      const first = progs[0]!;
      progs[0] = async (t) => {
        releaseOld();
        await first(t);
      };
      const end2 = await runProgram(rt, progs);
      await new Promise((res) => setTimeout(res, 10));
      expect(oldEvents).toEqual(['StopRun']);

      // The same run on a fresh Runtime.
      const fresh = new Runtime(new RandomScheduler(42), 10_000);
      fresh.decisions = [];
      const freshLog: string[] = [];
      const freshEnd = await runProgram(fresh, busyProgram(fresh, freshLog));
      expect(end2.kind).toBe('done');
      expect(rt.decisions).toEqual(fresh.decisions);
      expect(log.map((l) => l.replace(/^\d+:/, ''))).toEqual(freshLog.map((l) => l.replace(/^\d+:/, '')));
      expect(rt.steps - stepsBefore).toBe(freshEnd.steps);
      expect(rt.threads.map((t) => t.steps)).toEqual(fresh.threads.map((t) => t.steps));
    });
  }

  it('beginPhase keeps the step count and the decision log across phases; reset clears them', async () => {
    const rt = new Runtime(new RandomScheduler(3), 1000);
    rt.decisions = [];
    const one = async (t: EThread) => {
      await rt.point(t);
    };
    await runProgram(rt, [one, one]);
    const n = rt.steps;
    const logged = rt.decisions.length;
    expect(n).toBe(4);
    rt.beginPhase();
    expect(rt.threads).toEqual([]);
    await runProgram(rt, [one]);
    expect(rt.steps).toBe(n + 2);
    expect(rt.decisions.length).toBe(logged + 2);
    rt.reset();
    expect(rt.steps).toBe(0);
    expect(rt.decisions).toEqual([]);
    expect(rt.stopped).toBe(false);
  });
});
