// PCT (schedulers/pct.ts) on small synthetic programs built directly on the Runtime: a depth-2
// and a depth-3 ordering bug hidden behind long runs of filler steps, which PCT finds far more
// often than uniform random scheduling and at least as often as its guarantee 1/(n*k^(d-1))
// says; determinism per seed; only enabled threads picked; priorities and change points.
// Counts over fixed seeds, never time.
import { describe, expect, it } from 'vitest';
import { EThread, Runtime, type RunEnd, type Waitable } from '../../schedulers/runtime.js';
import { RandomScheduler } from '../../schedulers/random.js';
import { PctScheduler } from '../../schedulers/pct.js';
import { deriveSeed } from '../../schedulers/prng.js';
import type { Scheduler } from '../../schedulers/scheduler.js';
import { scheduleSeed } from '../../runner/stress.js';

// ---- synthetic programs --------------------------------------------------------------------

type Body = (t: EThread) => Promise<void>;
interface Program {
  bodies: Body[];
  /** Did this run hit the bug? */
  hit(): boolean;
}

async function points(rt: Runtime, t: EThread, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await rt.point(t);
}

/**
 * Depth 2 (an atomicity violation: B's read must fall between two steps of A). A sets x = 1 at
 * its step 3 and x = 0 at its step 8; B reads x at its step 31 and the bug is seeing 1. Uniform
 * random would have to run B 31 times while A takes at most 7 steps; PCT needs A ahead of B and
 * its one change point on one of A's 5 steps that follow x = 1.
 */
const D2 = { pre: 2, window: 5, b: 30 };
const D2_STEPS = D2.pre + D2.window + 1 + D2.b + 1;
function depth2(rt: Runtime): Program {
  let x = 0;
  let seen = -1;
  return {
    bodies: [
      async (t) => {
        await points(rt, t, D2.pre);
        x = 1;
        await points(rt, t, D2.window);
        x = 0;
      },
      async (t) => {
        await points(rt, t, D2.b);
        seen = x;
      },
    ],
    hit: () => seen === 1,
  };
}

/**
 * Depth 3 (three ordering constraints, A -> B -> A -> B). A counts its steps in `a` (30 steps);
 * B records `a` at each of its 30 steps. The bug: B's first 10 steps all see the same a >= 1
 * (A started, then stood still: A.s_a -> B.1 and B.j -> A.s_(a+1) for some j >= 10), and later
 * A takes 10 or more steps between two consecutive steps of B (A.s_(a+10) -> B.(j+1)). Uniform
 * random needs B to run 10 steps in a row and then A 10 steps in a row; PCT needs A ahead, one
 * change point on A's first 20 steps and the other, of lower priority, on B's last 20.
 */
const D3 = { a: 30, aRun: 10, b: 30, bRun: 10 };
const D3_STEPS = D3.a + D3.b;
function depth3(rt: Runtime): Program {
  let a = 0;
  const seen: number[] = [];
  return {
    bodies: [
      async (t) => {
        a = 1;
        for (let i = 1; i < D3.a; i++) {
          await rt.point(t);
          a++;
        }
      },
      async (t) => {
        seen.push(a);
        for (let j = 1; j < D3.b; j++) {
          await rt.point(t);
          seen.push(a);
        }
      },
    ],
    hit: () => {
      if (seen[0]! < 1 || seen[D3.bRun - 1] !== seen[0]) return false;
      for (let j = D3.bRun; j < seen.length; j++) if (seen[j]! - seen[j - 1]! >= D3.aRun) return true;
      return false;
    },
  };
}

interface Reseedable extends Scheduler {
  reseed(seed: number): void;
}

interface Campaign {
  hits: number;
  /** Sum over the runs of PCT's per-run bound: the expected number of hits it guarantees. */
  guaranteed: number;
  steps: Set<number>;
}

