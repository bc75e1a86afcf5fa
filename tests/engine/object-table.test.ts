// The object table (drivers/iommu/iommufd/main.c, v6.6): id allocation, RESERVED slots,
// iommufd_get_object, IOMMU_DESTROY per object type, and iommufd_fops_release.
import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne } from '../helpers/kernel.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import {
  fopsRelease,
  getObject,
  iommufdDestroy,
  objectAbort,
  objectAlloc,
  objectFinalize,
  putObject,
} from '../../engine/object-table.js';
import { deviceBind, deviceDetach, deviceUnbind } from '../../engine/device.js';
import { hwptAllocIoctl } from '../../engine/hw-pagetable.js';
import { mockDomain } from '../../engine/selftest.js';
import { Hwpt, Idev, Ioas, OBJ_ANY, ObjType, SelftestObj } from '../../engine/objects.js';
import { PROFILES } from '../../engine/profiles.js';
import { attach, live, makeGated, obj, TWO_GROUPS } from './support.js';

describe('object ids (xa_alloc with XA_FLAGS_ALLOC1)', () => {
  it('hands out the lowest free id starting at 1 and reuses destroyed ids', async () => {
    const k = makeKernel();
    const ids: number[] = [];
    const out = await runOne(k, async (t) => {
      for (let i = 0; i < 3; i++) ids.push((await ioasAllocIoctl(k, t)).id);
      // iommufd_destroy -> iommufd_object_remove stores NULL: id 2 becomes free again.
      expect(await errno(iommufdDestroy(k, t, 2))).toBe('ok');
      ids.push((await ioasAllocIoctl(k, t)).id);
      expect(await errno(iommufdDestroy(k, t, 1))).toBe('ok');
      expect(await errno(iommufdDestroy(k, t, 3))).toBe('ok');
      ids.push((await ioasAllocIoctl(k, t)).id);
      ids.push((await ioasAllocIoctl(k, t)).id);
      ids.push((await ioasAllocIoctl(k, t)).id);
    });
    expect(out.violation).toBeNull();
    expect(ids).toEqual([1, 2, 3, 2, 1, 3, 4]);
  });

  it('a RESERVED id (alloc, not finalized) is taken but invisible: get_object and IOMMU_DESTROY give ENOENT', async () => {
    const k = makeKernel();
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      // _iommufd_object_alloc: xa_alloc(XA_ZERO_ENTRY); xa_load reports the zero entry as NULL.
      const r = await objectAlloc(k, t, new Ioas());
      k.newIoasParts(r);
      seen.push(r.id, r.users, r.published);
      seen.push(await errno(getObject(k, t, r.id, OBJ_ANY)));
      seen.push(await errno(getObject(k, t, r.id, ObjType.IOAS)));
      // iommufd_object_remove: xa_is_zero(obj) -> ENOENT
      seen.push(await errno(iommufdDestroy(k, t, r.id)));
      // The id stays taken: the next allocation skips it.
      const next = await ioasAllocIoctl(k, t);
      seen.push(next.id);
      // iommufd_object_finalize: xa_store of the pointer, now visible.
      await objectFinalize(k, t, r);
      const got = await getObject(k, t, r.id, ObjType.IOAS);
      seen.push(got === r, r.users);
      await putObject(k, t, got);
      seen.push(r.users);
      seen.push(await errno(iommufdDestroy(k, t, r.id)));
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual([1, 1, false, 'ENOENT', 'ENOENT', 'ENOENT', 2, true, 2, 1, 'ok']);
    expect(live(k)).toEqual(['IOAS#2']);
  });

  it('iommufd_object_abort frees a RESERVED id for reuse', async () => {
    const k = makeKernel();
    const ids: number[] = [];
    const out = await runOne(k, async (t) => {
      const r = await objectAlloc(k, t, new Ioas());
      k.newIoasParts(r);
      ids.push(r.id);
      await objectAbort(k, t, r);
      expect(r.freed).toBe(true);
      ids.push((await ioasAllocIoctl(k, t)).id);
    });
    expect(out.violation).toBeNull();
    expect(ids).toEqual([1, 1]);
  });
});

