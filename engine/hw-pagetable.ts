// drivers/iommu/iommufd/hw_pagetable.c (v6.6)
import type { EThread } from '../schedulers/runtime.js';
import { KErr } from './errno.js';
import type { Kernel } from './kernel.js';
import { Hwpt, Idev, Ioas, ObjType } from './objects.js';
import {
  getObject,
  objectAbortAndDestroy,
  objectAlloc,
  objectDestroyUser,
  objectFinalize,
  putObject,
} from './object-table.js';
import { domainAlloc, domainFree } from './iommu-core.js';
import { iptTableAddDomain, iptTableRemoveDomain } from './ioas.js';
import { hwptAttach, hwptDetach } from './device.js';

/** iommufd_hw_pagetable_destroy: ioas->mutex must not be held (it is taken here). */
export async function hwptDestroy(k: Kernel, t: EThread, h: Hwpt): Promise<void> {
  const ioas = h.ioas;
  if (h.onList) {
    await ioas.mutex.lock(k, t);
    const i = ioas.hwptList.indexOf(h);
    if (i >= 0) ioas.hwptList.splice(i, 1);
    h.onList = false;
    if (k.tracing) k.note(t, `list_del ${h.label} from ${ioas.label}.hwpt_list`);
    await ioasMutexUnlock(k, t, ioas);
    if (h.domain) await iptTableRemoveDomain(k, t, ioas, h.domain);
  }
  if (h.domain) await domainFree(k, t, h.domain);
  await k.sched(t);
  k.refDec(t, ioas, `iommufd_hw_pagetable_destroy(${h.label})`);
}

/** iommufd_hw_pagetable_abort: the caller holds ioas->mutex. */
export async function hwptAbort(k: Kernel, t: EThread, h: Hwpt): Promise<void> {
  if (!h.ioas.mutex.isHeldBy(t)) k.assertFail(t, 'iommufd_hw_pagetable_abort', `lockdep_assert_held(${h.ioas.mutex.name}) failed`);
  if (h.onList) {
    const i = h.ioas.hwptList.indexOf(h);
    if (i >= 0) h.ioas.hwptList.splice(i, 1);
    h.onList = false;
    if (k.tracing) k.note(t, `list_del_init ${h.label}`);
    if (h.domain) await iptTableRemoveDomain(k, t, h.ioas, h.domain);
  }
  await hwptDestroy(k, t, h);
}

/** iommufd_hw_pagetable_enforce_cc. `mayFail` is false where the kernel WARNs instead. */
export async function hwptEnforceCc(k: Kernel, t: EThread, h: Hwpt, mayFail: boolean): Promise<void> {
  await k.sched(t);
  k.checkAlive(t, h, 'iommufd_hw_pagetable_enforce_cc');
  if (h.enforceCC) return;
  if (h.domain) h.enforceCC = h.domain.enforceCCCapable && !(mayFail && k.shouldFail(t, 'enforce_cc'));
  if (!h.enforceCC) throw new KErr('EINVAL');
}

/** iommufd_hw_pagetable_alloc: called and left with ioas->mutex held; returns an unfinalized HWPT. */
export async function hwptAlloc(k: Kernel, t: EThread, ioas: Ioas, idev: Idev, immediateAttach: boolean): Promise<Hwpt> {
  if (!ioas.mutex.isHeldBy(t)) k.assertFail(t, 'iommufd_hw_pagetable_alloc', `lockdep_assert_held(${ioas.mutex.name}) failed`);
  const h = await objectAlloc(k, t, new Hwpt());
  await k.sched(t);
  k.refInc(t, ioas, `iommufd_hw_pagetable_alloc(${h.label})`);
  h.ioas = ioas;
  try {
    h.domain = await domainAlloc(k, t, idev.dev);
    if (!h.domain) throw new KErr('ENOMEM');
    if (idev.enforceCC) {
      try {
        await hwptEnforceCc(k, t, h, false);
      } catch (e) {
        if (e instanceof KErr) k.warn(t, 'iommufd_hw_pagetable_alloc', `enforce_cache_coherency failed on a new domain`);
        throw e;
      }
    }
    if (immediateAttach) await hwptAttach(k, t, h, idev);
  } catch (e) {
    if (e instanceof KErr) await objectAbortAndDestroy(k, t, h);
    throw e;
  }
  try {
    await iptTableAddDomain(k, t, ioas, h.domain);
  } catch (e) {
    if (e instanceof KErr) {
      if (immediateAttach) await hwptDetach(k, t, idev);
      await objectAbortAndDestroy(k, t, h);
    }
    throw e;
  }
  await k.sched(t);
  ioas.hwptList.push(h);
  h.onList = true;
  if (k.tracing) k.note(t, `list_add_tail ${h.label} to ${ioas.label}.hwpt_list`);
  return h;
}

/** mutex_unlock(&ioas->mutex) plus the checks the spec ties to its release (I3). */
export async function ioasMutexUnlock(k: Kernel, t: EThread, ioas: Ioas): Promise<void> {
  await ioas.mutex.unlock(k, t);
  if (k.props) k.props.ioasUnlocked(k, t, ioas);
}

export interface HwptAllocArgs {
  flags: number;
  devId: number;
  ptId: number;
}

/** IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc) */
export async function hwptAllocIoctl(k: Kernel, t: EThread, a: HwptAllocArgs): Promise<Hwpt> {
  if (a.flags !== 0) throw new KErr('EOPNOTSUPP');
  const idev = (await getObject(k, t, a.devId, ObjType.DEVICE)) as Idev;
  let ioas: Ioas;
  try {
    ioas = (await getObject(k, t, a.ptId, ObjType.IOAS)) as Ioas;
  } catch (e) {
    if (e instanceof KErr) await putObject(k, t, idev);
    throw e;
  }
  let h: Hwpt | null = null;
  let err: unknown = null;
  await ioas.mutex.lock(k, t);
  try {
    h = await hwptAlloc(k, t, ioas, idev, false);
    if (k.shouldFail(t, 'copy_to_user')) {
      await objectAbortAndDestroy(k, t, h);
      throw new KErr('EFAULT');
    }
    await objectFinalize(k, t, h);
  } catch (e) {
    if (!(e instanceof KErr)) throw e;
    err = e;
  }
  await ioasMutexUnlock(k, t, ioas);
  await putObject(k, t, ioas);
  await putObject(k, t, idev);
  if (err) throw err;
  return h!;
}

/** iommufd_hw_pagetable_put: auto HWPTs are destroyed by their last user, manual ones are not. */
export async function hwptPut(k: Kernel, t: EThread, h: Hwpt): Promise<void> {
  await k.sched(t);
  k.checkAlive(t, h, 'iommufd_hw_pagetable_put');
  if (h.ioas.mutex.isHeldBy(t)) {
    k.assertFail(t, 'iommufd_hw_pagetable_put', `lockdep_assert_not_held(${h.ioas.mutex.name}) failed`);
  }
  if (h.autoDomain) await objectDestroyUser(k, t, h, true, true);
  else {
    k.refDec(t, h, 'iommufd_hw_pagetable_put');
    h.transient--;
  }
}
