// iommufd_device_replace (drivers/iommu/iommufd/device.c, v6.6): iommufd_device_change_pt with
// iommufd_device_do_replace, through a HWPT id or an IOAS (auto_get_domain, immediate_attach
// false), and its err_unresv / err_unlock unwind.
import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne } from '../helpers/kernel.js';
import { deviceBind, deviceDetach } from '../../engine/device.js';
import { hwptAllocIoctl } from '../../engine/hw-pagetable.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import type { FaultPoint } from '../../engine/faults.js';
import type { Kernel } from '../../engine/kernel.js';
import { Hwpt, Idev, Ioas } from '../../engine/objects.js';
import { PROFILES, type ProfileName } from '../../engine/profiles.js';
import { attach, dev, hwpts, makeGated, obj, replace, RESV, RESV2, resvOf, SW_MSI, topo } from './support.js';

/** One group, two devices with one reserved region each. */
const PAIR = topo([[dev({ resv: [RESV] }), dev({ resv: [RESV2] })]]);

describe('replace between HWPTs', () => {
  for (const profile of PROFILES) {
    it(`[${profile}] HWPT -> HWPT moves the whole group: new users + n, old users - n (n - 1 in do_replace, 1 by the put)`, async () => {
      const k = makeKernel({ profile, topology: PAIR });
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const a = await deviceBind(k, t, k.devices[0]!);
        const b = await deviceBind(k, t, k.devices[1]!);
        const h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
        const h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
        await attach(k, t, a, h1.id);
        await attach(k, t, b, h1.id);
        expect([h1.users, h2.users]).toEqual([3, 1]);
        expect(await replace(k, t, a, h2.id)).toBe(h2.id);
        expect([h1.users, h2.users, a.users, b.users]).toEqual([1, 3, 3, 3]);
        expect(a.igroup.hwpt).toBe(h2);
        expect(a.igroup.deviceList).toEqual([a, b]);
        expect(a.dev.group.domain).toBe(h2.domain);
        // Same IOAS: the reservations stay where they are.
        expect([resvOf(ioas, a), resvOf(ioas, b), ioas.iopt.reserved.length]).toEqual([1, 1, 2]);
        // Replacing through the other device moves the group back.
        expect(await replace(k, t, b, h1.id)).toBe(h1.id);
        expect([h1.users, h2.users]).toEqual([3, 1]);
      });
      expect(out.violation).toBeNull();
    });

    it(`[${profile}] replacing away from an auto HWPT destroys it (iommufd_hw_pagetable_put -> deref_user)`, async () => {
      const k = makeKernel({ profile, topology: PAIR });
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const a = await deviceBind(k, t, k.devices[0]!);
        const b = await deviceBind(k, t, k.devices[1]!);
        const auto = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
        await attach(k, t, b, ioas.id);
        const h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
        expect([auto.users, ioas.users]).toEqual([3, 3]);
        expect(await replace(k, t, a, h2.id)).toBe(h2.id);
        expect([auto.freed, auto.domain!.freed, h2.users, ioas.users]).toEqual([true, true, 3, 2]);
        expect(ioas.hwptList).toEqual([h2]);
        expect(ioas.iopt.domains).toEqual([h2.domain]);
        expect(k.objects[auto.id] ?? null).toBeNull();
      });
      expect(out.violation).toBeNull();
    });

    it(`[${profile}] replace to the current HWPT is a no-op: no refcount change, no iommu core call`, async () => {
      const { k, gate } = makeGated({ profile, topology: PAIR, points: ['replace_domain', 'setup_msi', 'resv_regions', 'enforce_cc'] });
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const a = await deviceBind(k, t, k.devices[0]!);
        const h = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
        await attach(k, t, a, h.id);
        gate.armed = true;
        expect(await errno(replace(k, t, a, h.id))).toBe('ok');
        expect([h.users, a.users, resvOf(ioas, a)]).toEqual([2, 3, 1]);
        gate.armed = false;
        // Through the IOAS: the current group's auto HWPT is found and nothing changes.
        await deviceDetach(k, t, a);
        const auto = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
        gate.armed = true;
        expect(await replace(k, t, a, ioas.id)).toBe(auto.id);
        gate.armed = false;
        expect([auto.users, a.users, hwpts(k).length]).toEqual([2, 3, 2]);
      });
      expect(out.violation).toBeNull();
    });

    it(`[${profile}] a pt_id that is neither HWPT nor IOAS -> EINVAL, unknown -> ENOENT`, async () => {
      const k = makeKernel({ profile, topology: PAIR });
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const a = await deviceBind(k, t, k.devices[0]!);
        const h = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
        expect(await errno(replace(k, t, a, a.id))).toBe('EINVAL');
        expect(await errno(replace(k, t, a, 42))).toBe('ENOENT');
        expect([h.users, a.users, a.igroup.hwpt === h]).toEqual([2, 3, true]);
      });
      expect(out.violation).toBeNull();
    });
  }
});

