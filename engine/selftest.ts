// drivers/iommu/iommufd/selftest.c: the mock device ops the kernel selftest drives.
import type { EThread } from '../schedulers/runtime.js';
import { KErr } from './errno.js';
import type { Kernel } from './kernel.js';
import { IommuGroup, ObjType, PhysDev, SelftestObj, type Idev } from './objects.js';
import { getObject, objectAbort, objectAlloc, objectFinalize, putObject } from './object-table.js';
import { deviceAttach, deviceBind, deviceDetach, deviceReplace, deviceUnbind, type PtId } from './device.js';
import { KMutex } from './locks/kmutex.js';

const MOCK_SPEC = { cacheCoherent: true, enforceCC: false, resv: [] };

/** mock_dev_create: a new device in a new iommu group of the mock driver. */
async function mockDevCreate(k: Kernel, t: EThread): Promise<PhysDev> {
  if (k.shouldFail(t, 'mock_dev')) throw k.injected(t, 'mock_dev');
  await k.sched(t);
  const id = k.iommuGroups.length;
  const grp = new IommuGroup(id, k.mockIommu, true, null as unknown as KMutex);
  grp.resId = k.newRes();
  (grp as { mutex: KMutex }).mutex = new KMutex(`group#${id}->mutex`, k.cls.groupMutex, grp, k.newRes());
  k.iommuGroups.push(grp);
  const d = new PhysDev(k.nextUid(), `mock${id}`, grp, MOCK_SPEC, true);
  grp.devices.push(d);
  k.devices.push(d);
  k.coverage?.device.visit(d.mstate);
  return d;
}

export interface MockDomainResult {
  stdevId: number;
  idevId: number;
  hwptId: number;
  sobj: SelftestObj;
}

/** IOMMU_TEST_OP_MOCK_DOMAIN (iommufd_test_mock_domain) */
export async function mockDomain(k: Kernel, t: EThread, ptId: number): Promise<MockDomainResult> {
  const sobj = await objectAlloc(k, t, new SelftestObj());
  let idev: Idev;
  const pt: PtId = { value: ptId };
  try {
    sobj.mockDev = await mockDevCreate(k, t);
    idev = await deviceBind(k, t, sobj.mockDev);
    sobj.idev = idev;
    try {
      await deviceAttach(k, t, idev, pt);
      if (k.shouldFail(t, 'copy_to_user')) {
        await deviceDetach(k, t, idev);
        throw new KErr('EFAULT');
      }
    } catch (e) {
      if (e instanceof KErr) await deviceUnbind(k, t, idev);
      throw e;
    }
  } catch (e) {
    if (e instanceof KErr) await objectAbort(k, t, sobj);
    throw e;
  }
  await objectFinalize(k, t, sobj);
  return { stdevId: sobj.id, idevId: idev.id, hwptId: pt.value, sobj };
}

/** IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: replace under a short-term hold of the selftest object. */
export async function mockDomainReplace(k: Kernel, t: EThread, stdevId: number, ptId: number): Promise<number> {
  const o = (await getObject(k, t, stdevId, ObjType.SELFTEST)) as SelftestObj;
  const pt: PtId = { value: ptId };
  let err: KErr | null = null;
  try {
    await deviceReplace(k, t, o.idev!, pt);
    if (k.shouldFail(t, 'copy_to_user')) err = new KErr('EFAULT');
  } catch (e) {
    if (!(e instanceof KErr)) throw e;
    err = e;
  }
  await putObject(k, t, o);
  if (err) throw err;
  return pt.value;
}

/** iommufd_selftest_destroy: the mock device is detached and unbound with its object. */
export async function selftestDestroy(k: Kernel, t: EThread, sobj: SelftestObj): Promise<void> {
  const idev = sobj.idev!;
  await deviceDetach(k, t, idev);
  await deviceUnbind(k, t, idev);
}