/** Run `runs` schedules the way stress does: reseed from (seed, i), run, feed the step count back. */
async function campaign(sched: Reseedable, make: (rt: Runtime) => Program, runs: number, seed = 1): Promise<Campaign> {
  const rt = new Runtime(sched, 10_000);
  const out: Campaign = { hits: 0, guaranteed: 0, steps: new Set() };
  for (let i = 0; i < runs; i++) {
    rt.reset();
    sched.reseed(scheduleSeed(seed, i));
    const p = make(rt);
    p.bodies.forEach((b, j) => rt.spawn(`T${j}`, b));
    const end = await rt.run();
    expect(end.kind).toBe('done');
    out.steps.add(end.steps);
    if (p.hit()) out.hits++;
    if (sched instanceof PctScheduler) {
      out.guaranteed += sched.bound(p.bodies.length);
      sched.observe(end.steps);
    }
  }
  return out;
}

const RUNS = 500;

describe('PCT finds deep bugs that uniform random scheduling misses', () => {
  it('depth 2: PCT d=2 finds it several times more often than random, and at least as often as 1/(n*k)', async () => {
    const random = await campaign(new RandomScheduler(0), depth2, RUNS);
    const pct = new PctScheduler(0, 2);
    expect(pct.estimatedSteps).toBe(200);
    const found = await campaign(pct, depth2, RUNS);
    expect([...random.steps]).toEqual([D2_STEPS]);
    expect([...found.steps]).toEqual([D2_STEPS]);
    // The first run used the default estimate; every later one the observed k.
    expect(pct.estimatedSteps).toBe(D2_STEPS);
    expect(pct.bound(2)).toBeCloseTo(1 / (2 * D2_STEPS), 12);
    const expected = 1 / (2 * 200) + (RUNS - 1) / (2 * D2_STEPS);
    expect(found.guaranteed).toBeCloseTo(expected, 9);

    expect(found.hits).toBeGreaterThanOrEqual(4 * Math.max(1, random.hits));
    expect(found.hits).toBeGreaterThanOrEqual(found.guaranteed);
    // Measured on these seeds: random 0, pct(d=2) 27 (exact probability 5/(2k) = 0.064 for k = 39:
    // 32 expected), guaranteed 6.4. Over 20000 seeds: random 2, pct 1310.
    expect(random.hits).toBeLessThanOrEqual(2);
  });

  it('depth 3: PCT d=3 finds it several times more often than random, and at least as often as 1/(n*k^2); d=2 never', async () => {
    const random = await campaign(new RandomScheduler(0), depth3, RUNS);
    const pct3 = new PctScheduler(0, 3, D3_STEPS);
    const found = await campaign(pct3, depth3, RUNS);
    // One change point cannot give A -> B -> A -> B: PCT d=2 cannot find it, whatever the seed.
    const pct2 = await campaign(new PctScheduler(0, 2, D3_STEPS), depth3, RUNS);
    expect([...found.steps]).toEqual([D3_STEPS]);
    expect(pct3.bound(2)).toBeCloseTo(1 / (2 * D3_STEPS * D3_STEPS), 12);
    expect(found.guaranteed).toBeCloseTo(RUNS / (2 * D3_STEPS * D3_STEPS), 9);

    expect(found.hits).toBeGreaterThanOrEqual(4 * Math.max(1, random.hits));
    expect(found.hits).toBeGreaterThanOrEqual(found.guaranteed);
    expect(pct2.hits).toBe(0);
    // Measured on these seeds: random 0, pct(d=3) 23 (exact probability 20*20/(2*60*59) = 0.0565:
    // 28 expected), guaranteed 500/(2*60^2) = 0.07. Over 20000 seeds: random 1, pct 1152.
    expect(random.hits).toBeLessThanOrEqual(2);
  });
});

// ---- determinism -----------------------------------------------------------------------------

/** Mutex-like Waitable: enabledness depends on the schedule. */
class Lock implements Waitable {
  owner = -1;
  constructor(readonly name: string) {}
  canAcquire(_mode: number, t: EThread): boolean {
    return this.owner === -1 || this.owner === t.id;
  }
  holderIds(): number[] {
    return this.owner === -1 ? [] : [this.owner];
  }
}

/** Threads that lock, draw, step, unlock, over a couple of locks. */
function lockingProgram(rt: Runtime, threads: number, log: string[]): Body[] {
  const locks = [new Lock('a'), new Lock('b')];
  return Array.from({ length: threads }, (_, id) => async (t: EThread) => {
    for (let round = 0; round < 3; round++) {
      const l = locks[(id + round) % 2]!;
      await rt.waitFor(t, l, 1);
      l.owner = t.id;
      log.push(`${rt.steps}:T${t.id} holds ${l.name}`);
      await rt.point(t);
      const v = rt.draw(3);
      log.push(`T${t.id} drew ${v}`);
      l.owner = -1;
      await rt.point(t);
    }
  });
}