describe('IOMMU_IOAS_ALLOC (iommufd_ioas_alloc_ioctl)', () => {
  it('flags != 0 -> EOPNOTSUPP without allocating; success: users 1, published, empty iopt', async () => {
    const k = makeKernel();
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      seen.push(await errno(ioasAllocIoctl(k, t, 1)));
      const ioas = await ioasAllocIoctl(k, t);
      seen.push(ioas.id, ioas.users, ioas.published, ioas.hwptList.length, ioas.iopt.domains.length, ioas.iopt.reserved.length);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['EOPNOTSUPP', 1, 1, true, 0, 0, 0]);
  });

  it('copy_to_user fails -> EFAULT: out_table aborts the object and frees its id', async () => {
    const { k, gate } = makeGated({ points: ['copy_to_user'] });
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      gate.armed = true;
      seen.push(await errno(ioasAllocIoctl(k, t)));
      gate.armed = false;
      seen.push(live(k).length, k.allObjects[0]!.freed, (await ioasAllocIoctl(k, t)).id);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['EFAULT', 0, true, 1]);
  });

  it('object_alloc fails -> ENOMEM, no id taken', async () => {
    const k = makeKernel({ failAt: ['object_alloc'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      r = await errno(ioasAllocIoctl(k, t));
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
    expect(k.objects.every((o) => o === null)).toBe(true);
  });
});

describe('iommufd_get_object', () => {
  it('fails with ENOENT on a type mismatch, succeeds with the right type or IOMMUFD_OBJ_ANY', async () => {
    const k = makeKernel();
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      // obj->type != type -> ENOENT
      seen.push(await errno(getObject(k, t, ioas.id, ObjType.DEVICE)));
      seen.push(await errno(getObject(k, t, ioas.id, ObjType.HW_PAGETABLE)));
      seen.push(await errno(getObject(k, t, idev.id, ObjType.IOAS)));
      seen.push(ioas.users, idev.users);
      // Success takes one short-term hold: users + 1 and a read hold on destroy_rwsem.
      const a = await getObject(k, t, ioas.id, ObjType.IOAS);
      const b = await getObject(k, t, idev.id, OBJ_ANY);
      seen.push(a === ioas, b === idev, ioas.users, idev.users);
      // While the hold is up, IOMMU_DESTROY sees users != 1 and returns EBUSY.
      seen.push(await errno(iommufdDestroy(k, t, ioas.id)));
      await putObject(k, t, a);
      await putObject(k, t, b);
      seen.push(ioas.users, idev.users);
      // ids 0, out of range, unknown
      seen.push(await errno(getObject(k, t, 0, OBJ_ANY)), await errno(getObject(k, t, 77, OBJ_ANY)));
      await deviceUnbind(k, t, idev);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['ENOENT', 'ENOENT', 'ENOENT', 1, 2, true, true, 2, 3, 'EBUSY', 1, 2, 'ENOENT', 'ENOENT']);
  });

  it('the get_object failure point returns ENOENT before looking at the table', async () => {
    const k = makeKernel({ failAt: ['get_object'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      r = await errno(getObject(k, t, ioas.id, ObjType.IOAS));
      expect(ioas.users).toBe(1);
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOENT');
  });
});

describe('IOMMU_DESTROY (iommufd_destroy -> iommufd_object_remove(extra_put = false))', () => {
  for (const profile of PROFILES) {
    it(`[${profile}] unknown id, id 0, already destroyed -> ENOENT`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      const out = await runOne(k, async (t) => {
        seen.push(await errno(iommufdDestroy(k, t, 0)));
        seen.push(await errno(iommufdDestroy(k, t, 1)));
        const ioas = await ioasAllocIoctl(k, t);
        seen.push(await errno(iommufdDestroy(k, t, ioas.id)));
        seen.push(await errno(iommufdDestroy(k, t, ioas.id)));
        seen.push(await errno(iommufdDestroy(k, t, 1 << 30)));
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual(['ENOENT', 'ENOENT', 'ok', 'ENOENT', 'ENOENT']);
      expect(k.objects.every((o) => o === null)).toBe(true);
    });

    it(`[${profile}] IOAS with a HWPT -> EBUSY (the HWPT holds a users reference); ok once the HWPT is gone`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      let ioas!: Ioas;
      const out = await runOne(k, async (t) => {
        ioas = await ioasAllocIoctl(k, t);
        const idev = await deviceBind(k, t, k.devices[0]!);
        const h = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
        seen.push(ioas.users);
        // refcount_dec_if_one(users) fails: 2 -> EBUSY, users unchanged.
        seen.push(await errno(iommufdDestroy(k, t, ioas.id)), ioas.users, ioas.freed);
        seen.push(await errno(iommufdDestroy(k, t, h.id)), ioas.users);
        seen.push(await errno(iommufdDestroy(k, t, ioas.id)), ioas.freed);
        await deviceUnbind(k, t, idev);
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual([2, 'EBUSY', 2, false, 'ok', 1, 'ok', true]);
      expect(ioas.iopt.domains).toEqual([]);
    });

    it(`[${profile}] manual HWPT: EBUSY while a device is attached, ok after detach`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      let h!: Hwpt;
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const idev = await deviceBind(k, t, k.devices[0]!);
        h = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
        seen.push(await attach(k, t, idev, h.id), h.users);
        seen.push(await errno(iommufdDestroy(k, t, h.id)), h.users, h.published);
        await deviceDetach(k, t, idev);
        seen.push(h.users, h.freed);
        seen.push(await errno(iommufdDestroy(k, t, h.id)), h.freed, ioas.users);
        await deviceUnbind(k, t, idev);
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual([3, 2, 'EBUSY', 2, true, 1, false, 'ok', true, 1]);
      expect(h.domain!.freed).toBe(true);
    });

    it(`[${profile}] auto HWPT while attached -> EBUSY, users unchanged`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const idev = await deviceBind(k, t, k.devices[0]!);
        const hid = await attach(k, t, idev, ioas.id);
        const h = obj<Hwpt>(k, hid);
        seen.push(hid, h.autoDomain, h.users);
        seen.push(await errno(iommufdDestroy(k, t, hid)), h.users, k.objects[hid] === h);
        // The last detach destroys it (iommufd_hw_pagetable_put -> iommufd_object_deref_user).
        await deviceDetach(k, t, idev);
        seen.push(h.freed, k.objects[hid]);
        seen.push(await errno(iommufdDestroy(k, t, hid)));
        await deviceUnbind(k, t, idev);
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual([3, true, 2, 'EBUSY', 2, true, true, null, 'ENOENT']);
    });

    it(`[${profile}] DEVICE -> always EBUSY (the driver reference), bound or attached`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const idev = await deviceBind(k, t, k.devices[0]!);
        seen.push(idev.users, await errno(iommufdDestroy(k, t, idev.id)), idev.users);
        await attach(k, t, idev, ioas.id);
        seen.push(idev.users, await errno(iommufdDestroy(k, t, idev.id)), idev.users);
        await deviceDetach(k, t, idev);
        await deviceUnbind(k, t, idev);
        seen.push(idev.freed);
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual([2, 'EBUSY', 2, 3, 'EBUSY', 3, true]);
    });

    it(`[${profile}] SELFTEST -> iommufd_selftest_destroy detaches and unbinds the mock device, freeing all`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      let ioas!: Ioas;
      const out = await runOne(k, async (t) => {
        ioas = await ioasAllocIoctl(k, t);
        const md = await mockDomain(k, t, ioas.id);
        const idev = obj<Idev>(k, md.idevId);
        const h = obj<Hwpt>(k, md.hwptId);
        const g = idev.igroup;
        seen.push(md.stdevId, md.idevId, md.hwptId, md.sobj.users, idev.users, h.users, ioas.users);
        seen.push(await errno(iommufdDestroy(k, t, md.stdevId)));
        seen.push(md.sobj.freed, idev.freed, h.freed, g.freed, h.domain!.freed, idev.dev.group.domain, idev.dev.group.ownerCount);
        seen.push(ioas.users, ioas.hwptList.length, ioas.iopt.domains.length, k.groups.size);
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual([2, 3, 4, 1, 3, 2, 2, 'ok', true, true, true, true, true, null, 0, 1, 0, 0, 0]);
      expect(live(k)).toEqual(['IOAS#1']);
    });
  }
});

describe('iommufd_fops_release (ctx close)', () => {
  it('destroys everything with users == 1, pass after pass, and leaves ctx->objects and ctx->groups empty', async () => {
    const k = makeKernel({ topology: TWO_GROUPS });
    const before: string[] = [];
    const out = await runOne(k, async (t) => {
      const ioas1 = await ioasAllocIoctl(k, t);
      const ioas2 = await ioasAllocIoctl(k, t);
      const md1 = await mockDomain(k, t, ioas1.id); // auto HWPT on ioas1
      const md2 = await mockDomain(k, t, ioas1.id); // a second mock group shares it
      expect(md2.hwptId).toBe(md1.hwptId);
      // A manual HWPT of the mock driver (IOMMU_HWPT_ALLOC with the mock idev), then a third
      // mock device attached to it by id.
      const manual = await hwptAllocIoctl(k, t, { flags: 0, devId: md1.idevId, ptId: ioas2.id });
      await mockDomain(k, t, manual.id);
      // A real device, bound and attached, then detached and unbound again.
      const idev = await deviceBind(k, t, k.devices[0]!);
      await attach(k, t, idev, ioas2.id);
      await deviceDetach(k, t, idev);
      await deviceUnbind(k, t, idev);
      before.push(...live(k));
      await fopsRelease(k, t);
    });
    expect(out.violation).toBeNull();
    expect(before).toEqual([
      'IOAS#1',
      'IOAS#2',
      'SELFTEST#3',
      'DEVICE#4',
      'HW_PAGETABLE#5',
      'SELFTEST#6',
      'DEVICE#7',
      'HW_PAGETABLE#8',
      'SELFTEST#9',
      'DEVICE#10',
    ]);
    expect(k.objects.every((o) => o === null)).toBe(true);
    expect(k.closed).toBe(true);
    expect(k.groups.size).toBe(0);
    expect(k.warnings).toEqual([]);
    expect(k.allObjects.every((o) => o.freed)).toBe(true);
    expect(k.allIgroups.every((g) => g.freed)).toBe(true);
    expect(k.allDomains.every((d) => d.freed)).toBe(true);
    expect(k.iommuGroups.every((g) => g.domain === null && g.ownerCount === 0)).toBe(true);
  });

  it('an object whose users only drop to 1 during a pass is freed in the next pass (xa_for_each order)', async () => {
    const k = makeKernel();
    const seen: string[] = [];
    let mark = 0;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const md1 = await mockDomain(k, t, ioas.id); // 2, 3, 4
      const manual = await hwptAllocIoctl(k, t, { flags: 0, devId: md1.idevId, ptId: ioas.id }); // 5
      const md2 = await mockDomain(k, t, manual.id); // 6, 7, attached to 5
      expect(await errno(iommufdDestroy(k, t, md1.stdevId))).toBe('ok');
      seen.push(`${manual.id} ${md2.stdevId} ${md2.idevId} ${md2.hwptId}`, `${ioas.users} ${manual.users}`);
      mark = k.trace.length;
      await fopsRelease(k, t);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['5 6 7 5', '2 2']);
    expect(k.objects.every((o) => o === null)).toBe(true);
    const tail = k.trace.slice(mark).map((e) => e.text);
    // Pass 1: IOAS#1 (users 2) and HWPT#5 (users 2) are skipped; SELFTEST#6's destroy detaches
    // (HWPT#5 users 2 -> 1) and unbinds DEVICE#7. Pass 2: HWPT#5. Pass 3: IOAS#1.
    expect(tail.filter((s) => s.startsWith('kfree ') && !s.includes('igroup'))).toEqual([
      'kfree DEVICE#7',
      'kfree SELFTEST#6',
      'kfree HW_PAGETABLE#5',
      'kfree IOAS#1',
    ]);
    // The release walk notes its removals like iommufd_object_remove (DEVICE#7's, inside SELFTEST#6's destroy).
    expect(tail.filter((s) => s.includes('from ctx->objects'))).toEqual([
      'remove SELFTEST#6 from ctx->objects',
      'remove DEVICE#7 from ctx->objects',
      'remove HW_PAGETABLE#5 from ctx->objects',
      'remove IOAS#1 from ctx->objects',
    ]);
  });

  it('ignores RESERVED slots in its walk but cannot empty the table: WARN "bug related to users refcount"', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const r = await objectAlloc(k, t, new SelftestObj());
      expect(r.id).toBe(1);
      await fopsRelease(k, t);
    });
    // iommufd_fops_release: xa_for_each skips the zero entry, but xa_empty() is false; WARN_ON(!destroyed).
    expect(out.violation?.kind).toBe('warn');
    expect(out.violation?.location).toBe('iommufd_fops_release');
  });
});
