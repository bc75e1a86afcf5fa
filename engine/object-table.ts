// drivers/iommu/iommufd/main.c: the object table, short-term references, removal and
// destruction. xa_lock sections are single atomic steps: nothing else under xa_lock can
// interleave with them, and everything they race with is itself atomic.
import type { EThread } from '../schedulers/runtime.js';
import { KErr } from './errno.js';
import type { Kernel } from './kernel.js';
import { Hwpt, Idev, IObj, Ioas, ObjType, SelftestObj, OBJ_ANY, type ObjTypeId } from './objects.js';
import { HWPT, HwptEv } from '../models/index.js';
import { tryWriteNow, upWriteNow } from './locks/rwsem.js';
import { hwptAbort, hwptDestroy } from './hw-pagetable.js';
import { ioasDestroy } from './ioas.js';
import { deviceDestroy } from './device.js';
import { selftestDestroy } from './selftest.js';

/** _iommufd_object_alloc: the id is taken (RESERVED) but lookups cannot see the object. */
export async function objectAlloc<T extends IObj>(k: Kernel, t: EThread, o: T): Promise<T> {
  if (k.shouldFail(t, 'object_alloc')) throw k.injected(t, 'object_alloc');
  o.resId = k.newRes();
  await k.sched(t);
  o.id = k.allocId(o);
  o.destroyRwsem = k.newRwsem(o, o.type);
  o.users = 1;
  k.allObjects.push(o);
  if (o instanceof Hwpt) {
    o.mstate = HWPT.initial;
    o.creator = t;
    k.coverage?.hwpt.visit(o.mstate);
  }
  if (k.tracing) k.note(t, `alloc ${o.label} (reserved)`);
  return o;
}

/** iommufd_object_finalize */
export async function objectFinalize(k: Kernel, t: EThread, o: IObj): Promise<void> {
  await k.sched(t);
  k.checkAlive(t, o, 'iommufd_object_finalize');
  k.xaObjectsWrite();
  if (k.objects[o.id] !== o || o.published) k.warn(t, 'iommufd_object_finalize', `${o.label} slot was not XA_ZERO_ENTRY`, 'I7');
  o.published = true;
  if (o instanceof Hwpt) k.hwptEvent(t, o, HwptEv.FINALIZE);
  if (k.tracing) k.note(t, `finalize ${o.label}`);
}

/**
 * Fix F4: finalize only if a reference besides the creator's remains (users > 1), checked in
 * the same xa_lock section as the store so no concurrent put can slip in between.
 */
export async function objectFinalizeIfReferenced(k: Kernel, t: EThread, o: IObj): Promise<boolean> {
  await k.sched(t);
  k.checkAlive(t, o, 'iommufd_object_finalize');
  if (o.users <= 1) return false;
  k.xaObjectsWrite();
  if (k.objects[o.id] !== o || o.published) k.warn(t, 'iommufd_object_finalize', `${o.label} slot was not XA_ZERO_ENTRY`, 'I7');
  o.published = true;
  if (o instanceof Hwpt) k.hwptEvent(t, o, HwptEv.FINALIZE);
  if (k.tracing) k.note(t, `finalize ${o.label}`);
  return true;
}

/** iommufd_object_abort: only valid before finalize. */
export async function objectAbort(k: Kernel, t: EThread, o: IObj): Promise<void> {
  await k.sched(t);
  k.checkAlive(t, o, 'iommufd_object_abort');
  if (o.published) k.warn(t, 'iommufd_object_abort', `${o.label} was already finalized`, 'I7');
  k.xaObjectsWrite();
  if (k.objects[o.id] === o) k.objects[o.id] = null;
  o.removed = true;
  if (o instanceof Hwpt) k.hwptEvent(t, o, HwptEv.ABORT);
  kfree(k, t, o);
}

/** iommufd_object_abort_and_destroy */
export async function objectAbortAndDestroy(k: Kernel, t: EThread, o: IObj): Promise<void> {
  if (o instanceof Hwpt && !k.flags.abortWithoutAbortOp) await hwptAbort(k, t, o);
  else await destroyOp(k, t, o);
  await objectAbort(k, t, o);
}

/** iommufd_object_ops[type].destroy */
export async function destroyOp(k: Kernel, t: EThread, o: IObj): Promise<void> {
  if (o instanceof Hwpt) return hwptDestroy(k, t, o);
  if (o instanceof Ioas) return ioasDestroy(k, t, o);
  if (o instanceof Idev) return deviceDestroy(k, t, o);
  if (o instanceof SelftestObj) return selftestDestroy(k, t, o);
}