async function recordPct(seed: number, depth = 3, threads = 3): Promise<{ end: RunEnd; decisions: number[]; log: string[] }> {
  const rt = new Runtime(new PctScheduler(seed, depth, 40), 10_000);
  rt.decisions = [];
  const log: string[] = [];
  lockingProgram(rt, threads, log).forEach((b, i) => rt.spawn(`T${i}`, b));
  const end = await rt.run();
  return { end, decisions: rt.decisions, log };
}

describe('determinism', () => {
  it('the same seed gives the same decisions (picks and draws) and the same run', async () => {
    for (const seed of [1, 2, 3, 1234, 0xdeadbeef]) {
      const first = await recordPct(seed);
      expect(first.end.kind).toBe('done');
      expect(first.decisions.some((d) => d < 0)).toBe(true);
      for (let i = 0; i < 5; i++) {
        const again = await recordPct(seed);
        expect(again.decisions).toEqual(first.decisions);
        expect(again.log).toEqual(first.log);
        expect(again.end).toEqual(first.end);
      }
    }
  });

  it('a reused scheduler (reseed) and Runtime (reset) repeat a fresh run', async () => {
    const fresh = await recordPct(77);
    const sched = new PctScheduler(5, 3, 40);
    const rt = new Runtime(sched, 10_000);
    for (let i = 0; i < 5; i++) {
      rt.reset();
      // A different run in between must leave no trace.
      sched.reseed(i);
      rt.decisions = [];
      lockingProgram(rt, 3, []).forEach((b, j) => rt.spawn(`T${j}`, b));
      await rt.run();

      rt.reset();
      sched.reseed(77);
      rt.decisions = [];
      const log: string[] = [];
      lockingProgram(rt, 3, log).forEach((b, j) => rt.spawn(`T${j}`, b));
      const end = await rt.run();
      expect(end).toEqual(fresh.end);
      expect(rt.decisions).toEqual(fresh.decisions);
      expect(log).toEqual(fresh.log);
    }
  });

  it('different seeds give different schedules', async () => {
    const logs = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) logs.add(JSON.stringify((await recordPct(seed)).decisions));
    expect(logs.size).toBeGreaterThanOrEqual(25);
  });

  it('priorities follow thread ids across phases: beginPhase keeps the step count and the priorities', async () => {
    const run = async () => {
      const sched = new PctScheduler(9, 3, 30);
      const rt = new Runtime(sched, 10_000);
      rt.decisions = [];
      const log: string[] = [];
      rt.spawn('setup', async (t) => points(rt, t, 3));
      await rt.run();
      const afterSetup = sched.priority(0);
      rt.beginPhase();
      lockingProgram(rt, 3, log).forEach((b, j) => rt.spawn(`T${j}`, b));
      await rt.run();
      rt.beginPhase();
      rt.spawn('teardown', async (t) => points(rt, t, 2));
      const end = await rt.run();
      return { afterSetup, decisions: rt.decisions, end, prio: [0, 1, 2].map((id) => sched.priority(id)) };
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    // One step count across the three phases; thread id 0 keeps the priority it got in setup
    // unless a change point lowered it in a later phase.
    expect(a.end.steps).toBe(a.decisions.filter((d) => d >= 0).length);
    expect(a.afterSetup).toBeGreaterThanOrEqual(1);
    expect(new Set(a.prio).size).toBe(3);
  });
});

// ---- enabledness -----------------------------------------------------------------------------

class ProbedPct extends PctScheduler {
  bad = 0;
  picks = 0;
  override nextThread(enabled: Int32Array, n: number): number {
    const pick = super.nextThread(enabled, n);
    this.picks++;
    if (!Array.from(enabled.subarray(0, n)).includes(pick)) this.bad++;
    return pick;
  }
}

