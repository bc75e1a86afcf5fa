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
it('tune', async () => {
  const out: string[] = [];
  for (const [name, make, d] of [['d2', depth2, 2], ['d3', depth3, 3]] as const) {
    const r = await campaign(new RandomScheduler(0), make, RUNS);
    const p = await campaign(new PctScheduler(0, d), make, RUNS);
    const p2 = await campaign(new PctScheduler(0, 2), make, RUNS);
    const p3 = await campaign(new PctScheduler(0, 3), make, RUNS);
    const p4 = await campaign(new PctScheduler(0, 4), make, RUNS);
    const rb = await campaign(new RandomScheduler(0), make, 20000, 5);
    const pb = await campaign(new PctScheduler(0, d), make, 20000, 5);
    out.push(`${name} steps=${[...r.steps]} random=${r.hits} pct(d=${d})=${p.hits} guaranteed=${p.guaranteed.toFixed(3)} | pct2=${p2.hits} pct3=${p3.hits} pct4=${p4.hits} | 20000: random=${rb.hits} pct=${pb.hits} guaranteed=${pb.guaranteed.toFixed(2)}`);
  }
  console.log(out.join('\n'));
}, 600_000);
