// iommufd_device_bind / iommufd_device_unbind / iommufd_device_destroy and the iommufd_group
// (iommufd_get_group, iommufd_put_group) of drivers/iommu/iommufd/device.c (v6.6).
import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne } from '../helpers/kernel.js';
import { deviceBind, deviceUnbind } from '../../engine/device.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import { Idev } from '../../engine/objects.js';
import { objectDestroyUser } from '../../engine/object-table.js';
import { attach, dev, live, makeGated, topo, TWO_GROUPS, TWO_IN_GROUP } from './support.js';

describe('iommufd_device_bind: order of checks and unwind', () => {
  it('a device without IOMMU_CAP_CACHE_COHERENCY -> EINVAL before any igroup is looked up', async () => {
    const k = makeKernel({ topology: topo([[dev({ cacheCoherent: false })]]), failAt: ['group_alloc'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      // group_alloc would fail with ENOMEM if iommufd_get_group were reached.
      r = await errno(deviceBind(k, t, k.devices[0]!));
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EINVAL');
    expect(k.allIgroups).toEqual([]);
    expect(live(k)).toEqual([]);
  });

  it('iommufd_get_group failure (kzalloc of the igroup) -> ENOMEM, nothing claimed', async () => {
    const k = makeKernel({ failAt: ['group_alloc'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      r = await errno(deviceBind(k, t, k.devices[0]!));
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
    expect(k.allIgroups).toEqual([]);
    expect(k.iommuGroups[0]!.ownerCount).toBe(0);
  });

  it('a group without isolated MSI -> EPERM (allow_unsafe_interrupts off), after iommufd_get_group; out_group_put releases the igroup', async () => {
    const k = makeKernel({
      topology: topo([[dev()]], { iommus: [{ isolatedMsi: false }] }),
      failAt: ['claim_dma_owner'],
    });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      r = await errno(deviceBind(k, t, k.devices[0]!));
    });
    expect(out.violation).toBeNull();
    // EPERM, not the EBUSY of the claim_dma_owner failure point: the MSI check comes first.
    expect(r).toBe('EPERM');
    expect(k.allIgroups).toHaveLength(1);
    expect(k.allIgroups[0]!.freed).toBe(true);
    expect(k.allIgroups[0]!.ref).toBe(0);
    expect(k.groups.size).toBe(0);
    expect(k.iommuGroups[0]!.ownerCount).toBe(0);
    expect(live(k)).toEqual([]);
  });

  it('iommu_device_claim_dma_owner failure -> its errno (EBUSY); out_group_put releases the igroup', async () => {
    const k = makeKernel({ failAt: ['claim_dma_owner'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      r = await errno(deviceBind(k, t, k.devices[0]!));
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EBUSY');
    expect(k.allIgroups.map((g) => g.freed)).toEqual([true]);
    expect(k.groups.size).toBe(0);
    expect(k.iommuGroups[0]!.ownerCount).toBe(0);
    expect(k.iommuGroups[0]!.owner).toBeNull();
  });

  it('iommufd_object_alloc failure -> ENOMEM; out_release_owner drops the DMA ownership, then the igroup', async () => {
    const k = makeKernel({ failAt: ['object_alloc'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      r = await errno(deviceBind(k, t, k.devices[0]!));
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
    expect(k.iommuGroups[0]!.ownerCount).toBe(0);
    expect(k.iommuGroups[0]!.owner).toBeNull();
    expect(k.allIgroups.map((g) => g.freed)).toEqual([true]);
    expect(k.groups.size).toBe(0);
    expect(k.objects.every((o) => o === null)).toBe(true);
  });

  it('object_alloc failure for the second device of a group keeps the first device\'s ownership and igroup', async () => {
    const { k, gate } = makeGated({ topology: TWO_IN_GROUP, points: ['object_alloc'] });
    let r: unknown;
    let first!: Idev;
    const out = await runOne(k, async (t) => {
      first = await deviceBind(k, t, k.devices[0]!);
      gate.armed = true;
      r = await errno(deviceBind(k, t, k.devices[1]!));
      gate.armed = false;
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
    expect(k.iommuGroups[0]!.ownerCount).toBe(1);
    expect(k.iommuGroups[0]!.owner).toBe(k);
    expect(first.igroup.ref).toBe(1);
    expect(first.igroup.freed).toBe(false);
    expect(k.groups.get(0)).toBe(first.igroup);
    expect(live(k)).toEqual(['DEVICE#1']);
  });

  it('success: users = 2 (xarray + driver), enforce_cache_coherency from the device, published', async () => {
    const k = makeKernel({ topology: topo([[dev({ enforceCC: true })], [dev()]]) });
    const got: Idev[] = [];
    const out = await runOne(k, async (t) => {
      got.push(await deviceBind(k, t, k.devices[0]!));
      got.push(await deviceBind(k, t, k.devices[1]!));
    });
    expect(out.violation).toBeNull();
    expect(got.map((d) => [d.id, d.users, d.published, d.enforceCC])).toEqual([
      [1, 2, true, true],
      [2, 2, true, false],
    ]);
    // One igroup per iommu group.
    expect(got[0]!.igroup).not.toBe(got[1]!.igroup);
    expect([...k.groups.keys()]).toEqual([0, 1]);
    expect(k.iommuGroups.map((g) => g.ownerCount)).toEqual([1, 1]);
  });
});

describe('iommufd_group sharing (iommufd_get_group fast path) and unbind', () => {
  it('two devices of one group share one igroup (kref 2) and the DMA ownership (owner_cnt 2); unbind frees it at the last put', async () => {
    const k = makeKernel({ topology: TWO_IN_GROUP });
    const seen: unknown[] = [];
    let a!: Idev;
    let b!: Idev;
    const out = await runOne(k, async (t) => {
      a = await deviceBind(k, t, k.devices[0]!);
      b = await deviceBind(k, t, k.devices[1]!);
      seen.push(a.igroup === b.igroup, a.igroup.ref, k.iommuGroups[0]!.ownerCount, k.allIgroups.length);
      await deviceUnbind(k, t, a);
      seen.push(a.freed, k.objects[a.id], b.igroup.ref, b.igroup.freed, k.iommuGroups[0]!.ownerCount, k.groups.get(0) === b.igroup);
      await deviceUnbind(k, t, b);
      seen.push(b.freed, b.igroup.ref, b.igroup.freed, k.iommuGroups[0]!.ownerCount, k.iommuGroups[0]!.owner, k.groups.size);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual([true, 2, 2, 1, true, null, 1, false, 1, true, true, 0, true, 0, null, 0]);
  });

  it('the second device of an owned group takes the fast paths: neither the igroup kzalloc nor __iommu_take_dma_ownership is reached', async () => {
    const { k, gate } = makeGated({ topology: TWO_IN_GROUP, points: ['group_alloc', 'claim_dma_owner'] });
    const out = await runOne(k, async (t) => {
      const a = await deviceBind(k, t, k.devices[0]!);
      gate.armed = true;
      const b = await deviceBind(k, t, k.devices[1]!);
      gate.armed = false;
      // iommufd_get_group: kref_get_unless_zero on the existing igroup; claim: owner_cnt++.
      expect([b.igroup === a.igroup, a.igroup.ref, k.iommuGroups[0]!.ownerCount, gate.draws]).toEqual([true, 2, 2, 0]);
    });
    expect(out.violation).toBeNull();
  });

  it('rebinding after the igroup was freed allocates a new igroup', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const a = await deviceBind(k, t, k.devices[0]!);
      await deviceUnbind(k, t, a);
      const b = await deviceBind(k, t, k.devices[0]!);
      expect(b.id).toBe(1);
      expect(b.igroup).not.toBe(a.igroup);
      expect(k.groups.get(0)).toBe(b.igroup);
      await deviceUnbind(k, t, b);
    });
    expect(out.violation).toBeNull();
    expect(k.allIgroups.map((g) => g.freed)).toEqual([true, true]);
  });

  it('unbind waits for nothing when idle: users 2 -> extra_put 1 -> dec_if_one 0, destroy releases owner and igroup', async () => {
    const k = makeKernel({ topology: TWO_GROUPS });
    const out = await runOne(k, async (t) => {
      const a = await deviceBind(k, t, k.devices[0]!);
      const g = a.igroup;
      await deviceUnbind(k, t, a);
      expect([a.users, a.removed, a.freed, g.freed, k.iommuGroups[0]!.ownerCount]).toEqual([0, true, true, true, 0]);
    });
    expect(out.violation).toBeNull();
  });

  it('unbind while still attached is a caller bug: the device machine refuses UNBIND in "attached"', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await deviceBind(k, t, k.devices[0]!);
      await attach(k, t, a, ioas.id);
      await deviceUnbind(k, t, a);
    });
    expect(out.violation?.kind).toBe('model');
    expect(out.violation?.location).toBe('device:attached:UNBIND');
  });

  it('__iommufd_object_destroy_user(allow_fail = false) on an attached device: WARN, users 3 -> 2 and the object stays', async () => {
    const k = makeKernel();
    let a!: Idev;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      a = await deviceBind(k, t, k.devices[0]!);
      await attach(k, t, a, ioas.id);
      expect(a.users).toBe(3);
      // What iommufd_device_unbind does underneath its device-machine event.
      await objectDestroyUser(k, t, a, false);
    });
    // iommufd_object_remove(extra_put): refcount_dec 3 -> 2, refcount_dec_if_one fails -> EBUSY;
    // WARN_ON(IS_ERR(ret)) and return without destroy.
    expect(out.violation?.kind).toBe('warn');
    expect(out.violation?.location).toBe('__iommufd_object_destroy_user');
    expect(a.users).toBe(2);
    expect(a.freed).toBe(false);
    expect(k.objects[a.id]).toBe(a);
  });
});