describe('PCT always picks an enabled thread', () => {
  it('over many seeds, depths and thread counts, with threads blocking on locks', async () => {
    let picks = 0;
    for (let seed = 1; seed <= 60; seed++) {
      for (const depth of [1, 2, 3, 5]) {
        const sched = new ProbedPct(seed, depth, 1 + (seed % 7) * 20);
        const rt = new Runtime(sched, 10_000);
        lockingProgram(rt, 2 + (seed % 5), []).forEach((b, j) => rt.spawn(`T${j}`, b));
        const end = await rt.run();
        expect(end.kind).toBe('done');
        expect(sched.bad).toBe(0);
        picks += sched.picks;
      }
    }
    expect(picks).toBeGreaterThan(5_000);
  });

  it('more than 64 threads: priorities grow lazily, still distinct', async () => {
    const sched = new ProbedPct(3, 3, 300);
    const rt = new Runtime(sched, 10_000);
    let done = 0;
    for (let i = 0; i < 70; i++) {
      rt.spawn(`T${i}`, async (t) => {
        await points(rt, t, 2);
        done++;
      });
    }
    const end = await rt.run();
    expect(end).toEqual({ kind: 'done', steps: 210 });
    expect(done).toBe(70);
    expect(sched.bad).toBe(0);
    const prio = Array.from({ length: 70 }, (_, id) => sched.priority(id));
    expect(new Set(prio).size).toBe(70);
  });
});

// ---- the algorithm ------------------------------------------------------------------------

/** Call nextThread `steps` times with a fixed enabled set. */
function drive(sched: PctScheduler, ids: number[], steps: number): number[] {
  const enabled = Int32Array.from(ids);
  return Array.from({ length: steps }, () => sched.nextThread(enabled, ids.length));
}

describe('priorities and change points', () => {
  it('d-1 distinct change points in [1, k]; none for d = 1; repeats only when k < d-1', () => {
    for (let seed = 0; seed < 200; seed++) {
      for (const [d, k] of [
        [1, 50],
        [2, 50],
        [3, 50],
        [4, 3],
        [5, 10],
      ] as const) {
        const s = new PctScheduler(seed, d, k);
        const cps = s.changePoints;
        expect(cps.length).toBe(d - 1);
        for (const c of cps) {
          expect(c).toBeGreaterThanOrEqual(1);
          expect(c).toBeLessThanOrEqual(k);
        }
        expect(new Set(cps).size).toBe(cps.length);
      }
      const tight = new PctScheduler(seed, 6, 2);
      expect(tight.changePoints.length).toBe(5);
      expect(tight.changePoints.every((c) => c === 1 || c === 2)).toBe(true);
    }
  });

  it('initial priorities are d..d+n-1, a uniform random permutation (counts over 3000 seeds)', () => {
    const orders = new Map<string, number>();
    for (let seed = 0; seed < 3000; seed++) {
      const s = new PctScheduler(deriveSeed(11, seed), 4, 1000);
      // A change point at step 1 would lower the first pick at once: leave those seeds out.
      if (s.changePoints.includes(1)) continue;
      s.nextThread(Int32Array.from([0, 1, 2]), 3);
      const prio = [0, 1, 2].map((id) => s.priority(id));
      expect([...prio].sort()).toEqual([4, 5, 6]);
      const key = prio.join(',');
      orders.set(key, (orders.get(key) ?? 0) + 1);
    }
    expect(orders.size).toBe(6);
    for (const n of orders.values()) {
      expect(n).toBeGreaterThan(400);
      expect(n).toBeLessThan(600);
    }
  });

  it('the highest-priority enabled thread runs; at change point k_i the thread that would run drops to d-i', () => {
    for (let seed = 0; seed < 300; seed++) {
      const d = 4;
      const s = new PctScheduler(seed, d, 30);
      const cps = s.changePoints;
      const picks = drive(s, [0, 1, 2, 3, 4], 30);
      for (let step = 2; step <= 30; step++) {
        const switched = picks[step - 1] !== picks[step - 2];
        // With 5 threads always enabled and at most 3 lowered, the pick changes exactly at the change points.
        expect(switched).toBe(cps.includes(step));
      }
      for (let i = 1; i < d; i++) {
        const c = cps[i - 1]!;
        // The thread lowered at k_i is the one that would have run step k_i.
        const lowered = c === 1 ? -1 : picks[c - 2]!;
        if (lowered >= 0) expect(s.priority(lowered)).toBe(d - i);
      }
      // Three change points lower three distinct threads (each time the top one, never a lowered
      // one while an unlowered thread is enabled); the other two keep their initial priority.
      expect([0, 1, 2, 3, 4].filter((id) => s.priority(id) >= d).length).toBe(2);
      // Every pick was the enabled thread of highest priority at the end.
      expect(s.priority(picks[29]!)).toBe(Math.max(...[0, 1, 2, 3, 4].map((id) => s.priority(id))));
    }
  });

  it('without change points (d = 1) one thread runs as long as it is enabled, then the next by priority', () => {
    const s = new PctScheduler(42, 1, 100);
    const first = drive(s, [0, 1, 2], 10);
    expect(new Set(first).size).toBe(1);
    const top = first[0]!;
    const rest = [0, 1, 2].filter((id) => id !== top);
    const next = drive(s, rest, 5);
    expect(new Set(next).size).toBe(1);
    expect(s.priority(next[0]!)).toBe(Math.max(...rest.map((id) => s.priority(id))));
  });

  it('reseed starts a new execution: same seed, same picks; the step count restarts', () => {
    const s = new PctScheduler(1, 3, 20);
    s.reseed(99);
    const a = drive(s, [0, 1, 2], 20);
    const cps = [...s.changePoints];
    s.reseed(99);
    expect(s.changePoints).toEqual(cps);
    expect(drive(s, [0, 1, 2], 20)).toEqual(a);
    // newExecution without a reseed draws a new execution from the running PRNG.
    expect(s.newExecution()).toBe(true);
    expect(s.changePoints.length).toBe(2);
  });

  it('draw uses the seeded PRNG: in range and reproducible', () => {
    const a = new PctScheduler(5);
    const b = new PctScheduler(5);
    const xs = Array.from({ length: 200 }, () => a.draw(7));
    expect(Array.from({ length: 200 }, () => b.draw(7))).toEqual(xs);
    expect(xs.every((v) => v >= 0 && v < 7)).toBe(true);
    expect(new Set(xs).size).toBe(7);
    expect(a.draw(1)).toBe(0);
  });
});

