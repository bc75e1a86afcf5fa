// The selftest ops of drivers/iommu/iommufd/selftest.c (v6.6): IOMMU_TEST_OP_MOCK_DOMAIN
// (iommufd_test_mock_domain), IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE
// (iommufd_test_mock_domain_replace) and iommufd_selftest_destroy.
import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne } from '../helpers/kernel.js';
import { hwptAllocIoctl } from '../../engine/hw-pagetable.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import { iommufdDestroy } from '../../engine/object-table.js';
import { mockDomain, mockDomainReplace } from '../../engine/selftest.js';
import { deviceBind } from '../../engine/device.js';
import type { FaultPoint } from '../../engine/faults.js';
import { Hwpt, Idev, Ioas } from '../../engine/objects.js';
import { PROFILES } from '../../engine/profiles.js';
import { hwpts, live, makeGated, obj } from './support.js';

describe('IOMMU_TEST_OP_MOCK_DOMAIN', () => {
  for (const profile of PROFILES) {
    it(`[${profile}] allocates the selftest object, then the idev, then the auto HWPT (ids in that order)`, async () => {
      const k = makeKernel({ profile });
      let ioas!: Ioas;
      let r!: Awaited<ReturnType<typeof mockDomain>>;
      const out = await runOne(k, async (t) => {
        ioas = await ioasAllocIoctl(k, t);
        r = await mockDomain(k, t, ioas.id);
      });
      expect(out.violation).toBeNull();
      expect([r.stdevId, r.idevId, r.hwptId]).toEqual([2, 3, 4]);
      const idev = obj<Idev>(k, 3);
      const h = obj<Hwpt>(k, 4);
      expect([r.sobj.users, r.sobj.published, r.sobj.idev === idev]).toEqual([1, true, true]);
      // bind: users 2, attach: + 1
      expect(idev.users).toBe(3);
      expect([h.autoDomain, h.users, h.ioas === ioas, ioas.users]).toEqual([true, 2, true, 2]);
      // mock_dev_create: a new device in a new iommu group of the mock driver.
      const md = r.sobj.mockDev!;
      expect(idev.dev).toBe(md);
      expect([md.mock, md.group.iommu, md.group.id, md.group.domain === h.domain]).toEqual([true, k.mockIommu, 1, true]);
      expect(k.groups.get(md.group.id)).toBe(idev.igroup);
      expect(md.group.ownerCount).toBe(1);
      expect(h.domain!.enforceCCCapable).toBe(false);
    });
  }

  it('a second mock domain on the same IOAS joins the existing auto HWPT (same mock driver)', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await mockDomain(k, t, ioas.id);
      const b = await mockDomain(k, t, ioas.id);
      expect([b.stdevId, b.idevId, b.hwptId]).toEqual([5, 6, a.hwptId]);
      expect(obj<Hwpt>(k, a.hwptId).users).toBe(3);
      expect(a.sobj.mockDev!.group).not.toBe(b.sobj.mockDev!.group);
    });
    expect(out.violation).toBeNull();
  });

  it('on a manual HWPT id (IOMMU_HWPT_ALLOC with a mock idev) the out hwpt id is that HWPT', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await mockDomain(k, t, ioas.id);
      const m = await hwptAllocIoctl(k, t, { flags: 0, devId: a.idevId, ptId: ioas.id });
      const b = await mockDomain(k, t, m.id);
      expect([m.id, b.stdevId, b.idevId, b.hwptId, m.users]).toEqual([5, 6, 7, 5, 2]);
      // Destroying the stdev detaches: the manual HWPT stays with users 1.
      expect(await errno(iommufdDestroy(k, t, b.stdevId))).toBe('ok');
      expect([m.users, m.freed]).toEqual([1, false]);
    });
    expect(out.violation).toBeNull();
  });

  it('a real device\'s manual HWPT cannot take a mock device: iommu_attach_group EINVAL, everything unwound', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      const m = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
      expect(await errno(mockDomain(k, t, m.id))).toBe('EINVAL');
      expect(live(k)).toEqual(['IOAS#1', 'DEVICE#2', 'HW_PAGETABLE#3']);
      expect(m.users).toBe(1);
    });
    expect(out.violation).toBeNull();
  });

  it('pt_id unknown -> ENOENT, pt_id of a DEVICE -> EINVAL; out_unbind then out_sobj leave only the IOAS', async () => {
    const k = makeKernel();
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      seen.push(await errno(mockDomain(k, t, 77)));
      seen.push(live(k).join());
      const a = await mockDomain(k, t, ioas.id);
      seen.push(await errno(mockDomain(k, t, a.idevId)));
      seen.push(live(k).join());
      // ids 5 and 6 were released by the failed call.
      const b = await mockDomain(k, t, ioas.id);
      seen.push(`${b.stdevId} ${b.idevId} ${b.hwptId}`);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['ENOENT', 'IOAS#1', 'EINVAL', 'IOAS#1,SELFTEST#2,DEVICE#3,HW_PAGETABLE#4', '5 6 4']);
    // The failed calls' igroups are gone, their DMA ownership released.
    expect(k.allIgroups.filter((g) => !g.freed)).toHaveLength(2);
    expect(k.iommuGroups.filter((g) => g.ownerCount > 0)).toHaveLength(2);
  });

  const FAILS: Array<{ point: FaultPoint; errno: string }> = [
    { point: 'object_alloc', errno: 'ENOMEM' }, // the selftest object itself
    { point: 'mock_dev', errno: 'ENOMEM' }, // mock_dev_create -> out_sobj
    { point: 'group_alloc', errno: 'ENOMEM' }, // bind: iommufd_get_group -> out_mdev
    { point: 'claim_dma_owner', errno: 'EBUSY' }, // bind -> out_mdev
    { point: 'domain_alloc', errno: 'ENOMEM' }, // attach -> out_unbind
    { point: 'attach_group', errno: 'EINVAL' }, // attach -> out_unbind
    { point: 'copy_to_user', errno: 'EFAULT' }, // iommufd_ucmd_respond -> out_detach
  ];
  for (const f of FAILS) {
    it(`${f.point} -> ${f.errno}: everything allocated so far is undone, ids reused`, async () => {
      const { k, gate } = makeGated({ points: [f.point] });
      let r: unknown;
      let ioas!: Ioas;
      let again!: Awaited<ReturnType<typeof mockDomain>>;
      const out = await runOne(k, async (t) => {
        ioas = await ioasAllocIoctl(k, t);
        gate.armed = true;
        r = await errno(mockDomain(k, t, ioas.id));
        gate.armed = false;
        expect(live(k)).toEqual(['IOAS#1']);
        expect([ioas.users, ioas.hwptList.length, ioas.iopt.domains.length]).toEqual([1, 0, 0]);
        expect(hwpts(k)).toEqual([]);
        expect(k.groups.size).toBe(0);
        expect(k.iommuGroups.every((g) => g.ownerCount === 0 && g.domain === null)).toBe(true);
        expect(k.allDomains.every((d) => d.freed)).toBe(true);
        again = await mockDomain(k, t, ioas.id);
      });
      expect(out.violation).toBeNull();
      expect(r).toBe(f.errno);
      expect([again.stdevId, again.idevId, again.hwptId]).toEqual([2, 3, 4]);
    });
  }
});