describe('replace refcount arithmetic with three devices in the group', () => {
  it('new + 3, old - 2 in do_replace and - 1 by the caller\'s put (iommufd_device_do_replace step "refcount_sub_and_test(num_devices - 1)")', async () => {
    const k = makeKernel({ topology: topo([[dev(), dev(), dev()]]) });
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const d = [
        await deviceBind(k, t, k.devices[0]!),
        await deviceBind(k, t, k.devices[1]!),
        await deviceBind(k, t, k.devices[2]!),
      ];
      const h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: d[0]!.id, ptId: ioas.id });
      const h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: d[0]!.id, ptId: ioas.id });
      for (const x of d) await attach(k, t, x, h1.id);
      expect([h1.users, h2.users]).toEqual([4, 1]);
      // Replace through the last device: the whole group moves.
      await replace(k, t, d[2]!, h2.id);
      expect([h1.users, h2.users]).toEqual([1, 4]);
      expect(d.map((x) => x.users)).toEqual([3, 3, 3]);
      // Detaching all of them leaves h2 with its xarray reference only.
      for (const x of d) await deviceDetach(k, t, x);
      expect([h1.users, h2.users, k.iommuGroups[0]!.domain]).toEqual([1, 1, null]);
    });
    expect(out.violation).toBeNull();
  });
});

describe('replace to an IOAS', () => {
  it('creates an auto HWPT on a new IOAS and moves the reservations there; the old manual HWPT keeps users 1', async () => {
    const k = makeKernel({ topology: PAIR });
    const out = await runOne(k, async (t) => {
      const ioas1 = await ioasAllocIoctl(k, t);
      const ioas2 = await ioasAllocIoctl(k, t);
      const a = await deviceBind(k, t, k.devices[0]!);
      const b = await deviceBind(k, t, k.devices[1]!);
      const h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas1.id });
      await attach(k, t, a, h1.id);
      await attach(k, t, b, h1.id);
      const nid = await replace(k, t, b, ioas2.id);
      expect(nid).toBe(6);
      const n = obj<Hwpt>(k, nid);
      expect([n.autoDomain, n.published, n.users, n.ioas === ioas2, h1.users]).toEqual([true, true, 3, true, 1]);
      expect([resvOf(ioas1, a), resvOf(ioas1, b), resvOf(ioas2, a), resvOf(ioas2, b)]).toEqual([0, 0, 1, 1]);
      expect([ioas1.users, ioas2.users]).toEqual([2, 2]);
      expect(a.dev.group.domain).toBe(n.domain);
      expect(ioas2.hwptList).toEqual([n]);
    });
    expect(out.violation).toBeNull();
  });

  it('reuses the IOAS\'s existing auto HWPT', async () => {
    const k = makeKernel({ topology: topo([[dev()], [dev()]]) });
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await deviceBind(k, t, k.devices[0]!);
      const b = await deviceBind(k, t, k.devices[1]!);
      const auto = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
      const m = await hwptAllocIoctl(k, t, { flags: 0, devId: b.id, ptId: ioas.id });
      await attach(k, t, b, m.id);
      expect(await replace(k, t, b, ioas.id)).toBe(auto.id);
      expect([auto.users, m.users, hwpts(k).length]).toEqual([3, 1, 2]);
      expect(k.iommuGroups.map((g) => g.domain)).toEqual([auto.domain, auto.domain]);
    });
    expect(out.violation).toBeNull();
  });

  for (const profile of PROFILES) {
    it(`[${profile}] the old auto HWPT is destroyed when the group moves to another IOAS`, async () => {
      const k = makeKernel({ profile, topology: PAIR });
      const out = await runOne(k, async (t) => {
        const ioas1 = await ioasAllocIoctl(k, t);
        const ioas2 = await ioasAllocIoctl(k, t);
        const a = await deviceBind(k, t, k.devices[0]!);
        const b = await deviceBind(k, t, k.devices[1]!);
        const old = obj<Hwpt>(k, await attach(k, t, a, ioas1.id));
        await attach(k, t, b, ioas1.id);
        const nid = await replace(k, t, a, ioas2.id);
        const n = obj<Hwpt>(k, nid);
        expect([old.freed, n.users, n.autoDomain]).toEqual([true, 3, true]);
        expect([ioas1.users, ioas1.hwptList.length, ioas1.iopt.domains.length, ioas1.iopt.reserved.length]).toEqual([1, 0, 0, 0]);
        expect([resvOf(ioas2, a), resvOf(ioas2, b)]).toEqual([1, 1]);
        // The freed id is reused by the next object.
        expect((await ioasAllocIoctl(k, t)).id).toBe(old.id);
      });
      expect(out.violation).toBeNull();
    });
  }
});

