import { describe, it, expect } from 'vitest';
import { Lockdep, LockClasses, type LockRef, type LockMode } from '../../engine/locks/lockdep.js';

function setup(maxThreads = 4) {
  const classes = new LockClasses();
  const dep = new Lockdep(classes, maxThreads);
  const lock = (cls: string, name: string): LockRef => ({ cls: classes.intern(cls), name });
  let step = 0;
  /** Blocking acquire as the engine does it: check first, then mark held. */
  const take = (t: number, l: LockRef, mode: LockMode = 1) => {
    const s = step++;
    const r = dep.beforeAcquire(t, l, mode, s);
    dep.acquired(t, l, mode, false, s);
    return r;
  };
  const trylock = (t: number, l: LockRef, mode: LockMode = 1) => {
    dep.acquired(t, l, mode, true, step++);
  };
  return { classes, dep, lock, take, trylock };
}

const pairs = (dep: Lockdep) => dep.edges().map((e) => `${e.from}->${e.to}`);

describe('LockClasses', () => {
  it('interns names to stable small ids and caps at 32', () => {
    const c = new LockClasses();
    expect(c.intern('a')).toBe(0);
    expect(c.intern('b')).toBe(1);
    expect(c.intern('a')).toBe(0);
    expect(c.name(1)).toBe('b');
    expect(c.size).toBe(2);
    for (let i = 2; i < 32; i++) c.intern(`c${i}`);
    expect(c.size).toBe(32);
    expect(c.intern('c31')).toBe(31);
    expect(() => c.intern('one-too-many')).toThrow();
  });
});

