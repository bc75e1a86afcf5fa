// struct mutex: a thin wrapper over an async-mutex Semaphore(1). The scheduler only resumes
// a waiter once the mutex is free, so async-mutex's own queue never decides who runs.
import { Semaphore } from 'async-mutex';
import type { EThread, Waitable } from '../../schedulers/runtime.js';
import type { LockRef } from './lockdep.js';
import type { LockEnv, Poisonable } from './env.js';

export class KMutex implements Waitable, LockRef {
  private readonly sem = new Semaphore(1);
  owner: EThread | null = null;
  constructor(
    readonly name: string,
    readonly cls: number,
    readonly home: Poisonable | null,
    /** Resource id for the explorer (Kernel.newRes). */
    readonly res: number,
  ) {}

  canAcquire(): boolean {
    return this.owner === null;
  }
  holderIds(): number[] {
    return this.owner ? [this.owner.id] : [];
  }

  /** mutex_lock */
  async lock(env: LockEnv, t: EThread): Promise<void> {
    env.checkAlive(t, this.home, 'mutex_lock', false);
    const r = env.lockdep.beforeAcquire(t.id, this, 1, env.rt.steps);
    if (r) env.lockdepReport(t, r);
    // The attempt writes the lock: a step that parks here races with the release that wakes it.
    env.rt.access(this.res, true);
    await env.rt.waitFor(t, this, 1);
    env.checkAlive(t, this.home, 'mutex_lock', false);
    void this.sem.acquire(1);
    this.owner = t;
    env.rt.access(this.res, true);
    env.lockdep.acquired(t.id, this, 1, false, env.rt.steps);
    if (env.tracing) env.traceLock(t, 'lock', this.name);
  }

  /** mutex_unlock */
  async unlock(env: LockEnv, t: EThread): Promise<void> {
    await env.rt.point(t);
    env.checkAlive(t, this.home, 'mutex_unlock', false);
    if (this.owner !== t) env.assertFail(t, 'mutex_unlock', `${t.name} unlocks ${this.name} it does not hold`);
    this.owner = null;
    this.sem.release(1);
    env.rt.access(this.res, true);
    env.lockdep.released(t.id, this);
    if (env.tracing) env.traceLock(t, 'unlock', this.name);
  }

  /** lockdep_assert_held */
  isHeldBy(t: EThread): boolean {
    return this.owner === t;
  }
}
