// The portfolio scheduler (schedulers/portfolio.ts): execution i runs strategy i mod 4 of
// [random, pct(d=2), pct(d=3), pct(d=4)], reseeded from the schedule seed, so execution i is a
// function of (seed, i) alone; step observations reach the PCT members. Counts over fixed seeds.
import { describe, expect, it } from 'vitest';
import { EThread, Runtime, type Waitable } from '../../schedulers/runtime.js';
import { RandomScheduler } from '../../schedulers/random.js';
import { PctScheduler } from '../../schedulers/pct.js';
import { PortfolioScheduler } from '../../schedulers/portfolio.js';
import type { Scheduler } from '../../schedulers/scheduler.js';
import { scheduleSeed } from '../../runner/stress.js';

const NAMES = ['random', 'pct(d=2)', 'pct(d=3)', 'pct(d=4)'];

// ---- programs ----------------------------------------------------------------------------

type Body = (t: EThread) => Promise<void>;

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

/** Three threads locking two locks in turn, drawing numbers: schedule-dependent enabledness and draws. */
function lockingProgram(rt: Runtime, log: string[]): Body[] {
  const locks = [new Lock('a'), new Lock('b')];
  return Array.from({ length: 3 }, (_, id) => async (t: EThread) => {
    for (let round = 0; round < 3; round++) {
      const l = locks[(id + round) % 2]!;
      await rt.waitFor(t, l, 1);
      l.owner = t.id;
      log.push(`${rt.steps}:T${t.id} holds ${l.name}`);
      await rt.point(t);
      log.push(`T${t.id} drew ${rt.draw(4)}`);
      l.owner = -1;
      await rt.point(t);
    }
  });
}

/** One execution: its decision log and its own log. */
async function execute(sched: Scheduler, rt = new Runtime(sched, 10_000)): Promise<string> {
  rt.reset();
  rt.scheduler = sched;
  rt.decisions = [];
  const log: string[] = [];
  lockingProgram(rt, log).forEach((b, j) => rt.spawn(`T${j}`, b));
  const end = await rt.run();
  expect(end.kind).toBe('done');
  return JSON.stringify({ decisions: rt.decisions, log });
}

/** The depth-3 bug of pct.test.ts: B sees A stand still for 10 steps, later jump by 10 or more. */
function depth3(rt: Runtime): { bodies: Body[]; hit: () => boolean } {
  let a = 0;
  const seen: number[] = [];
  return {
    bodies: [
      async (t) => {
        a = 1;
        for (let i = 1; i < 30; i++) {
          await rt.point(t);
          a++;
        }
      },
      async (t) => {
        seen.push(a);
        for (let j = 1; j < 30; j++) {
          await rt.point(t);
          seen.push(a);
        }
      },
    ],
    hit: () => {
      if (seen[0]! < 1 || seen[9] !== seen[0]) return false;
      for (let j = 10; j < seen.length; j++) if (seen[j]! - seen[j - 1]! >= 10) return true;
      return false;
    },
  };
}

// ---- tests -------------------------------------------------------------------------------