describe('step estimate and bound', () => {
  it('name, defaults, and the bound 1/(n*k^(d-1)) of the last execution', () => {
    const s = new PctScheduler(1);
    expect(s.name).toBe('pct(d=3)');
    expect(s.depth).toBe(3);
    expect(s.estimatedSteps).toBe(200);
    expect(s.bound(4)).toBeCloseTo(1 / (4 * 200 * 200), 15);
    expect(new PctScheduler(1, 2, 50).bound(3)).toBeCloseTo(1 / 150, 15);
    expect(new PctScheduler(1, 1, 50).bound(3)).toBeCloseTo(1 / 3, 15);
    expect(new PctScheduler(1, 4, 10).name).toBe('pct(d=4)');
    expect(() => new PctScheduler(1, 0)).toThrow(RangeError);
  });

  it('observe: the first observation replaces the prior, later ones keep the maximum; resetEstimate starts again', () => {
    const s = new PctScheduler(1, 3, 200);
    s.observe(40);
    expect(s.estimatedSteps).toBe(40);
    s.observe(30);
    expect(s.estimatedSteps).toBe(40);
    s.observe(55);
    expect(s.estimatedSteps).toBe(55);
    // The bound is that of the execution already started (k = 200), until the next one starts.
    expect(s.bound(2)).toBeCloseTo(1 / (2 * 200 * 200), 15);
    s.reseed(3);
    expect(s.executionSteps).toBe(55);
    expect(s.changePoints.every((c) => c <= 55)).toBe(true);
    expect(s.bound(2)).toBeCloseTo(1 / (2 * 55 * 55), 15);

    s.resetEstimate(120);
    expect(s.estimatedSteps).toBe(120);
    s.observe(10);
    expect(s.estimatedSteps).toBe(10);
    s.resetEstimate();
    expect(s.estimatedSteps).toBe(10);
    s.observe(0);
    expect(s.estimatedSteps).toBe(1);
  });
});
