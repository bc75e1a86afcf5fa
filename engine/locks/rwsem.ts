// struct rw_semaphore on a weighted async-mutex Semaphore: a reader takes 1, a writer all.
// Linux semantics that matter here: a read trylock fails while a writer holds the lock or
// waits for it (a pending writer blocked by readers counts as waiting).
import { Semaphore } from 'async-mutex';
import type { EThread, Waitable } from '../../schedulers/runtime.js';
import type { LockRef } from './lockdep.js';
import type { LockEnv, Poisonable } from './env.js';

// async-mutex walks every weight below the value on each release, so keep it small: it
// bounds the read holds at once (threads x nested holds of one object), checked below.
const WEIGHT = 16;

export class RwSem implements Waitable, LockRef {
  private readonly sem = new Semaphore(WEIGHT);
  writer: EThread | null = null;
  readers: EThread[] = [];
  pendingWriters = 0;
  constructor(
    readonly name: string,
    readonly cls: number,
    readonly home: Poisonable | null,
    /** Resource id for the explorer (Kernel.newRes). */
    readonly res: number,
  ) {}

  canAcquire(mode: number): boolean {
    if (this.writer !== null) return false;
    return mode === 1 ? this.readers.length === 0 : this.pendingWriters === 0;
  }
  holderIds(): number[] {
    return this.writer ? [this.writer.id] : this.readers.map((r) => r.id);
  }

  /** down_read_trylock: one scheduling point, then succeed or fail at once. */
  async tryRead(env: LockEnv, t: EThread): Promise<boolean> {
    await env.rt.point(t);
    return this.tryReadNow(env, t);
  }

  /** The trylock itself, for callers that already are at a point (inside an xa_lock section). */
  tryReadNow(env: LockEnv, t: EThread): boolean {
    env.checkAlive(t, this.home, 'down_read_trylock', false);
    // A failed trylock has still read the lock word: it races with the holder's acquisition.
    env.rt.access(this.res, false);
    if (this.writer !== null || (this.pendingWriters > 0 && this.readers.length > 0)) return false;
    if (this.readers.length >= WEIGHT) throw new Error(`${this.name}: more than ${WEIGHT} concurrent read holds`);
    void this.sem.acquire(1);
    this.readers.push(t);
    env.rt.access(this.res, true);
    env.lockdep.acquired(t.id, this, 0, true, env.rt.steps);
    if (env.tracing) env.traceLock(t, 'down_read_trylock', this.name);
    return true;
  }

  /** up_read */
  async upRead(env: LockEnv, t: EThread): Promise<void> {
    await env.rt.point(t);
    this.upReadNow(env, t);
  }

  upReadNow(env: LockEnv, t: EThread): void {
    env.checkAlive(t, this.home, 'up_read', false);
    const i = this.readers.indexOf(t);
    if (i < 0) env.assertFail(t, 'up_read', `${t.name} releases ${this.name} it does not hold for read`);
    this.readers.splice(i, 1);
    this.sem.release(1);
    env.rt.access(this.res, true);
    env.lockdep.released(t.id, this);
    if (env.tracing) env.traceLock(t, 'up_read', this.name);
  }

  /** down_write: blocks until there is no reader and no writer. */
  async downWrite(env: LockEnv, t: EThread): Promise<void> {
    env.checkAlive(t, this.home, 'down_write', false);
    const r = env.lockdep.beforeAcquire(t.id, this, 1, env.rt.steps);
    if (r) env.lockdepReport(t, r);
    this.pendingWriters++;
    env.rt.access(this.res, true);
    await env.rt.waitFor(t, this, 1);
    this.pendingWriters--;
    env.checkAlive(t, this.home, 'down_write', false);
    void this.sem.acquire(WEIGHT);
    this.writer = t;
    env.rt.access(this.res, true);
    env.lockdep.acquired(t.id, this, 1, false, env.rt.steps);
    if (env.tracing) env.traceLock(t, 'down_write', this.name);
  }

  /** up_write */
  async upWrite(env: LockEnv, t: EThread): Promise<void> {
    await env.rt.point(t);
    env.checkAlive(t, this.home, 'up_write', false);
    if (this.writer !== t) env.assertFail(t, 'up_write', `${t.name} releases ${this.name} it does not hold for write`);
    this.writer = null;
    this.sem.release(WEIGHT);
    env.rt.access(this.res, true);
    env.lockdep.released(t.id, this);
    if (env.tracing) env.traceLock(t, 'up_write', this.name);
  }

  isWriteHeldBy(t: EThread): boolean {
    return this.writer === t;
  }
}

/** down_write_trylock for callers already at a scheduling point: no wait, no lockdep edge. */
export function tryWriteNow(env: LockEnv, t: EThread, rw: RwSem): boolean {
  env.checkAlive(t, rw.home, 'down_write_trylock', false);
  env.rt.access(rw.res, false);
  if (rw.writer !== null || rw.readers.length > 0) return false;
  rw.writer = t;
  env.rt.access(rw.res, true);
  env.lockdep.acquired(t.id, rw, 1, true, env.rt.steps);
  if (env.tracing) env.traceLock(t, 'down_write_trylock', rw.name);
  return true;
}

/** up_write for callers already at a scheduling point. */
export function upWriteNow(env: LockEnv, t: EThread, rw: RwSem): void {
  rw.writer = null;
  env.rt.access(rw.res, true);
  env.lockdep.released(t.id, rw);
  if (env.tracing) env.traceLock(t, 'up_write', rw.name);
}