describe('replace preconditions', () => {
  for (const profile of PROFILES) {
    it(`[${profile}] group not attached -> EINVAL; through an IOAS the new auto HWPT is aborted`, async () => {
      const k = makeKernel({ profile, topology: PAIR });
      const out = await runOne(k, async (t) => {
        const ioas = await ioasAllocIoctl(k, t);
        const a = await deviceBind(k, t, k.devices[0]!);
        const h = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
        expect(await errno(replace(k, t, a, h.id))).toBe('EINVAL');
        expect(await errno(replace(k, t, a, ioas.id))).toBe('EINVAL');
        expect(hwpts(k)).toEqual([h]);
        expect([h.users, ioas.users, ioas.hwptList.length, ioas.iopt.domains.length, a.users]).toEqual([1, 2, 1, 1, 2]);
        expect(k.allObjects.filter((o) => o instanceof Hwpt && o.freed).map((o) => o.id)).toEqual([4]);
        expect(a.dev.group.domain).toBeNull();
      });
      expect(out.violation).toBeNull();
    });
  }

  it('[fixed] a bound but unattached device of an attached group -> EINVAL (55c85fa7579d), nothing changes', async () => {
    const k = makeKernel({ profile: 'fixed', topology: PAIR });
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const a = await deviceBind(k, t, k.devices[0]!);
      const b = await deviceBind(k, t, k.devices[1]!);
      const h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
      const h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
      await attach(k, t, a, h1.id);
      expect(await errno(replace(k, t, b, h2.id))).toBe('EINVAL');
      // Even the "same HWPT" no-op comes after the attached check.
      expect(await errno(replace(k, t, b, h1.id))).toBe('EINVAL');
      expect([h1.users, h2.users, b.users]).toEqual([2, 1, 2]);
      expect(a.igroup.hwpt).toBe(h1);
      expect(a.igroup.deviceList).toEqual([a]);
    });
    expect(out.violation).toBeNull();
  });

  it('[v6.6] a bound but unattached device of an attached group replaces the group\'s domain (Z4); the device machine refuses REPLACE', async () => {
    const k = makeKernel({ profile: 'v6.6', topology: PAIR });
    let h1!: Hwpt;
    let h2!: Hwpt;
    let a!: Idev;
    let b!: Idev;
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      a = await deviceBind(k, t, k.devices[0]!);
      b = await deviceBind(k, t, k.devices[1]!);
      h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
      h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: a.id, ptId: ioas.id });
      await attach(k, t, a, h1.id);
      await replace(k, t, b, h2.id);
    });
    expect(out.violation?.kind).toBe('model');
    expect(out.violation?.location).toBe('device:bound:REPLACE');
    // iommufd_device_do_replace had no idev-is-attached check: the group (device a) moved.
    expect(a.igroup.hwpt).toBe(h2);
    expect(a.dev.group.domain).toBe(h2.domain);
    expect(a.igroup.deviceList).toEqual([a]);
    expect([h1.users, h2.users, a.users, b.users]).toEqual([1, 2, 3, 2]);
  });
});