describe('Lockdep', () => {
  it('reports a real ABBA across two threads as circular with both edges', () => {
    const { dep, lock, take } = setup();
    const a = lock('ioas->mutex', 'ioas#1->mutex');
    const b = lock('hwpt->mutex', 'hwpt#2->mutex');
    expect(take(0, a)).toBeNull();
    expect(take(0, b)).toBeNull();
    dep.released(0, b);
    dep.released(0, a);

    expect(take(1, b)).toBeNull();
    const r = take(1, a);
    expect(r).not.toBeNull();
    expect(r!.kind).toBe('circular');
    expect(r!.thread).toBe(1);
    expect(r!.acquiring).toEqual({ lock: 'ioas#1->mutex', cls: 'ioas->mutex', mode: 'write' });
    expect(r!.held.map((h) => h.lock)).toEqual(['hwpt#2->mutex']);
    expect(r!.chain.map((e) => [e.from, e.to])).toEqual([
      ['ioas->mutex', 'hwpt->mutex'],
      ['hwpt->mutex', 'ioas->mutex'],
    ]);
    expect(r!.chain[0]!.thread).toBe(0);
    expect(r!.chain[1]!.thread).toBe(1);
    expect(r!.message).toContain('possible circular locking dependency detected');
    expect(r!.message).toContain('ioas->mutex');
    expect(r!.message).toContain('hwpt->mutex');
    expect(r!.message).toContain('hwpt#2->mutex');
  });

  it('is silent when both threads use the same order', () => {
    const { dep, lock, take } = setup();
    const a = lock('A', 'a#1');
    const b = lock('B', 'b#1');
    const a2 = lock('A', 'a#2');
    const b2 = lock('B', 'b#2');
    expect(take(0, a)).toBeNull();
    expect(take(1, a2, 0)).toBeNull();
    expect(take(0, b)).toBeNull();
    expect(take(1, b2)).toBeNull();
    dep.released(0, b);
    dep.released(1, b2);
    dep.released(0, a);
    dep.released(1, a2);
    expect(take(0, a)).toBeNull();
    expect(take(0, b)).toBeNull();
    expect(pairs(dep)).toEqual(['A->B']);
  });

  it('per-type destroy_rwsem classes avoid the recursive false positive; one shared class does not', () => {
    {
      const { dep, lock, trylock } = setup();
      const selftest = lock('destroy_rwsem:SELFTEST', 'selftest#4->destroy_rwsem');
      const hwpt = lock('destroy_rwsem:HW_PAGETABLE', 'hwpt#5->destroy_rwsem');
      trylock(0, selftest, 0);
      expect(dep.beforeAcquire(0, hwpt, 1, 10)).toBeNull();
      expect(pairs(dep)).toEqual(['destroy_rwsem:SELFTEST->destroy_rwsem:HW_PAGETABLE']);
    }
    {
      const { dep, lock, trylock } = setup();
      const selftest = lock('destroy_rwsem', 'selftest#4->destroy_rwsem');
      const hwpt = lock('destroy_rwsem', 'hwpt#5->destroy_rwsem');
      trylock(0, selftest, 0);
      const r = dep.beforeAcquire(0, hwpt, 1, 10);
      expect(r).not.toBeNull();
      expect(r!.kind).toBe('recursive');
      expect(r!.acquiring).toEqual({ lock: 'hwpt#5->destroy_rwsem', cls: 'destroy_rwsem', mode: 'write' });
      expect(r!.held).toEqual([
        { lock: 'selftest#4->destroy_rwsem', cls: 'destroy_rwsem', mode: 'read', trylock: true, step: 0 },
      ]);
      expect(r!.chain).toHaveLength(1);
      expect(r!.chain[0]).toMatchObject({
        from: 'destroy_rwsem',
        to: 'destroy_rwsem',
        heldLock: 'selftest#4->destroy_rwsem',
        acquiredLock: 'hwpt#5->destroy_rwsem',
      });
      expect(r!.message).toContain('possible recursive locking detected');
      expect(r!.message).toContain('selftest#4->destroy_rwsem');
      expect(r!.message).toContain('hwpt#5->destroy_rwsem');
      // A recursion is not an ordering fact, so no self-edge pollutes the graph.
      expect(dep.edges()).toEqual([]);
    }
  });

  it('a trylock never reports, adds no edge into its class, but is a source of edges while held', () => {
    const { dep, lock, take, trylock } = setup();
    const a = lock('A', 'a#1');
    const b = lock('B', 'b#1');
    const c = lock('C', 'c#1');
    // Establish B -> A, then trylock B while holding A: an inversion only if B blocked.
    expect(take(0, b)).toBeNull();
    expect(take(0, a)).toBeNull();
    dep.released(0, a);
    dep.released(0, b);
    expect(pairs(dep)).toEqual(['B->A']);

    expect(take(1, a)).toBeNull();
    trylock(1, b);
    expect(pairs(dep)).toEqual(['B->A']);
    // Trylocking a second lock of an already-held class is not recursion either.
    trylock(1, lock('A', 'a#2'));
    expect(dep.held(1).map((h) => [h.lock.name, h.trylock])).toEqual([
      ['a#1', false],
      ['b#1', true],
      ['a#2', true],
    ]);

    expect(take(1, c)).toBeNull();
    expect(pairs(dep).sort()).toEqual(['A->C', 'B->A', 'B->C']);
    const bc = dep.edges().find((e) => e.from === 'B' && e.to === 'C')!;
    expect(bc).toMatchObject({ thread: 1, heldLock: 'b#1', acquiredLock: 'c#1' });
  });

  it('re-acquiring a held mutex instance is a recursive self-deadlock', () => {
    const { dep, lock, take } = setup();
    const other = lock('igroup->lock', 'igroup#1->lock');
    const m = lock('ioas->mutex', 'ioas#3->mutex');
    take(2, other);
    take(2, m);
    const r = dep.beforeAcquire(2, m, 1, 99);
    expect(r).not.toBeNull();
    expect(r!.kind).toBe('recursive');
    expect(r!.thread).toBe(2);
    expect(r!.step).toBe(99);
    expect(r!.chain).toEqual([
      { from: 'ioas->mutex', to: 'ioas->mutex', thread: 2, step: 1, heldLock: 'ioas#3->mutex', acquiredLock: 'ioas#3->mutex' },
    ]);
    expect(r!.held.map((h) => h.lock)).toEqual(['igroup#1->lock', 'ioas#3->mutex']);
    expect(r!.message).toContain('same lock instance');
  });

  it('reports a three-class cycle when the closing edge appears, with a 3-edge chain', () => {
    const { dep, lock, take } = setup();
    const a = lock('A', 'a');
    const b = lock('B', 'b');
    const c = lock('C', 'c');
    take(0, a);
    expect(take(0, b)).toBeNull();
    dep.released(0, b);
    dep.released(0, a);
    take(1, b);
    expect(take(1, c)).toBeNull();
    dep.released(1, c);
    dep.released(1, b);
    take(2, c);
    const r = take(2, a);
    expect(r).not.toBeNull();
    expect(r!.kind).toBe('circular');
    expect(r!.chain.map((e) => `${e.from}->${e.to}`)).toEqual(['A->B', 'B->C', 'C->A']);
    expect(r!.chain.map((e) => e.thread)).toEqual([0, 1, 2]);
    expect(r!.message).toMatch(/A --> B --> C --> A/);
    // The closing edge is now known, so the same inversion does not report twice.
    dep.released(2, a);
    expect(take(2, a)).toBeNull();
    expect(dep.edges()).toHaveLength(3);
  });

  it('reset forgets edges and held locks; out-of-order release; instance-level isHeld/heldByAnyone', () => {
    const { dep, lock, take } = setup();
    const a = lock('A', 'a#1');
    const a2 = lock('A', 'a#2');
    const b = lock('B', 'b#1');
    const c = lock('C', 'c#1');
    take(0, a);
    take(0, b);
    take(0, c);
    // Release the middle one first.
    dep.released(0, b);
    expect(dep.held(0).map((h) => h.lock.name)).toEqual(['a#1', 'c#1']);
    expect(dep.isHeld(0, b)).toBe(false);
    expect(dep.isHeld(0, a)).toBe(true);
    expect(dep.isHeld(0, a2)).toBe(false);
    expect(dep.isHeld(1, a)).toBe(false);
    expect(dep.heldByAnyone(a)).toBe(true);
    expect(dep.heldByAnyone(a2)).toBe(false);
    // A fresh LockRef with the same identity fields names the same instance.
    expect(dep.isHeld(0, { cls: c.cls, name: 'c#1' })).toBe(true);
    const d = lock('D', 'd#1');
    expect(take(0, d)).toBeNull();
    dep.released(0, a);
    expect(dep.held(0).map((h) => h.lock.name)).toEqual(['c#1', 'd#1']);
    expect(() => dep.released(0, a)).toThrow(/does not hold/);

    expect(pairs(dep).sort()).toEqual(['A->B', 'A->C', 'A->D', 'B->C', 'C->D']);
    dep.reset();
    expect(dep.edges()).toEqual([]);
    expect(dep.held(0)).toEqual([]);
    expect(dep.heldByAnyone(b)).toBe(false);
    expect(dep.isHeld(0, c)).toBe(false);
    // After reset the old A -> B order is forgotten: B then A is silent.
    expect(take(1, b)).toBeNull();
    expect(take(1, a)).toBeNull();
    expect(pairs(dep)).toEqual(['B->A']);
  });
});
