// Every failure point on the attach path leaves the state as it was (the unwind labels of
// iommufd_hw_pagetable_alloc: out_detach / out_abort, of iommufd_hw_pagetable_attach:
// err_unresv / err_unlock, of iommufd_device_auto_get_domain: out_abort / out_unlock).
import { describe, expect, it } from 'vitest';
import { errno, runOne } from '../helpers/kernel.js';
import { deviceBind, deviceDetach } from '../../engine/device.js';
import { hwptAllocIoctl } from '../../engine/hw-pagetable.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import type { FaultPoint } from '../../engine/faults.js';
import type { Kernel } from '../../engine/kernel.js';
import { Hwpt, Idev, Ioas } from '../../engine/objects.js';
import { PROFILES } from '../../engine/profiles.js';
import { attach, dev, hwpts, live, makeGated, obj, RESV, resvOf, SW_MSI, topo } from './support.js';

/** One device with a reserved region and a SW_MSI window; the IOAS has a mapping elsewhere. */
const TOPO = topo([[dev({ resv: [RESV, SW_MSI] })], [dev({ resv: [RESV, SW_MSI] })]], {
  ioas: [[{ start: 0x100000, length: 0x1000 }]],
});

interface Case {
  point: FaultPoint;
  errno: string;
  /** iopt_table_enforce_dev_resv_regions ran before the failure (it sets sw_msi_start and never resets it). */
  msiStartSet: boolean;
  /** The point is reached when attaching by HWPT id (not only on the allocation path). */
  byId: boolean;
}

const CASES: Case[] = [
  { point: 'get_object', errno: 'ENOENT', msiStartSet: false, byId: true }, // iommufd_get_object in change_pt
  { point: 'object_alloc', errno: 'ENOMEM', msiStartSet: false, byId: false }, // _iommufd_object_alloc
  { point: 'domain_alloc', errno: 'ENOMEM', msiStartSet: false, byId: false }, // iommu_domain_alloc -> NULL
  { point: 'resv_regions', errno: 'EINVAL', msiStartSet: false, byId: true }, // iommufd_should_fail in enforce_dev_resv_regions
  { point: 'setup_msi', errno: 'ENOMEM', msiStartSet: true, byId: true }, // iommu_get_msi_cookie
  { point: 'attach_group', errno: 'EINVAL', msiStartSet: true, byId: true }, // iommu_attach_group
  { point: 'add_domain', errno: 'ENOMEM', msiStartSet: true, byId: false }, // iopt_table_add_domain (mapped IOAS)
];

function expectUntouched(k: Kernel, ioas: Ioas, idev: Idev, manual: Hwpt | null, cookie = false): void {
  expect(hwpts(k)).toEqual(manual ? [manual] : []);
  expect(live(k)).toEqual(['IOAS#1', 'DEVICE#2', ...(manual ? [`HW_PAGETABLE#${manual.id}`] : [])]);
  expect(ioas.users).toBe(manual ? 2 : 1);
  expect(ioas.hwptList).toEqual(manual ? [manual] : []);
  expect(ioas.iopt.domains).toEqual(manual ? [manual.domain] : []);
  expect(ioas.iopt.reserved).toEqual([]);
  expect(idev.users).toBe(2);
  expect(idev.igroup.hwpt).toBeNull();
  expect(idev.igroup.deviceList).toEqual([]);
  expect(idev.dev.group.domain).toBeNull();
  expect(k.allDomains.filter((d) => !d.freed)).toEqual(manual ? [manual.domain] : []);
  if (manual) expect([manual.users, manual.msiCookie, manual.domain!.msiCookie]).toEqual([1, cookie, cookie]);
}

describe('attach to an IOAS: each failure point unwinds completely', () => {
  for (const profile of PROFILES) {
    for (const c of CASES) {
      it(`[${profile}] ${c.point} -> ${c.errno}; no HWPT, no reservation, group blocking, counts back; a retry succeeds`, async () => {
        const { k, gate } = makeGated({ profile, topology: TOPO, points: [c.point] });
        let r: unknown;
        let retry = 0;
        let ioas!: Ioas;
        let idev!: Idev;
        const out = await runOne(k, async (t) => {
          ioas = await ioasAllocIoctl(k, t);
          idev = await deviceBind(k, t, k.devices[0]!);
          gate.armed = true;
          r = await errno(attach(k, t, idev, ioas.id));
          gate.armed = false;
          expectUntouched(k, ioas, idev, null);
          expect(idev.igroup.swMsiStart).toBe(c.msiStartSet ? SW_MSI.start : null);
          // The aborted HWPT's id (3) is reused by the retry.
          retry = await attach(k, t, idev, ioas.id);
        });
        expect(out.violation).toBeNull();
        expect(r).toBe(c.errno);
        expect(retry).toBe(3);
        const h = obj<Hwpt>(k, 3);
        expect([h.autoDomain, h.users, h.msiCookie, idev.users, resvOf(ioas, idev)]).toEqual([true, 2, true, 3, 2]);
      });
    }
  }
});

