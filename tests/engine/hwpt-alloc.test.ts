// IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc) and iommufd_hw_pagetable_alloc(immediate_attach = false)
// of drivers/iommu/iommufd/hw_pagetable.c (v6.6), with their unwind paths.
import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne } from '../helpers/kernel.js';
import { hwptAllocIoctl } from '../../engine/hw-pagetable.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import { deviceBind, deviceDetach } from '../../engine/device.js';
import { iommufdDestroy } from '../../engine/object-table.js';
import { Hwpt, Idev, Ioas } from '../../engine/objects.js';
import { PROFILES } from '../../engine/profiles.js';
import { attach, dev, hwpts, live, makeGated, obj, topo } from './support.js';

/** State that a failed IOMMU_HWPT_ALLOC must leave as it found it. */
function expectNoHwpt(k: import('../../engine/kernel.js').Kernel, ioas: Ioas, idev: Idev): void {
  expect(hwpts(k)).toEqual([]);
  expect(ioas.users).toBe(1);
  expect(ioas.hwptList).toEqual([]);
  expect(ioas.iopt.domains).toEqual([]);
  expect(ioas.iopt.reserved).toEqual([]);
  expect(idev.users).toBe(2);
  expect(k.allDomains.every((d) => d.freed)).toBe(true);
  expect(idev.igroup.hwpt).toBeNull();
  expect(idev.dev.group.domain).toBeNull();
  expect(live(k)).toEqual([`IOAS#${ioas.id}`, `DEVICE#${idev.id}`]);
}

describe('IOMMU_HWPT_ALLOC: argument checks in the kernel order', () => {
  it('flags != 0 -> EOPNOTSUPP before any lookup', async () => {
    // With get_object failing every time, any lookup would answer ENOENT.
    const k = makeKernel({ failAt: ['get_object'] });
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      seen.push(await errno(hwptAllocIoctl(k, t, { flags: 1, devId: idev.id, ptId: ioas.id })));
      seen.push(await errno(hwptAllocIoctl(k, t, { flags: 1, devId: 99, ptId: 98 })));
      seen.push(await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id })));
      seen.push(ioas.users, idev.users);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['EOPNOTSUPP', 'EOPNOTSUPP', 'ENOENT', 1, 2]);
  });

  for (const profile of PROFILES) {
    it(`[${profile}] dev_id that is unknown or not a DEVICE -> ENOENT (iommufd_get_device), nothing held`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const idev = await deviceBind(k, t, k.devices[0]!);
        seen.push(await errno(hwptAllocIoctl(k, t, { flags: 0, devId: 0, ptId: ioas.id })));
        seen.push(await errno(hwptAllocIoctl(k, t, { flags: 0, devId: 42, ptId: ioas.id })));
        seen.push(await errno(hwptAllocIoctl(k, t, { flags: 0, devId: ioas.id, ptId: ioas.id })));
        seen.push(ioas.users, idev.users, hwpts(k).length);
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual(['ENOENT', 'ENOENT', 'ENOENT', 1, 2, 0]);
    });

    it(`[${profile}] pt_id unknown, a DEVICE or a HWPT -> ENOENT (iommufd_get_ioas), and the idev hold is dropped`, async () => {
      const k = makeKernel({ profile });
      const seen: unknown[] = [];
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const idev = await deviceBind(k, t, k.devices[0]!);
        const h = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
        seen.push(await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: 50 })));
        seen.push(await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: idev.id })));
        // v6.6: pt_id must be an IOAS; a HWPT id is a type mismatch (nesting came in v6.7).
        seen.push(await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: h.id })));
        seen.push(idev.users, h.users, ioas.users, hwpts(k).length);
      });
      expect(out.violation).toBeNull();
      expect(seen).toEqual(['ENOENT', 'ENOENT', 'ENOENT', 2, 1, 2, 1]);
    });
  }
});

