// I2 (igroup consistency), I5 (reserved regions and the MSI cookie), I6 (cache coherency):
// checked at every release of an igroup lock and at quiescence.
import type { EThread } from '../schedulers/runtime.js';
import type { Kernel } from '../engine/kernel.js';
import type { IGroup, Idev, PhysDev } from '../engine/objects.js';
import { violated } from './check.js';

/** I2 for one igroup. */
export function checkIgroup(k: Kernel, t: EThread, g: IGroup): void {
  if (g.freed) return;
  if ((g.hwpt === null) !== (g.deviceList.length === 0)) {
    violated(k, t, 'I2', 'hwpt-iff-devices', `${g.label}: hwpt=${g.hwpt?.label ?? 'NULL'} with ${g.deviceList.length} attached devices`);
  }
  const seen = new Set<Idev>();
  for (const d of g.deviceList) {
    if (d.igroup !== g) violated(k, t, 'I2', 'device-igroup', `${d.label} on ${g.label}.device_list belongs to ${d.igroup.label}`);
    if (seen.has(d)) violated(k, t, 'I2', 'list-duplicate', `${d.label} twice on ${g.label}.device_list`);
    seen.add(d);
  }
  if (k.groups.get(g.group.id) === g) {
    const want = g.hwpt ? g.hwpt.domain : null;
    if (g.group.domain !== want) {
      violated(k, t, 'I2', 'core-domain', `${g.group.label}.domain=${g.group.domain?.label ?? 'blocking'} but ${g.label}.hwpt domain is ${want?.label ?? 'none'}`);
    }
  }
  if (g.hwpt !== null) {
    if (g.swMsiStart !== null && !g.hwpt.msiCookie) {
      violated(k, t, 'I5', 'msi-cookie', `${g.label} has sw_msi_start but ${g.hwpt.label} has no MSI cookie`);
    }
    for (const d of g.deviceList) {
      if (d.enforceCC && !g.hwpt.enforceCC) {
        violated(k, t, 'I6', 'enforce-cc', `${d.label} enforces cache coherency but ${g.hwpt.label} does not`);
      }
    }
  }
}

/** I5 for one device: its reservations are exactly in the IOAS of the HWPT it is attached to. */
export function checkDeviceReservations(k: Kernel, t: EThread, dev: PhysDev, attachedIn: IGroup | null): void {
  const want = attachedIn?.hwpt?.ioas ?? null;
  for (const ioas of k.allIoas) {
    if (ioas.freed || ioas.removed) continue;
    let have = 0;
    for (const r of ioas.iopt.reserved) if (r.owner === dev) have++;
    const expect = ioas === want ? dev.reservations : 0;
    if (have !== expect) {
      violated(
        k,
        t,
        'I5',
        'reserved-regions',
        `${dev.name} ${want ? `is attached through ${attachedIn!.hwpt!.label} on ${want.label}` : 'is not attached'} but ${ioas.label} holds ${have} of its reserved regions (expected ${expect})`,
      );
    }
  }
}

/** I2 + I5 + I6 for an igroup and the devices of its iommu group, at igroup-lock release. */
export function checkIgroupAndDevices(k: Kernel, t: EThread, g: IGroup): void {
  checkIgroup(k, t, g);
  if (g.freed) return;
  for (const dev of g.group.devices) {
    const attached = g.deviceList.some((d) => d.dev === dev);
    checkDeviceReservations(k, t, dev, attached ? g : null);
  }
}
