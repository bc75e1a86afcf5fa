// drivers/iommu/iommufd/device.c (v6.6): iommufd_group, bind/unbind, attach, replace, detach.
import type { EThread } from '../schedulers/runtime.js';
import { KErr } from './errno.js';
import type { Kernel } from './kernel.js';
import { Hwpt, IGroup, Idev, Ioas, IommuGroup, ObjType, OBJ_ANY, PhysDev } from './objects.js';
import {
  ctxPut,
  getObject,
  lockObj,
  objectFinalizeIfReferenced,
  objectAbortAndDestroy,
  objectAlloc,
  objectDestroyUser,
  objectFinalize,
  putObject,
} from './object-table.js';
import { attachGroup, claimDmaOwner, detachGroup, getMsiCookie, groupReplaceDomain, releaseDmaOwner } from './iommu-core.js';
import { iptEnforceDevResvRegions, iptRemoveReservedIova } from './ioas.js';
import { hwptAlloc, hwptEnforceCc, hwptPut, ioasMutexUnlock } from './hw-pagetable.js';
import { DevEv, HwptEv } from '../models/index.js';

// ---- iommufd_group ---------------------------------------------------------------------

function groupTryGet(k: Kernel, t: EThread, g: IGroup | undefined, group: IommuGroup): g is IGroup {
  if (!g) return false;
  k.checkAlive(t, g, 'iommufd_group_try_get');
  if (g.group !== group) {
    k.warn(t, 'iommufd_group_try_get', `${g.label} is for another iommu_group`, 'I2');
    return false;
  }
  // Z12a: a plain kref_get revives an igroup whose release is already running.
  if (g.ref === 0 && !k.flags.igroupKrefGet) return false;
  g.ref++;
  return true;
}

/** iommufd_get_group: fast path under xa_lock, else a new igroup installed by cmpxchg, replacing a dying one. */
export async function getGroup(k: Kernel, t: EThread, dev: PhysDev): Promise<IGroup> {
  const group = dev.group;
  await k.sched(t);
  k.xaGroups(false);
  const cur0 = k.groups.get(group.id);
  if (groupTryGet(k, t, cur0, group)) return cur0;
  if (k.shouldFail(t, 'group_alloc')) throw k.injected(t, 'group_alloc');
  const fresh = k.newIgroup(group);
  await k.sched(t);
  let expected: IGroup | undefined = undefined;
  k.xaGroups(true);
  for (;;) {
    const actual = k.groups.get(group.id);
    if (actual === expected) {
      k.groups.set(group.id, fresh);
      if (k.tracing) k.note(t, `ctx->groups[${group.id}] = ${fresh.label}`);
      return fresh;
    }
    if (groupTryGet(k, t, actual, group)) {
      // iommufd_put_group(new_igroup): it was never installed, its release's cmpxchg is a no-op.
      fresh.ref = 0;
      k.rt.access(fresh.resId, true);
      fresh.freed = true;
      return actual!;
    }
    expected = actual;
  }
}

/** iommufd_put_group: the release's xa_cmpxchg runs outside any lock, after the kref hit 0. */
export async function putGroup(k: Kernel, t: EThread, g: IGroup): Promise<void> {
  await k.sched(t);
  k.checkAlive(t, g, 'iommufd_put_group');
  if (g.ref <= 0) k.fail(t, 'refcount', 'iommufd_put_group', `kref underflow on ${g.label}`, 'I1');
  if (--g.ref > 0) return;
  if (g.hwpt !== null || g.deviceList.length > 0) {
    k.warn(t, 'iommufd_group_release', `${g.label} released while attached`, 'I2');
  }
  await k.sched(t);
  k.xaGroups(true);
  // Z12b: xa_erase instead of xa_cmpxchg deletes a new igroup a concurrent bind installed.
  if (k.flags.igroupXaErase || k.groups.get(g.group.id) === g) k.groups.delete(g.group.id);
  k.rt.access(g.resId, true);
  g.freed = true;
  if (k.tracing) k.note(t, `kfree ${g.label}`);
}

