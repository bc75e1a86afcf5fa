// How a campaign is split (shards, chunks) and how parts merge: every schedule exactly once,
// whole windows, and merges that do not depend on the order of the parts.
import { describe, expect, it } from 'vitest';
import { chunkSize, chunkTarget, indexAt, parseShard, schedulesOf, windowChunks, type Shard } from '../../runner/partition.js';
import { lowestDistinct, sumOutcomes, unionCoverage, type PartCoverage } from '../../runner/merge.js';

function indices(runs: number, every: number, shard: Shard | null, target: number): number[] {
  return windowChunks(runs, every, shard, target).flatMap((c) => c.ranges.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i)));
}

describe('partition', () => {
  it.each([
    [1000, 8, 3, 100],
    [997, 8, 4, 64],
    [20, 8, 5, 8],
    [5, 16, 2, 1],
    [45_000, 8, 7, 1024],
  ])('runs %i, every %i, %i shards, chunks of ~%i: each schedule once, in order, whole windows', (runs, every, n, target) => {
    const all: number[] = [];
    for (let k = 1; k <= n; k++) {
      const shard = { index: k, count: n };
      const mine = indices(runs, every, shard, target);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
      expect(mine.length).toBe(schedulesOf(runs, every, shard));
      // A window belongs to one shard: every schedule of its window is here too (below runs).
      for (const i of mine) expect(Math.floor(i / every) % n).toBe(k - 1);
      all.push(...mine);
    }
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: runs }, (_, i) => i));
    expect(indices(runs, every, null, target)).toEqual(Array.from({ length: runs }, (_, i) => i));
  });

  it('chunks hold whole windows, and indexAt walks their ranges', () => {
    const chunks = windowChunks(100, 8, { index: 2, count: 3 }, 20);
    for (const c of chunks) {
      for (const [a, b] of c.ranges) {
        expect(a % 8).toBe(0);
        expect(b % 8 === 0 || b === 100).toBe(true);
      }
      expect(indexAt(c, 0)).toBe(c.ranges[0]![0]);
      expect(indexAt(c, chunkSize(c))).toBe(Infinity);
    }
    expect(chunks[0]!.ranges).toEqual([
      [8, 16],
      [32, 40],
    ]);
  });

  it('a shard with no window gets no chunk', () => {
    expect(windowChunks(16, 8, { index: 3, count: 3 }, 8)).toEqual([]);
    expect(schedulesOf(16, 8, { index: 3, count: 3 })).toBe(0);
  });

  it('chunk targets: a few chunks per worker, never more than 1024 schedules', () => {
    expect(chunkTarget(100, 2)).toBe(7);
    expect(chunkTarget(10_000_000, 2)).toBe(1024);
    expect(chunkTarget(1, 8)).toBe(1);
  });

  it.each([
    ['1/3', { index: 1, count: 3 }],
    [' 3 / 3 ', { index: 3, count: 3 }],
    ['0/3', /K must be from 1 to 3/],
    ['4/3', /K must be from 1 to 3/],
    ['1/0', /N must be at least 1/],
    ['abc', /expected K\/N/],
    ['2', /expected K\/N/],
    ['-1/3', /expected K\/N/],
  ])('parseShard(%j)', (s, want) => {
    const r = parseShard(s);
    if (want instanceof RegExp) expect(r).toMatch(want);
    else expect(r).toEqual(want);
  });
});

describe('merge', () => {
  const cov = (missedStates: string[], missedTransitions: string[]): PartCoverage => ({
    machine: 'm',
    states: { hit: 5 - missedStates.length, total: 5, missed: missedStates },
    transitions: { hit: 9 - missedTransitions.length, total: 9, missed: missedTransitions },
  });

  it('coverage: the union of what each part hit, in table order, whatever the order of the parts', () => {
    const a = cov(['s1', 's3', 's4'], ['t0', 't2']);
    const b = cov(['s3', 's4'], ['t1', 't2']);
    const want = cov(['s3', 's4'], ['t2']);
    expect(unionCoverage(a, b)).toEqual(want);
    expect(unionCoverage(b, a)).toEqual(want);
    expect(() => unionCoverage(a, { ...b, machine: 'other' })).toThrow(/cannot merge/);
  });

  it('outcomes add up and come out in one order', () => {
    const x = { bind: { EBUSY: 1, ok: 2 }, attach: { ok: 1 } };
    const y = { attach: { ENOENT: 3, ok: 1 } };
    const m = sumOutcomes([x, y]);
    expect(m).toEqual({ bind: { ok: 2, EBUSY: 1 }, attach: { ok: 2, ENOENT: 3 } });
    expect(JSON.stringify(sumOutcomes([y, x]))).toBe(JSON.stringify(m));
    expect(Object.keys(m)).toEqual(['bind', 'attach']);
  });

  it('distinct violations: the lowest index of each key, in index order; firstOnly keeps the lowest of all', () => {
    const items = [
      { k: 'b', i: 40 },
      { k: 'a', i: 30 },
      { k: 'b', i: 12 },
      { k: 'a', i: 31 },
    ];
    const key = (t: { k: string }) => t.k;
    const index = (t: { i: number }) => t.i;
    expect(lowestDistinct(items, key, index)).toEqual([
      { k: 'b', i: 12 },
      { k: 'a', i: 30 },
    ]);
    expect(lowestDistinct([...items].reverse(), key, index)).toEqual(lowestDistinct(items, key, index));
    expect(lowestDistinct(items, key, index, true)).toEqual([{ k: 'b', i: 12 }]);
  });
});