describe('attach by HWPT id: each failure point it reaches unwinds completely', () => {
  for (const c of CASES.filter((x) => x.byId)) {
    // iommufd_group_setup_msi runs before iommu_attach_group and is not undone by err_unresv:
    // when the attach itself fails, the MSI cookie stays on the domain (msi_cookie is sticky).
    const cookie = c.point === 'attach_group';
    it(`${c.point} -> ${c.errno}; the manual HWPT keeps users 1${cookie ? ' (and keeps the MSI cookie taken before the failure)' : ', no cookie'}`, async () => {
      const { k, gate } = makeGated({ topology: TOPO, points: [c.point] });
      let r: unknown;
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const idev = await deviceBind(k, t, k.devices[0]!);
        const h = await hwptAllocIoctl(k, t, { flags: 0, devId: idev.id, ptId: ioas.id });
        gate.armed = true;
        r = await errno(attach(k, t, idev, h.id));
        gate.armed = false;
        expectUntouched(k, ioas, idev, h, cookie);
        expect(await attach(k, t, idev, h.id)).toBe(h.id);
        expect([h.users, h.msiCookie]).toEqual([2, true]);
        await deviceDetach(k, t, idev);
        expect(h.users).toBe(1);
      });
      expect(out.violation).toBeNull();
      expect(r).toBe(c.errno);
    });
  }
});

describe('joining an existing auto HWPT: EINVAL means "try the next one", other errors stop', () => {
  it('resv_regions (EINVAL) for the second device of a group: the next try allocates a HWPT, which the group refuses (EINVAL); it is aborted', async () => {
    const { k, gate } = makeGated({ topology: topo([[dev({ resv: [RESV] }), dev({ resv: [RESV] })]]), points: ['resv_regions'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await deviceBind(k, t, k.devices[0]!);
      const b = await deviceBind(k, t, k.devices[1]!);
      const h = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
      gate.armed = true;
      r = await errno(attach(k, t, b, ioas.id));
      gate.armed = false;
      expect(hwpts(k)).toEqual([h]);
      expect(k.allObjects.filter((o) => o instanceof Hwpt && o.freed).map((o) => o.id)).toEqual([5]);
      expect([h.users, a.users, b.users, resvOf(ioas, a), resvOf(ioas, b), ioas.users]).toEqual([2, 3, 2, 1, 0, 2]);
      expect(a.igroup.deviceList).toEqual([a]);
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EINVAL');
  });

  it('setup_msi (ENOMEM) for a new group joining an existing auto HWPT: returned at once, no new HWPT', async () => {
    const { k, gate } = makeGated({ topology: topo([[dev()], [dev({ resv: [SW_MSI] })]]), points: ['setup_msi'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await deviceBind(k, t, k.devices[0]!);
      const b = await deviceBind(k, t, k.devices[1]!);
      const h = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
      gate.armed = true;
      r = await errno(attach(k, t, b, ioas.id));
      gate.armed = false;
      expect(hwpts(k)).toEqual([h]);
      // No HWPT was allocated at all: the next id is still free.
      expect(k.allObjects.filter((o) => o instanceof Hwpt)).toEqual([h]);
      expect([h.users, h.msiCookie, b.users, resvOf(ioas, b)]).toEqual([2, false, 2, 0]);
      expect(b.igroup.hwpt).toBeNull();
      expect(b.dev.group.domain).toBeNull();
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('ENOMEM');
  });

  it('attach_group (EINVAL) for a new group: the existing HWPT is skipped, the new one fails the same way and is aborted', async () => {
    const { k, gate } = makeGated({ topology: topo([[dev()], [dev()]]), points: ['attach_group'] });
    let r: unknown;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await deviceBind(k, t, k.devices[0]!);
      const b = await deviceBind(k, t, k.devices[1]!);
      const h = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
      gate.armed = true;
      r = await errno(attach(k, t, b, ioas.id));
      gate.armed = false;
      expect(hwpts(k)).toEqual([h]);
      expect(k.allObjects.filter((o) => o instanceof Hwpt).map((o) => [o.id, o.freed])).toEqual([
        [4, false],
        [5, true],
      ]);
      expect([h.users, ioas.users, ioas.hwptList.length, ioas.iopt.domains.length]).toEqual([2, 2, 1, 1]);
      expect(k.iommuGroups.map((g) => g.domain)).toEqual([h.domain, null]);
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EINVAL');
  });
});