// ---- bind / unbind ---------------------------------------------------------------------

/** iommufd_device_bind */
export async function deviceBind(k: Kernel, t: EThread, dev: PhysDev): Promise<Idev> {
  if (!dev.spec.cacheCoherent) throw new KErr('EINVAL');
  const igroup = await getGroup(k, t, dev);
  try {
    if (!dev.mock && !dev.group.isolatedMsi) throw new KErr('EPERM');
    await claimDmaOwner(k, t, dev, k);
    let idev: Idev;
    try {
      idev = await objectAlloc(k, t, new Idev());
    } catch (e) {
      if (e instanceof KErr && !k.flags.bindNoReleaseOwner) await releaseDmaOwner(k, t, dev);
      throw e;
    }
    idev.dev = dev;
    // iommufd_ctx_get: a real device holds the ctx's file (mock devices do not).
    if (!dev.mock) k.fileRefs++;
    idev.enforceCC = dev.spec.enforceCC;
    await k.sched(t);
    k.refInc(t, idev, 'iommufd_device_bind driver reference');
    idev.igroup = igroup;
    await objectFinalize(k, t, idev);
    k.devEvent(t, dev, DevEv.BIND);
    return idev;
  } catch (e) {
    if (e instanceof KErr) await putGroup(k, t, igroup);
    throw e;
  }
}

/** iommufd_device_destroy (the DEVICE destroy op) */
export async function deviceDestroy(k: Kernel, t: EThread, idev: Idev): Promise<void> {
  await releaseDmaOwner(k, t, idev.dev);
  await putGroup(k, t, idev.igroup);
  // iommufd_ctx_put: the last one runs the fd's release (after the destroy, as fput does).
  if (!idev.dev.mock) await ctxPut(k, t, true);
}

/** iommufd_device_unbind: waits for short-term holders (I12); WARNs if still attached. */
export async function deviceUnbind(k: Kernel, t: EThread, idev: Idev): Promise<void> {
  k.devEvent(t, idev.dev, DevEv.UNBIND);
  await objectDestroyUser(k, t, idev, false);
}

// ---- attach / detach core ---------------------------------------------------------------

async function igroupUnlock(k: Kernel, t: EThread, g: IGroup): Promise<void> {
  await g.lock.unlock(k, t);
  if (k.props) k.props.igroupUnlocked(k, t, g);
}

/** iommufd_group_setup_msi: under the igroup lock. */
async function groupSetupMsi(k: Kernel, t: EThread, g: IGroup, h: Hwpt): Promise<void> {
  if (g.swMsiStart !== null && !h.msiCookie) {
    await getMsiCookie(k, t, h.domain!);
    h.msiCookie = true;
  }
}

/** iommufd_hw_pagetable_attach */
export async function hwptAttach(k: Kernel, t: EThread, h: Hwpt, idev: Idev): Promise<void> {
  const g = idev.igroup;
  await g.lock.lock(k, t);
  try {
    k.checkAlive(t, h, 'iommufd_hw_pagetable_attach');
    if (g.hwpt !== null && g.hwpt !== h) throw new KErr('EINVAL');
    if (idev.enforceCC) await hwptEnforceCc(k, t, h, true);
    await iptEnforceDevResvRegions(k, t, h.ioas, idev.dev, g);
    if (g.deviceList.length === 0) {
      try {
        await groupSetupMsi(k, t, g, h);
        await attachGroup(k, t, h.domain!, g.group);
      } catch (e) {
        if (e instanceof KErr && !k.flags.attachNoUnresv) await iptRemoveReservedIova(k, t, h.ioas, idev.dev);
        throw e;
      }
      g.hwpt = h;
    }
    await k.sched(t);
    k.refInc(t, h, `iommufd_hw_pagetable_attach(${idev.label})`);
    g.deviceList.push(idev);
    k.hwptEvent(t, h, HwptEv.ATTACH);
    if (k.tracing) k.note(t, `${g.label}: ${idev.label} attached to ${h.label}`);
  } catch (e) {
    if (e instanceof KErr) await igroupUnlock(k, t, g);
    throw e;
  }
  await igroupUnlock(k, t, g);
}