describe('portfolio', () => {
  it('cycles through random, pct(d=2), pct(d=3), pct(d=4): execution i runs strategy i mod 4', () => {
    const p = new PortfolioScheduler(0);
    expect(p.name).toBe('portfolio');
    expect(p.strategies.map((s) => s.name)).toEqual(NAMES);
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      p.reseed(scheduleSeed(3, i), i);
      expect(p.currentIndex).toBe(i % 4);
      expect(p.current).toBe(p.strategyFor(i));
      seen.push(p.current.name);
    }
    expect(seen).toEqual([...NAMES, ...NAMES, ...NAMES]);
    // Out of order too: the index alone decides.
    p.reseed(scheduleSeed(3, 6), 6);
    expect(p.current.name).toBe('pct(d=3)');
    p.reseed(scheduleSeed(3, 1), 1);
    expect(p.current.name).toBe('pct(d=2)');
  });

  it('without an index it counts executions; the same seed again re-runs the same strategy', () => {
    const p = new PortfolioScheduler(0);
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      const ss = scheduleSeed(9, i);
      p.reseed(ss);
      names.push(p.current.name);
      // stress re-runs a schedule that found something with the same seed.
      if (i % 3 === 1) {
        p.reseed(ss);
        expect(p.current.name).toBe(names[i]);
      }
    }
    expect(names).toEqual([...NAMES, ...NAMES]);
  });

  it('is deterministic per (seed, i): the same decisions in a campaign, alone, in any order, and as the bare strategy', async () => {
    const seed = 21;
    const rt = new Runtime(new RandomScheduler(0), 10_000);
    const campaign = new PortfolioScheduler(0);
    const logs: string[] = [];
    for (let i = 0; i < 12; i++) {
      campaign.reseed(scheduleSeed(seed, i), i);
      logs.push(await execute(campaign, rt));
    }
    // Different executions differ (different seeds, different strategies).
    expect(new Set(logs).size).toBe(12);
    for (let i = 11; i >= 0; i--) {
      const alone = new PortfolioScheduler(12345);
      alone.reseed(scheduleSeed(seed, i), i);
      expect(await execute(alone)).toBe(logs[i]);
      const bare = i % 4 === 0 ? new RandomScheduler(7) : new PctScheduler(7, (i % 4) + 1);
      bare.reseed(scheduleSeed(seed, i));
      expect(await execute(bare)).toBe(logs[i]);
    }
    // Re-running an execution with the same seed (no index) repeats it.
    const again = new PortfolioScheduler(0);
    for (let i = 0; i < 6; i++) {
      again.reseed(scheduleSeed(seed, i));
      const first = await execute(again, rt);
      expect(first).toBe(logs[i]);
      again.reseed(scheduleSeed(seed, i));
      expect(await execute(again, rt)).toBe(first);
    }
  });

  it('delegates every decision to the current strategy', () => {
    const p = new PortfolioScheduler(0);
    const enabled = Int32Array.from([0, 2, 5]);
    for (let i = 0; i < 8; i++) {
      const ss = scheduleSeed(4, i);
      p.reseed(ss, i);
      const bare = i % 4 === 0 ? new RandomScheduler(0) : new PctScheduler(0, (i % 4) + 1);
      bare.reseed(ss);
      for (let s = 0; s < 50; s++) {
        const pick = p.nextThread(enabled, 3);
        expect(pick).toBe(bare.nextThread(enabled, 3));
        expect([0, 2, 5]).toContain(pick);
        expect(p.draw(6)).toBe(bare.draw(6));
      }
      expect(p.newExecution()).toBe(true);
    }
  });

  it('observe and resetEstimate reach every PCT member', () => {
    const p = new PortfolioScheduler(0, 150);
    const pcts = p.strategies.slice(1) as PctScheduler[];
    expect(pcts.map((s) => s.estimatedSteps)).toEqual([150, 150, 150]);
    p.observe(60);
    p.observe(45);
    expect(pcts.map((s) => s.estimatedSteps)).toEqual([60, 60, 60]);
    p.reseed(1, 2);
    expect((p.current as PctScheduler).executionSteps).toBe(60);
    expect((p.current as PctScheduler).bound(2)).toBeCloseTo(1 / (2 * 60 * 60), 15);
    p.resetEstimate(300);
    expect(pcts.map((s) => s.estimatedSteps)).toEqual([300, 300, 300]);
    p.observe(80);
    expect(pcts.map((s) => s.estimatedSteps)).toEqual([80, 80, 80]);
  });

  it('finds the depth-3 bug that uniform random misses (500 executions, counts)', async () => {
    const run = async (sched: PortfolioScheduler | RandomScheduler) => {
      const rt = new Runtime(sched, 10_000);
      let hits = 0;
      const byStrategy = [0, 0, 0, 0];
      for (let i = 0; i < 500; i++) {
        rt.reset();
        if (sched instanceof PortfolioScheduler) sched.reseed(scheduleSeed(1, i), i);
        else sched.reseed(scheduleSeed(1, i));
        const prog = depth3(rt);
        prog.bodies.forEach((b, j) => rt.spawn(`T${j}`, b));
        const end = await rt.run();
        expect(end).toEqual({ kind: 'done', steps: 60 });
        if (sched instanceof PortfolioScheduler) sched.observe(end.steps);
        if (prog.hit()) {
          hits++;
          if (sched instanceof PortfolioScheduler) byStrategy[sched.currentIndex]!++;
        }
      }
      return { hits, byStrategy };
    };
    const random = await run(new RandomScheduler(0));
    const portfolio = await run(new PortfolioScheduler(0));
    expect(portfolio.hits).toBeGreaterThanOrEqual(4 * Math.max(1, random.hits));
    // Only depth >= 3 can: one change point is not enough, and random is hopeless here.
    expect(portfolio.byStrategy[0]).toBe(0);
    expect(portfolio.byStrategy[1]).toBe(0);
    expect(portfolio.byStrategy[2]! + portfolio.byStrategy[3]!).toBe(portfolio.hits);
  });
});
