// drivers/iommu/iommufd/ioas.c and the io_pagetable.c functions the lifecycle uses.
import type { EThread } from '../schedulers/runtime.js';
import { KErr } from './errno.js';
import type { Kernel } from './kernel.js';
import { objectAbort, objectAlloc, objectFinalize } from './object-table.js';
import { Domain, IGroup, Ioas, Iopt, PhysDev } from './objects.js';

/** IOMMU_IOAS_ALLOC (iommufd_ioas_alloc_ioctl) */
export async function ioasAllocIoctl(k: Kernel, t: EThread, flags = 0): Promise<Ioas> {
  if (flags !== 0) throw new KErr('EOPNOTSUPP');
  const ioas = await objectAlloc(k, t, new Ioas());
  k.newIoasParts(ioas);
  k.allIoas.push(ioas);
  const spec = k.topo.ioas[k.ioasCount++];
  if (spec) for (const m of spec.mapped) ioas.iopt.mapped.push({ start: m.start, last: m.start + m.length - 1 });
  if (k.shouldFail(t, 'copy_to_user')) {
    ioas.iopt.mapped.length = 0;
    await objectAbort(k, t, ioas);
    throw new KErr('EFAULT');
  }
  await objectFinalize(k, t, ioas);
  return ioas;
}

/** iommufd_ioas_destroy: unmap everything, then iopt_destroy_table's sanity WARNs. */
export async function ioasDestroy(k: Kernel, t: EThread, ioas: Ioas): Promise<void> {
  await k.sched(t);
  k.checkAlive(t, ioas, 'iommufd_ioas_destroy');
  ioas.iopt.mapped.length = 0;
  const iopt = ioas.iopt;
  iopt.reserved = iopt.reserved.filter((r) => r.owner !== null);
  if (iopt.reserved.length) k.warn(t, 'iopt_destroy_table', `${ioas.label} still has reserved ranges`, 'I5');
  if (iopt.domains.length) k.warn(t, 'iopt_destroy_table', `${ioas.label} still has domains`, 'I3');
  if (ioas.hwptList.length) k.warn(t, 'iommufd_ioas_destroy', `${ioas.label} hwpt_list not empty`, 'I3');
}

function overlapsMapped(iopt: Iopt, start: number, last: number): boolean {
  return iopt.mapped.some((a) => a.start <= last && start <= a.last);
}

/** iopt_table_add_domain: domains_rwsem then iova_rwsem, fill the domain from the mapped areas. */
export async function iptTableAddDomain(k: Kernel, t: EThread, ioas: Ioas, d: Domain): Promise<void> {
  const iopt = ioas.iopt;
  await iopt.domainsRwsem.downWrite(k, t);
  await iopt.iovaRwsem.downWrite(k, t);
  let err: KErr | null = null;
  if (iopt.domains.includes(d)) {
    k.warn(t, 'iopt_table_add_domain', `${d.label} already in ${ioas.label}`, 'I3');
    err = new KErr('EEXIST');
  } else if (d.aperture && (overlapsMapped(iopt, 0, d.aperture.start - 1) || overlapsMapped(iopt, d.aperture.last + 1, Number.MAX_SAFE_INTEGER))) {
    // iopt_reserve_iova of the IOVA outside the domain's aperture hits a mapped area.
    err = new KErr('EADDRINUSE');
  } else if (iopt.mapped.length > 0 && k.shouldFail(t, 'add_domain')) {
    err = k.injected(t, 'add_domain');
  } else {
    if (d.aperture) {
      if (d.aperture.start > 0) iopt.reserved.push({ start: 0, last: d.aperture.start - 1, owner: d });
      iopt.reserved.push({ start: d.aperture.last + 1, last: Number.MAX_SAFE_INTEGER, owner: d });
    }
    iopt.domains.push(d);
    if (k.tracing) k.note(t, `${ioas.label}.iopt.domains += ${d.label}`);
  }
  await iopt.iovaRwsem.upWrite(k, t);
  await iopt.domainsRwsem.upWrite(k, t);
  if (err) throw err;
}

/** iopt_table_remove_domain */
export async function iptTableRemoveDomain(k: Kernel, t: EThread, ioas: Ioas, d: Domain): Promise<void> {
  const iopt = ioas.iopt;
  await iopt.domainsRwsem.downWrite(k, t);
  await iopt.iovaRwsem.downWrite(k, t);
  const i = iopt.domains.indexOf(d);
  if (i < 0) k.warn(t, 'iopt_table_remove_domain', `${d.label} not in ${ioas.label}`, 'I3');
  else {
    iopt.domains.splice(i, 1);
    iopt.reserved = iopt.reserved.filter((r) => r.owner !== d);
    if (k.tracing) k.note(t, `${ioas.label}.iopt.domains -= ${d.label}`);
  }
  await iopt.iovaRwsem.upWrite(k, t);
  await iopt.domainsRwsem.upWrite(k, t);
}

/**
 * iopt_table_enforce_dev_resv_regions. With `msiFor` (the attach path) a SW_MSI region sets
 * igroup->sw_msi_start; the replace path passes NULL. On failure the device's reservations
 * in this iopt are all removed.
 */
export async function iptEnforceDevResvRegions(
  k: Kernel,
  t: EThread,
  ioas: Ioas,
  dev: PhysDev,
  msiFor: IGroup | null,
): Promise<void> {
  if (k.shouldFail(t, 'resv_regions')) throw k.injected(t, 'resv_regions');
  const iopt = ioas.iopt;
  await iopt.iovaRwsem.downWrite(k, t);
  let err: KErr | null = null;
  let hwMsi = 0;
  let swMsi = 0;
  for (const r of dev.resv) {
    if (r.type === 'direct-relaxable') continue;
    if (msiFor && r.type === 'msi') hwMsi++;
    if (msiFor && r.type === 'sw-msi') {
      k.checkAlive(t, msiFor, 'sw_msi_start');
      msiFor.swMsiStart = r.start;
      swMsi++;
    }
    const last = r.start + r.length - 1;
    if (overlapsMapped(iopt, r.start, last)) {
      err = new KErr('EADDRINUSE');
      break;
    }
    iopt.reserved.push({ start: r.start, last, owner: dev });
  }
  if (!err && ((swMsi && hwMsi) || swMsi > 1)) {
    k.warn(t, 'iopt_table_enforce_dev_resv_regions', `${dev.name}: insane MSI regions`);
    err = new KErr('EINVAL');
  }
  if (err) iopt.reserved = iopt.reserved.filter((r) => r.owner !== dev);
  else k.note(t, `${ioas.label}: reserved regions of ${dev.name}`);
  await iopt.iovaRwsem.upWrite(k, t);
  if (err) throw err;
}

/** iopt_remove_reserved_iova */
export async function iptRemoveReservedIova(k: Kernel, t: EThread, ioas: Ioas, owner: unknown): Promise<void> {
  const iopt = ioas.iopt;
  await iopt.iovaRwsem.downWrite(k, t);
  iopt.reserved = iopt.reserved.filter((r) => r.owner !== owner);
  await iopt.iovaRwsem.upWrite(k, t);
}