/** iommufd_hw_pagetable_detach: returns the HWPT whose reference the caller must put. */
export async function hwptDetach(k: Kernel, t: EThread, idev: Idev): Promise<Hwpt> {
  const g = idev.igroup;
  await k.sched(t);
  // v6.6 reads igroup->hwpt before taking the lock: a concurrent replace by another device of
  // the group can change it in between (finding F2); the fixed profile reads it under the lock.
  k.rt.access(g.resId, false);
  let h = g.hwpt;
  await g.lock.lock(k, t);
  if (k.fixes.detachHwptUnderLock) h = g.hwpt;
  if (h === null) k.fail(t, 'invariant', 'iommufd_hw_pagetable_detach', `${idev.label}: igroup->hwpt is NULL`, 'I2');
  const i = g.deviceList.indexOf(idev);
  if (i < 0) k.fail(t, 'invariant', 'list_del', `list_del corruption: ${idev.label} is not on ${g.label}.device_list`, 'I2');
  g.deviceList.splice(i, 1);
  // Shadow accounting: from list_del on, the attach reference is the one the caller will put.
  h.transient++;
  if (g.deviceList.length === 0) {
    await detachGroup(k, t, h.domain!, g.group);
    g.hwpt = null;
  }
  await iptRemoveReservedIova(k, t, h.ioas, idev.dev);
  k.hwptEvent(t, h, HwptEv.DETACH);
  if (k.flags.putUnderLock) await hwptPut(k, t, h);
  await igroupUnlock(k, t, g);
  return h;
}

type AttachFn = (k: Kernel, t: EThread, idev: Idev, h: Hwpt) => Promise<Hwpt | null>;

/** iommufd_device_do_attach */
export const doAttach: AttachFn = async (k, t, idev, h) => {
  await hwptAttach(k, t, h, idev);
  return null;
};

/** iommufd_device_do_replace: returns the old HWPT (one reference left for the caller), or null. */
export const doReplace: AttachFn = async (k, t, idev, h) => {
  const g = idev.igroup;
  await g.lock.lock(k, t);
  let old: Hwpt;
  try {
    k.checkAlive(t, h, 'iommufd_device_do_replace');
    if (g.hwpt === null) throw new KErr('EINVAL');
    if (!k.flags.replaceUnattached && !g.deviceList.includes(idev)) throw new KErr('EINVAL');
    if (h === g.hwpt) {
      await igroupUnlock(k, t, g);
      return null;
    }
    let n = 0;
    for (const cur of g.deviceList) {
      n++;
      if (cur.enforceCC) await hwptEnforceCc(k, t, h, true);
    }
    // Z8c: num_devices counted as if the replacing device had already left the list.
    if (k.flags.replaceCountAfterList) n--;
    old = g.hwpt;
    k.checkAlive(t, old, 'iommufd_device_do_replace');
    const moveIoas = h.ioas !== old.ioas;
    try {
      if (moveIoas) for (const cur of g.deviceList) await iptEnforceDevResvRegions(k, t, h.ioas, cur.dev, null);
      await groupSetupMsi(k, t, g, h);
      await groupReplaceDomain(k, t, g.group, h.domain);
    } catch (e) {
      // err_unresv. v6.6 removes every device's reservations from the new IOAS even when
      // it is the old one too, which strips the still-attached group's regions (finding F1).
      if (e instanceof KErr && (moveIoas || !k.fixes.replaceUnresvSameIoas)) {
        for (const cur of g.deviceList) await iptRemoveReservedIova(k, t, h.ioas, cur.dev);
      }
      throw e;
    }
    if (moveIoas) for (const cur of g.deviceList) await iptRemoveReservedIova(k, t, old.ioas, cur.dev);
    g.hwpt = h;
    await k.sched(t);
    // Z8a adds one reference for the whole group; Z8b drops all n from the old HWPT and
    // still leaves the caller one to put.
    k.refAdd(t, h, k.flags.replaceAddOne ? 1 : n, 'iommufd_device_do_replace new');
    k.hwptEvent(t, h, HwptEv.ATTACH);
    const drop = k.flags.replaceSubAll ? n : n - 1;
    if (drop > 0 && k.refSubAndTest(t, old, drop, 'iommufd_device_do_replace old')) {
      k.warn(t, 'iommufd_device_do_replace', `${old.label} users reached 0`, 'I1');
    }
    k.hwptEvent(t, old, HwptEv.DETACH);
    old.transient++;
    if (k.tracing) k.note(t, `${g.label}: replaced ${old.label} -> ${h.label} (${n} devices)`);
  } catch (e) {
    if (e instanceof KErr) await igroupUnlock(k, t, g);
    throw e;
  }
  if (k.flags.putUnderLock) {
    await hwptPut(k, t, old);
    await igroupUnlock(k, t, g);
    return null;
  }
  await igroupUnlock(k, t, g);
  return old;
};