describe('IOMMU_HWPT_ALLOC: success', () => {
  it('gives a manual HWPT: auto_domain false, users 1, on hwpt_list with its domain in the iopt, ioas users + 1', async () => {
    const k = makeKernel();
    let h!: Hwpt;
    let ioas!: Ioas;
    let idev!: Idev;
    const out = await runOne(k, async (t) => {
      ioas = await ioasAllocIoctl(k, t);
      idev = await deviceBind(k, t, k.devices[0]!);
      h = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
    });
    expect(out.violation).toBeNull();
    expect([h.id, h.autoDomain, h.users, h.published, h.onList, h.ioas === ioas]).toEqual([3, false, 1, true, true, true]);
    expect(k.objects[3]).toBe(h);
    expect(ioas.users).toBe(2);
    expect(ioas.hwptList).toEqual([h]);
    expect(ioas.iopt.domains).toEqual([h.domain]);
    // The domain comes from the device's iommu; nothing is attached.
    expect(h.domain!.iommu).toBe(0);
    expect(h.msiCookie).toBe(false);
    expect(idev.users).toBe(2);
    expect(idev.igroup.hwpt).toBeNull();
    expect(idev.dev.group.domain).toBeNull();
    expect(ioas.iopt.reserved).toEqual([]);
  });

  it('two allocations give two HWPTs on the list in order; IOMMU_DESTROY of one unlinks and frees only it', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      const a = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
      const b = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
      expect([a.id, b.id, ioas.users]).toEqual([3, 4, 3]);
      expect(ioas.hwptList).toEqual([a, b]);
      expect(a.domain).not.toBe(b.domain);
      // iommufd_hw_pagetable_destroy: list_del under ioas->mutex, iopt_table_remove_domain,
      // iommu_domain_free, refcount_dec(ioas).
      expect(await errno(iommufdDestroy(k, t, a.id))).toBe('ok');
      expect(ioas.hwptList).toEqual([b]);
      expect(ioas.iopt.domains).toEqual([b.domain]);
      expect([a.freed, a.domain!.freed, ioas.users]).toEqual([true, true, 2]);
    });
    expect(out.violation).toBeNull();
  });

  it('an enforce-cache-coherency device makes the new HWPT enforce (iommufd_hw_pagetable_enforce_cc)', async () => {
    const k = makeKernel({ topology: topo([[dev({ enforceCC: true })]]) });
    let h!: Hwpt;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      h = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
    });
    expect(out.violation).toBeNull();
    expect(h.enforceCC).toBe(true);
  });

  it('an enforce device whose iommu cannot enforce: WARN_ON(rc) in iommufd_hw_pagetable_alloc (a driver bug)', async () => {
    const k = makeKernel({ topology: topo([[dev({ enforceCC: true })]], { iommus: [{ enforceCC: false }] }) });
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
    });
    expect(out.violation?.kind).toBe('warn');
    expect(out.violation?.location).toBe('iommufd_hw_pagetable_alloc');
  });

  it('a manual HWPT is never picked by the auto path: attaching to the IOAS makes a separate auto HWPT', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      const m = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
      const hid = await attach(k, t, idev, ioas.id);
      expect(hid).toBe(4);
      const auto = obj<Hwpt>(k, hid);
      expect([auto.autoDomain, auto.users, m.users]).toEqual([true, 2, 1]);
      expect(ioas.hwptList).toEqual([m, auto]);
      await deviceDetach(k, t, idev);
      expect(auto.freed).toBe(true);
      expect(ioas.hwptList).toEqual([m]);
    });
    expect(out.violation).toBeNull();
  });
});

describe('IOMMU_HWPT_ALLOC: unwind', () => {
  it('copy_to_user (iommufd_ucmd_respond) fails -> EFAULT; abort_and_destroy under ioas->mutex frees id, domain and the ioas reference', async () => {
    const { k, gate } = makeGated({ points: ['copy_to_user'] });
    let r: unknown;
    let ioas!: Ioas;
    let idev!: Idev;
    let nextId = 0;
    const out = await runOne(k, async (t) => {
      ioas = await ioasAllocIoctl(k, t);
      idev = await deviceBind(k, t, k.devices[0]!);
      gate.armed = true;
      r = await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id }));
      gate.armed = false;
      expectNoHwpt(k, ioas, idev);
      // The aborted HWPT's id 3 is free again.
      nextId = (await ioasAllocIoctl(k, t)).id;
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EFAULT');
    expect(nextId).toBe(3);
    const aborted = k.allObjects.find((o) => o instanceof Hwpt) as Hwpt;
    expect([aborted.freed, aborted.published, aborted.onList, aborted.domain!.freed]).toEqual([true, false, false, true]);
  });

  it('iommu_domain_alloc returns NULL -> ENOMEM, no leak', async () => {
    const k = makeKernel({ failAt: ['domain_alloc'] });
    let r: unknown;
    let nextId = 0;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      r = await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id }));
      expectNoHwpt(k, ioas, idev);
      nextId = (await ioasAllocIoctl(k, t)).id;
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
    expect(nextId).toBe(3);
    expect(k.allDomains).toEqual([]);
  });

  it('iommufd_object_alloc fails -> ENOMEM, ioas and idev holds dropped', async () => {
    const { k, gate } = makeGated({ points: ['object_alloc'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      gate.armed = true;
      r = await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id }));
      gate.armed = false;
      expectNoHwpt(k, ioas, idev);
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
    expect(k.allObjects.some((o) => o instanceof Hwpt)).toBe(false);
  });

  it('iopt_table_add_domain fails on a mapped IOAS -> ENOMEM; the unlisted HWPT is aborted', async () => {
    const k = makeKernel({ topology: topo([[dev()]], { ioas: [[{ start: 0x100000, length: 0x1000 }]] }), failAt: ['add_domain'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      r = await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id }));
      expectNoHwpt(k, ioas, idev);
      expect(ioas.iopt.mapped).toHaveLength(1);
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
  });

  it('iopt_table_add_domain cannot fail on an empty IOAS (iopt_fill_domain has no area to fill)', async () => {
    const k = makeKernel({ failAt: ['add_domain'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const idev = await deviceBind(k, t, k.devices[0]!);
      r = await errno(hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id }));
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ok');
  });
});