export function kfree(k: Kernel, t: EThread, o: IObj): void {
  k.rt.access(o.resId, true);
  o.freed = true;
  if (o instanceof Hwpt && o.published) k.hwptEvent(t, o, HwptEv.FREE);
  if (k.tracing) k.note(t, `kfree ${o.label}`);
}

/** The part of iommufd_lock_obj after the rwsem trylock: refcount_inc_not_zero. */
function lockObjRef(k: Kernel, t: EThread, o: IObj): boolean {
  if (o.users === 0) {
    o.destroyRwsem.upReadNow(k, t);
    return false;
  }
  o.users++;
  o.shortterm++;
  if (o instanceof Hwpt) k.hwptEvent(t, o, HwptEv.LOOKUP);
  if (k.tracing) k.note(t, `${o.label}.users ${o.users - 1} -> ${o.users} (short-term)`);
  return true;
}

/** iommufd_lock_obj inside an atomic section (get_object holds xa_lock). */
export function lockObjNow(k: Kernel, t: EThread, o: IObj): boolean {
  if (!o.destroyRwsem.tryReadNow(k, t)) return false;
  return lockObjRef(k, t, o);
}

/** iommufd_lock_obj outside xa_lock: the trylock and the refcount are separate steps. */
export async function lockObj(k: Kernel, t: EThread, o: IObj): Promise<boolean> {
  if (!(await o.destroyRwsem.tryRead(k, t))) return false;
  await k.sched(t);
  k.checkAlive(t, o, 'refcount_inc_not_zero');
  return lockObjRef(k, t, o);
}

/** iommufd_get_object: one short-term hold (users + 1 and a read hold on destroy_rwsem). */
export async function getObject(k: Kernel, t: EThread, id: number, type: ObjTypeId | typeof OBJ_ANY): Promise<IObj> {
  if (k.shouldFail(t, 'get_object')) throw new KErr('ENOENT');
  await k.sched(t);
  const o = k.load(id);
  if (o === null || (type !== OBJ_ANY && o.type !== type) || !lockObjNow(k, t, o)) throw new KErr('ENOENT');
  return o;
}

/** iommufd_put_object (v6.6): refcount_dec, then up_read. The gap between them is Z1. */
export async function putObject(k: Kernel, t: EThread, o: IObj): Promise<void> {
  await k.sched(t);
  k.refDec(t, o, 'iommufd_put_object');
  o.shortterm--;
  await o.destroyRwsem.upRead(k, t);
}

/** iommufd_object_remove, an atomic xa_lock section. Returns the object or throws ENOENT/EBUSY. */
/** Shadow accounting: a put of a "returned for put" HWPT reference lands with the real decrement. */
function dropShadow(o: IObj, transientPut: boolean): void {
  if (transientPut && o instanceof Hwpt) o.transient--;
}

function objectRemoveNow(k: Kernel, t: EThread, id: number, extraPut: boolean, transientPut = false): IObj {
  const o = k.load(id);
  if (o === null) {
    // Finding F3: a device of the group can detach and put a new auto HWPT after do_replace
    // moved the group onto it but before its creator finalized it. The slot still holds
    // XA_ZERO_ENTRY, and v6.6 returns ENOENT keeping the caller's reference (a leak); the fix
    // drops that reference here, under xa_lock, while the slot is known to be unpublished.
    const reserved = k.objects[id];
    if (extraPut && k.fixes.autoPutUnfinalized && reserved && !reserved.published) {
      k.refDec(t, reserved, 'iommufd_object_remove extra_put (unfinalized)');
      dropShadow(reserved, transientPut);
    }
    throw new KErr('ENOENT');
  }
  if (extraPut) {
    k.refDec(t, o, 'iommufd_object_remove extra_put');
    dropShadow(o, transientPut);
  }
  if (o.users !== 1) throw new KErr('EBUSY');
  o.users = 0;
  k.xaObjectsWrite();
  k.objects[id] = null;
  o.removed = true;
  if (o instanceof Hwpt) k.hwptEvent(t, o, HwptEv.REMOVE);
  if (k.tracing) k.note(t, `remove ${o.label} from ctx->objects`);
  return o;
}