/** A u32 *pt_id in/out argument. */
export interface PtId {
  value: number;
}

/** iommufd_device_auto_get_domain: find or create an auto HWPT on the IOAS, under ioas->mutex. */
async function autoGetDomain(k: Kernel, t: EThread, idev: Idev, ioas: Ioas, pt: PtId, fn: AttachFn): Promise<Hwpt | null> {
  const immediateAttach = fn === doAttach;
  await ioas.mutex.lock(k, t);
  for (let i = 0; i < ioas.hwptList.length; i++) {
    const h = ioas.hwptList[i]!;
    await k.sched(t);
    k.checkAlive(t, h, 'iommufd_device_auto_get_domain');
    if (!h.autoDomain) continue;
    if (k.flags.noLockObjAutoHwpt) {
      // Z5: a plain reference, taken even on a HWPT whose users already reached 0.
      k.hwptEvent(t, h, HwptEv.LOOKUP);
      k.refInc(t, h, 'auto_get_domain without iommufd_lock_obj');
      h.shortterm++;
    } else if (!(await lockObj(k, t, h))) continue;
    let r: Hwpt | null;
    try {
      r = await fn(k, t, idev, h);
    } catch (e) {
      if (!(e instanceof KErr)) throw e;
      // Z9d: the EINVAL path goes on to the next HWPT with its short-term hold still taken.
      if (e.errno === 'EINVAL' && k.flags.autoNoPutEinval) continue;
      await autoPut(k, t, h);
      if (e.errno === 'EINVAL') continue;
      await ioasMutexUnlock(k, t, ioas);
      throw e;
    }
    pt.value = h.id;
    await autoPut(k, t, h);
    r = await putUnderIoasMutex(k, t, r);
    await ioasMutexUnlock(k, t, ioas);
    return r;
  }
  let h: Hwpt;
  try {
    h = await hwptAlloc(k, t, ioas, idev, immediateAttach);
  } catch (e) {
    if (e instanceof KErr) await ioasMutexUnlock(k, t, ioas);
    throw e;
  }
  let r: Hwpt | null = null;
  if (!immediateAttach) {
    try {
      r = await fn(k, t, idev, h);
    } catch (e) {
      if (!(e instanceof KErr)) throw e;
      if (k.flags.autoNoAbort) {
        // Z9c: the new HWPT stays RESERVED in the xarray, on hwpt_list, with its domain.
        await ioasMutexUnlock(k, t, ioas);
      } else if (k.flags.unlockBeforeFinalize) {
        await ioasMutexUnlock(k, t, ioas);
        await objectAbortAndDestroy(k, t, h);
      } else {
        await objectAbortAndDestroy(k, t, h);
        await ioasMutexUnlock(k, t, ioas);
      }
      throw e;
    }
  }
  await k.sched(t);
  if (k.fixes.autoHwptOrphan && !k.flags.unlockBeforeFinalize) {
    // Finding F4: the igroup lock was dropped after the attach/replace moved the group onto
    // this HWPT, so a group-mate's concurrent replace may already have moved the group away
    // and put it. Finalizing it then leaves an auto HWPT no device will ever put. The fix
    // publishes it only if someone besides its creator still references it, in the same
    // xa_lock section as the store, and otherwise aborts it (still unpublished, mutex held).
    h.autoDomain = true;
    pt.value = h.id;
    r = await putUnderIoasMutex(k, t, r);
    if (!(await objectFinalizeIfReferenced(k, t, h))) {
      h.autoDomain = false;
      if (k.fixes.autoAbortWaitsDeref) {
        // Finding F5: the put that left users at 1 may be F3's, a replacer's deref_user that
        // dropped its reference inside its destroy_rwsem write section and has yet to up_write.
        // Wait for it (nobody else can reach the unpublished HWPT: a lookup needs its id or
        // ioas->mutex, which is held).
        await h.destroyRwsem.downWrite(k, t);
        await h.destroyRwsem.upWrite(k, t);
      }
      await objectAbortAndDestroy(k, t, h);
    }
    await ioasMutexUnlock(k, t, ioas);
    return r;
  }
  h.autoDomain = true;
  pt.value = h.id;
  r = await putUnderIoasMutex(k, t, r);
  if (k.flags.unlockBeforeFinalize) {
    await ioasMutexUnlock(k, t, ioas);
    await objectFinalize(k, t, h);
  } else {
    await objectFinalize(k, t, h);
    await ioasMutexUnlock(k, t, ioas);
  }
  return r;
}