describe('replace unwind', () => {
  interface Setup {
    k: Kernel;
    ioas1: Ioas;
    ioas2: Ioas;
    a: Idev;
    b: Idev;
    h1: Hwpt;
    h2: Hwpt;
  }

  /**
   * Devices a and b of group 0 attached to manual h1 on ioas1; manual h2 on ioas1 (same) or
   * ioas2 (move). The fault is armed only for the replace of a to h2.
   */
  async function failedReplace(
    profile: ProfileName,
    point: FaultPoint,
    sameIoas: boolean,
    topology = PAIR,
  ): Promise<{ s: Setup; r: unknown; violation: import('../../engine/violation.js').Violation | null }> {
    const { k, gate } = makeGated({ profile, topology, points: [point] });
    const s = { k } as Setup;
    let r: unknown;
    const out = await runOne(k, async (t) => {
      s.ioas1 = await ioasAllocIoctl(k, t);
      s.ioas2 = await ioasAllocIoctl(k, t);
      s.a = await deviceBind(k, t, k.devices[0]!);
      s.b = await deviceBind(k, t, k.devices[1]!);
      s.h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: s.ioas1.id });
      s.h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: (sameIoas ? s.ioas1 : s.ioas2).id });
      await attach(k, t, s.a, s.h1.id);
      await attach(k, t, s.b, s.h1.id);
      gate.armed = true;
      r = await errno(replace(k, t, s.a, s.h2.id));
      gate.armed = false;
    });
    return { s, r, violation: out.violation };
  }

  function expectUnchanged(s: Setup): void {
    const { a, b, h1, h2, ioas1, ioas2 } = s;
    expect([h1.users, h2.users, a.users, b.users]).toEqual([3, 1, 3, 3]);
    expect(a.igroup.hwpt).toBe(h1);
    expect(a.igroup.deviceList).toEqual([a, b]);
    expect(a.dev.group.domain).toBe(h1.domain);
    const na = a.dev.resv.length;
    const nb = b.dev.resv.length;
    expect([resvOf(ioas1, a), resvOf(ioas1, b), resvOf(ioas2, a), resvOf(ioas2, b)]).toEqual([na, nb, 0, 0]);
  }

  const CASES: Array<{ point: FaultPoint; errno: string; topology?: typeof PAIR }> = [
    { point: 'replace_domain', errno: 'EINVAL' }, // iommu_group_replace_domain -> err_unresv
    // iommu_get_msi_cookie -> err_unresv; the devices bring a SW_MSI window so h1 has the cookie
    // and h2 needs one.
    { point: 'setup_msi', errno: 'ENOMEM', topology: topo([[dev({ resv: [RESV, SW_MSI] }), dev({ resv: [RESV2, SW_MSI] })]]) },
  ];

  for (const c of CASES) {
    for (const profile of PROFILES) {
      it(`[${profile}] ${c.point} -> ${c.errno} on a move to another IOAS: everything unchanged`, async () => {
        const { s, r, violation } = await failedReplace(profile, c.point, false, c.topology);
        expect(violation).toBeNull();
        expect(r).toBe(c.errno);
        expectUnchanged(s);
        expect(s.h2.msiCookie).toBe(false);
      });
    }

    it(`[fixed] ${c.point} -> ${c.errno} between two HWPTs of the same IOAS: everything unchanged`, async () => {
      const { s, r, violation } = await failedReplace('fixed', c.point, true, c.topology);
      expect(violation).toBeNull();
      expect(r).toBe(c.errno);
      expectUnchanged(s);
    });

    it(`[v6.6] ${c.point} -> ${c.errno} between two HWPTs of the same IOAS strips the group's reserved regions (finding F1, I5)`, async () => {
      // err_unresv in v6.6 iommufd_device_do_replace walks device_list and calls
      // iopt_remove_reserved_iova(&hwpt->ioas->iopt, cur->dev) even when hwpt->ioas ==
      // old_hwpt->ioas, removing the reservations the still-attached devices hold in it.
      const { s, r, violation } = await failedReplace('v6.6', c.point, true, c.topology);
      expect(violation?.kind).toBe('invariant');
      expect(violation?.location).toBe('I5:reserved-regions');
      expect(violation?.invariant).toBe('I5');
      // The run stopped at the igroup unlock of the error path, before the errno was returned.
      expect(r).toBeUndefined();
      expect(s.a.igroup.hwpt).toBe(s.h1);
      expect(s.ioas1.iopt.reserved).toEqual([]);
    });
  }

  it('[v6.6] an enforce_cc refusal takes err_unlock, not err_unresv: same IOAS, reservations intact', async () => {
    // Group 0: one enforcing device with a reserved region; group 1 makes a non-enforcing h2.
    const { k, gate } = makeGated({
      profile: 'v6.6',
      topology: topo([[dev({ enforceCC: true, resv: [RESV] })], [dev()]]),
      points: ['enforce_cc'],
    });
    let r: unknown;
    let a!: Idev;
    let h1!: Hwpt;
    let h2!: Hwpt;
    let ioas!: Ioas;
    const out = await runOne(k, async (t) => {
      ioas = await ioasAllocIoctl(k, t);
      a = await deviceBind(k, t, k.devices[0]!);
      const c = await deviceBind(k, t, k.devices[1]!);
      h1 = obj<Hwpt>(k, await attach(k, t, a, ioas.id));
      h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: c.id, ptId: ioas.id });
      gate.armed = true;
      r = await errno(replace(k, t, a, h2.id));
      gate.armed = false;
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EINVAL');
    expect([h1.enforceCC, h2.enforceCC, h1.users, h2.users]).toEqual([true, false, 2, 1]);
    expect(a.igroup.hwpt).toBe(h1);
    expect(resvOf(ioas, a)).toBe(1);
  });

  it('resv_regions fails for the second device on a move: err_unresv also removes the first device\'s new reservations', async () => {
    const { k, gate } = makeGated({ topology: PAIR, points: ['resv_regions'] });
    let r: unknown;
    const s = {} as Setup;
    const out = await runOne(k, async (t) => {
      s.ioas1 = await ioasAllocIoctl(k, t);
      s.ioas2 = await ioasAllocIoctl(k, t);
      s.a = await deviceBind(k, t, k.devices[0]!);
      s.b = await deviceBind(k, t, k.devices[1]!);
      s.h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: s.ioas1.id });
      s.h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: s.ioas2.id });
      await attach(k, t, s.a, s.h1.id);
      await attach(k, t, s.b, s.h1.id);
      // Let a's iopt_table_enforce_dev_resv_regions in ioas2 pass, fail b's.
      gate.skip = 1;
      gate.armed = true;
      r = await errno(replace(k, t, s.a, s.h2.id));
      gate.armed = false;
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EINVAL');
    expect(gate.draws).toBe(2);
    expectUnchanged(s);
    expect(s.ioas2.iopt.reserved).toEqual([]);
  });

  it('a reservation overlapping a mapping of the new IOAS -> EADDRINUSE, unchanged', async () => {
    const k = makeKernel({ topology: topo(PAIR.groups.map((g) => g.devices), { ioas: [[], [{ start: 0x4800, length: 0x10 }]] }) });
    const s = { k } as Setup;
    let r: unknown;
    const out = await runOne(k, async (t) => {
      s.ioas1 = await ioasAllocIoctl(k, t);
      s.ioas2 = await ioasAllocIoctl(k, t);
      s.a = await deviceBind(k, t, k.devices[0]!);
      s.b = await deviceBind(k, t, k.devices[1]!);
      s.h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: s.ioas1.id });
      s.h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: s.ioas2.id });
      await attach(k, t, s.a, s.h1.id);
      await attach(k, t, s.b, s.h1.id);
      // b's RESV2 (0x4000..0x4fff) overlaps the mapping at 0x4800 in ioas2.
      r = await errno(replace(k, t, s.a, s.h2.id));
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EADDRINUSE');
    expectUnchanged(s);
    expect(s.ioas2.iopt.reserved).toEqual([]);
  });

  it('replace to another IOAS failing in do_replace aborts the auto HWPT made for it', async () => {
    const { k, gate } = makeGated({ topology: PAIR, points: ['replace_domain'] });
    let r: unknown;
    const s = {} as Setup;
    const out = await runOne(k, async (t) => {
      s.ioas1 = await ioasAllocIoctl(k, t);
      s.ioas2 = await ioasAllocIoctl(k, t);
      s.a = await deviceBind(k, t, k.devices[0]!);
      s.b = await deviceBind(k, t, k.devices[1]!);
      s.h1 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: s.ioas1.id });
      s.h2 = await hwptAllocIoctl(k, t, { flags: 0, devId: s.a.id, ptId: s.ioas1.id });
      await attach(k, t, s.a, s.h1.id);
      await attach(k, t, s.b, s.h1.id);
      gate.armed = true;
      r = await errno(replace(k, t, s.a, s.ioas2.id));
      gate.armed = false;
    });
    expect(out.violation).toBeNull();
    expect(r).toBe('EINVAL');
    expectUnchanged(s);
    expect([s.ioas2.users, s.ioas2.hwptList.length, s.ioas2.iopt.domains.length, s.ioas2.iopt.reserved.length]).toEqual([1, 0, 0, 0]);
    expect(k.allObjects.filter((o) => o instanceof Hwpt && o.freed).map((o) => o.id)).toEqual([7]);
  });
});