describe('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', () => {
  for (const profile of PROFILES) {
    it(`[${profile}] to another IOAS: returns the new auto HWPT's id; the old auto HWPT is destroyed`, async () => {
      const k = makeKernel({ profile });
      const out = await runOne(k, async (t) => {
        const ioas1 = await ioasAllocIoctl(k, t);
        const ioas2 = await ioasAllocIoctl(k, t);
        const md = await mockDomain(k, t, ioas1.id);
        const old = obj<Hwpt>(k, md.hwptId);
        const nid = await mockDomainReplace(k, t, md.stdevId, ioas2.id);
        // The old HWPT's id 5 is freed only after the new one (6) was allocated.
        expect(nid).toBe(6);
        const n = obj<Hwpt>(k, nid);
        expect([old.freed, n.users, n.autoDomain, ioas1.users, ioas2.users, md.sobj.users]).toEqual([true, 2, true, 1, 2, 1]);
        expect(md.sobj.mockDev!.group.domain).toBe(n.domain);
        // Back to ioas1: a fresh auto HWPT, which gets the lowest free id (5).
        expect(await mockDomainReplace(k, t, md.stdevId, ioas1.id)).toBe(5);
        expect(n.freed).toBe(true);
      });
      expect(out.violation).toBeNull();
    });
  }

  it('to a manual HWPT id and back to the IOAS; to the current HWPT returns its id', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const md = await mockDomain(k, t, ioas.id); // 2, 3, 4
      const m = await hwptAllocIoctl(k, t, { flags: 0, devId: md.idevId, ptId: ioas.id }); // 5
      expect(await mockDomainReplace(k, t, md.stdevId, m.id)).toBe(5);
      expect([m.users, obj<Hwpt>(k, 5).autoDomain]).toEqual([2, false]);
      expect(k.objects[4] ?? null).toBeNull();
      expect(await mockDomainReplace(k, t, md.stdevId, m.id)).toBe(5);
      expect(m.users).toBe(2);
      // The manual HWPT is never picked by the auto path: a new auto HWPT (id 4).
      expect(await mockDomainReplace(k, t, md.stdevId, ioas.id)).toBe(4);
      expect(m.users).toBe(1);
    });
    expect(out.violation).toBeNull();
  });

  it('a device_id that is not a SELFTEST object -> ENOENT (iommufd_get_object type check)', async () => {
    const k = makeKernel();
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const md = await mockDomain(k, t, ioas.id);
      seen.push(await errno(mockDomainReplace(k, t, md.idevId, ioas.id)));
      seen.push(await errno(mockDomainReplace(k, t, md.hwptId, ioas.id)));
      seen.push(await errno(mockDomainReplace(k, t, 99, ioas.id)));
      seen.push(obj<Idev>(k, md.idevId).users, obj<Hwpt>(k, md.hwptId).users);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['ENOENT', 'ENOENT', 'ENOENT', 3, 2]);
  });

  it('a failing replace (iommu_group_replace_domain) -> EINVAL; the selftest object hold is dropped, nothing moved', async () => {
    const { k, gate } = makeGated({ points: ['replace_domain'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas1 = await ioasAllocIoctl(k, t);
      const ioas2 = await ioasAllocIoctl(k, t);
      const md = await mockDomain(k, t, ioas1.id);
      gate.armed = true;
      r = await errno(mockDomainReplace(k, t, md.stdevId, ioas2.id));
      gate.armed = false;
      const h = obj<Hwpt>(k, md.hwptId);
      expect([md.sobj.users, h.users, ioas2.users, ioas2.hwptList.length]).toEqual([1, 2, 1, 0]);
      expect(md.sobj.mockDev!.group.domain).toBe(h.domain);
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EINVAL');
  });

  it('copy_to_user failing after a successful replace -> EFAULT, but the replace stays done', async () => {
    const { k, gate } = makeGated({ points: ['copy_to_user'] });
    let r: unknown;
    let old!: Hwpt;
    let ioas2!: Ioas;
    let md!: Awaited<ReturnType<typeof mockDomain>>;
    const out = await runOne(k, async (t) => {
      const ioas1 = await ioasAllocIoctl(k, t);
      ioas2 = await ioasAllocIoctl(k, t);
      md = await mockDomain(k, t, ioas1.id);
      old = obj<Hwpt>(k, md.hwptId);
      gate.armed = true;
      r = await errno(mockDomainReplace(k, t, md.stdevId, ioas2.id));
      gate.armed = false;
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EFAULT');
    expect(old.freed).toBe(true);
    expect(ioas2.hwptList).toHaveLength(1);
    expect(md.sobj.mockDev!.group.domain).toBe(ioas2.hwptList[0]!.domain);
    expect(md.sobj.users).toBe(1);
  });
});