/** Z7: the HWPT a replace left behind is put inside the ioas->mutex section (the caller's put is skipped). */
async function putUnderIoasMutex(k: Kernel, t: EThread, old: Hwpt | null): Promise<Hwpt | null> {
  if (!k.flags.putUnderIoasMutex || old === null) return old;
  await hwptPut(k, t, old);
  return null;
}

async function autoPut(k: Kernel, t: EThread, h: Hwpt): Promise<void> {
  if (!k.flags.noLockObjAutoHwpt) return putObject(k, t, h);
  await k.sched(t);
  k.refDec(t, h, 'auto_get_domain put');
  h.shortterm--;
}

/** iommufd_device_change_pt */
async function changePt(k: Kernel, t: EThread, idev: Idev, pt: PtId, fn: AttachFn): Promise<void> {
  const o = await getObject(k, t, pt.value, OBJ_ANY);
  let r: Hwpt | null;
  try {
    if (o instanceof Hwpt) r = await fn(k, t, idev, o);
    else if (o instanceof Ioas) r = await autoGetDomain(k, t, idev, o, pt, fn);
    else throw new KErr('EINVAL');
  } catch (e) {
    if (e instanceof KErr) await putObject(k, t, o);
    throw e;
  }
  await putObject(k, t, o);
  // The old HWPT is put only after every lock is dropped: its destroy takes ioas->mutex.
  if (r) await hwptPut(k, t, r);
}

/** iommufd_device_attach */
export async function deviceAttach(k: Kernel, t: EThread, idev: Idev, pt: PtId): Promise<void> {
  await changePt(k, t, idev, pt, doAttach);
  await k.sched(t);
  k.refInc(t, idev, 'iommufd_device_attach');
  idev.attachRef = true;
  k.devEvent(t, idev.dev, DevEv.ATTACH);
}

/** iommufd_device_replace: detach-then-attach, except that a failure changes nothing. */
export async function deviceReplace(k: Kernel, t: EThread, idev: Idev, pt: PtId): Promise<void> {
  await changePt(k, t, idev, pt, doReplace);
  k.devEvent(t, idev.dev, DevEv.REPLACE);
}

/** iommufd_device_detach */
export async function deviceDetach(k: Kernel, t: EThread, idev: Idev): Promise<void> {
  const h = await hwptDetach(k, t, idev);
  if (!k.flags.putUnderLock) await hwptPut(k, t, h);
  await k.sched(t);
  k.refDec(t, idev, 'iommufd_device_detach');
  idev.attachRef = false;
  k.devEvent(t, idev.dev, DevEv.DETACH);
}

export { ObjType };