/** __iommufd_object_destroy_user: kernel-initiated destroy, waits for short-term holders. */
export async function objectDestroyUser(k: Kernel, t: EThread, o: IObj, allowFail: boolean, transientPut = false): Promise<void> {
  await o.destroyRwsem.downWrite(k, t);
  await k.sched(t);
  // I12: the write lock is only granted once every short-term holder (get_object, lock_obj) is gone.
  if (o.shortterm !== 0) {
    k.fail(t, 'invariant', 'I12:destroy-waits', `I12 violated: destroy of ${o.label} proceeds while ${o.shortterm} short-term holder(s) remain`, 'I12');
  }
  let err: KErr | null = null;
  try {
    objectRemoveNow(k, t, o.id, true, transientPut);
  } catch (e) {
    if (!(e instanceof KErr)) throw e;
    err = e;
  }
  await o.destroyRwsem.upWrite(k, t);
  if (err !== null) {
    if (allowFail) return;
    k.warn(t, '__iommufd_object_destroy_user', `${o.label} could not be removed (${err.errno}); it leaks`, 'I10');
    return;
  }
  await destroyOp(k, t, o);
  kfree(k, t, o);
}

/** IOMMU_DESTROY (iommufd_destroy). v6.6 takes no destroy_rwsem; the fixed profile trylocks it. */
export async function iommufdDestroy(k: Kernel, t: EThread, id: number): Promise<void> {
  await k.sched(t);
  let o: IObj;
  if (k.flags.putObjectUaf) {
    o = objectRemoveNow(k, t, id, false);
  } else {
    // Fix for Z1: the write trylock fails while any short-term holder is between its
    // refcount_dec and its up_read, so removal can never free memory a reader still touches.
    const cur = k.load(id);
    if (cur === null) throw new KErr('ENOENT');
    if (!tryWriteNow(k, t, cur.destroyRwsem)) throw new KErr('EBUSY');
    try {
      o = objectRemoveNow(k, t, id, false);
    } finally {
      upWriteNow(k, t, cur.destroyRwsem);
    }
  }
  await destroyOp(k, t, o);
  kfree(k, t, o);
}

/**
 * fput of the ctx's file (iommufd_ctx_put, or the close of the fd): the release runs when the
 * last reference goes. Every bound real device holds one (iommufd_ctx_get in bind), so closing
 * the fd while one is bound releases nothing until its unbind; a device that never unbinds
 * keeps the ctx forever (the leak the final checks report).
 */
export async function ctxPut(k: Kernel, t: EThread, deferred = false): Promise<void> {
  await k.sched(t);
  if (k.fileRefs <= 0) k.fail(t, 'refcount', 'fput', 'fput on a ctx file with no reference', 'I1');
  if (--k.fileRefs > 0) return;
  // fput from inside the kernel runs the release as task work, when the syscall returns.
  if (deferred) k.releasePending = true;
  else await fopsRelease(k, t);
}

/** Task work: a release an in-kernel fput left for the end of the current call. */
export async function runPendingRelease(k: Kernel, t: EThread): Promise<void> {
  if (!k.releasePending) return;
  k.releasePending = false;
  await fopsRelease(k, t);
}

/** iommufd_fops_release: destroy every object whose users is exactly 1, until none is left. */
export async function fopsRelease(k: Kernel, t: EThread): Promise<void> {
  const nonEmpty = () => k.objects.some((o) => o !== null);
  while (nonEmpty()) {
    let destroyed = 0;
    for (let id = 1; id < k.objects.length; id++) {
      await k.sched(t);
      k.xaObjectsWrite();
      const o = k.objects[id] ?? null;
      if (o === null || !o.published) continue;
      if (o.users !== 1) continue;
      o.users = 0;
      destroyed++;
      k.objects[id] = null;
      o.removed = true;
      if (o instanceof Hwpt) k.hwptEvent(t, o, HwptEv.REMOVE);
      // The same note as iommufd_object_remove's: readers of the trace (the reports' fold of
      // lifecycles and refcounts) must see every removal, and destroyOp may schedule before kfree.
      if (k.tracing) k.note(t, `remove ${o.label} from ctx->objects`);
      await destroyOp(k, t, o);
      kfree(k, t, o);
    }
    if (destroyed === 0) {
      const left = k.objects.filter((o): o is IObj => o !== null).map((o) => `${o.label} users=${o.users}`);
      k.warn(t, 'iommufd_fops_release', `bug related to users refcount: ${left.join(', ')}`, 'I10');
      break;
    }
  }
  if (k.groups.size !== 0) k.warn(t, 'iommufd_fops_release', `ctx->groups not empty`, 'I10');
  k.closed = true;
}

export function typeName(type: number): string {
  return type === ObjType.HW_PAGETABLE ? 'HWPT' : String(type);
}
