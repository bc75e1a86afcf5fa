// The iommu core (drivers/iommu/iommu.c) as far as iommufd depends on it: domains, the
// group's current domain under group->mutex, DMA ownership, the MSI cookie.
import type { EThread } from '../schedulers/runtime.js';
import { KErr } from './errno.js';
import type { Kernel } from './kernel.js';
import { Domain, IommuGroup, PhysDev } from './objects.js';

/** iommu_domain_alloc(dev->bus): NULL on failure. */
export async function domainAlloc(k: Kernel, t: EThread, dev: PhysDev): Promise<Domain | null> {
  if (k.shouldFail(t, 'domain_alloc')) return null;
  await k.sched(t);
  const iommu = k.iommuSpec(dev.group.iommu);
  const d = new Domain(k.nextUid(), dev.group.iommu, iommu.enforceCC);
  d.resId = k.newRes();
  // mock_domain_alloc: geometry aperture [MOCK_APERTURE_START, MOCK_APERTURE_LAST].
  if (dev.mock) d.aperture = { start: 1 << 24, last: 2 ** 31 - 1 };
  k.allDomains.push(d);
  if (k.tracing) k.note(t, `iommu_domain_alloc -> ${d.label}`);
  return d;
}

/** iommu_domain_free */
export async function domainFree(k: Kernel, t: EThread, d: Domain): Promise<void> {
  await k.sched(t);
  k.checkAlive(t, d, 'iommu_domain_free');
  const user = k.iommuGroups.find((g) => g.domain === d);
  if (user) k.fail(t, 'invariant', 'iommu_domain_free', `${d.label} freed while ${user.label} still uses it`, 'I2');
  k.rt.access(d.resId, true);
  d.freed = true;
  if (k.tracing) k.note(t, `iommu_domain_free ${d.label}`);
}

/** iommu_attach_group: only from the blocking/default domain, else EBUSY. */
export async function attachGroup(k: Kernel, t: EThread, d: Domain, g: IommuGroup): Promise<void> {
  await g.mutex.lock(k, t);
  let err: KErr | null = null;
  if (g.domain !== null) err = new KErr('EBUSY');
  else if (k.shouldFail(t, 'attach_group') || d.iommu !== g.iommu) err = new KErr('EINVAL');
  else {
    k.checkAlive(t, d, 'iommu_attach_group');
    g.domain = d;
    if (k.tracing) k.note(t, `${g.label}.domain = ${d.label}`);
  }
  await g.mutex.unlock(k, t);
  if (err) throw err;
}

/** iommu_detach_group: back to the blocking domain, since iommufd owns the group's DMA. */
export async function detachGroup(k: Kernel, t: EThread, d: Domain, g: IommuGroup): Promise<void> {
  await g.mutex.lock(k, t);
  if (g.domain !== d) k.warn(t, 'iommu_detach_group', `${g.label} is not attached to ${d.label}`, 'I2');
  g.domain = null;
  if (k.tracing) k.note(t, `${g.label}.domain = blocking`);
  await g.mutex.unlock(k, t);
}

/** iommu_group_replace_domain: on failure every device is reverted and group->domain is unchanged. */
export async function groupReplaceDomain(k: Kernel, t: EThread, g: IommuGroup, d: Domain | null): Promise<void> {
  if (d === null) throw new KErr('EINVAL');
  await g.mutex.lock(k, t);
  let err: KErr | null = null;
  if (g.domain !== d) {
    if (k.shouldFail(t, 'replace_domain') || d.iommu !== g.iommu) err = new KErr('EINVAL');
    else {
      k.checkAlive(t, d, 'iommu_group_replace_domain');
      g.domain = d;
      if (k.tracing) k.note(t, `${g.label}.domain = ${d.label}`);
    }
  }
  await g.mutex.unlock(k, t);
  if (err) throw err;
}

/** iommu_device_claim_dma_owner */
export async function claimDmaOwner(k: Kernel, t: EThread, dev: PhysDev, owner: unknown): Promise<void> {
  const g = dev.group;
  await g.mutex.lock(k, t);
  let err: KErr | null = null;
  if (g.ownerCount > 0) {
    if (g.owner !== owner) err = new KErr('EPERM');
    else g.ownerCount++;
  } else if (g.domain !== null) {
    err = new KErr('EBUSY');
  } else if (k.shouldFail(t, 'claim_dma_owner')) {
    err = k.injected(t, 'claim_dma_owner');
  } else {
    g.owner = owner;
    g.ownerCount = 1;
  }
  await g.mutex.unlock(k, t);
  if (err) throw err;
}

/** iommu_device_release_dma_owner */
export async function releaseDmaOwner(k: Kernel, t: EThread, dev: PhysDev): Promise<void> {
  const g = dev.group;
  await g.mutex.lock(k, t);
  if (g.ownerCount === 0) {
    k.warn(t, 'iommu_device_release_dma_owner', `${g.label} has no DMA owner`, 'I10');
    await g.mutex.unlock(k, t);
    return;
  }
  if (--g.ownerCount === 0) {
    g.owner = null;
    if (g.domain !== null) k.warn(t, 'iommu_device_release_dma_owner', `${g.label} still on ${g.domain.label}`, 'I2');
  }
  await g.mutex.unlock(k, t);
}

/** iommu_get_msi_cookie: the cookie can be set once per domain. */
export async function getMsiCookie(k: Kernel, t: EThread, d: Domain): Promise<void> {
  if (k.shouldFail(t, 'setup_msi')) throw k.injected(t, 'setup_msi');
  await k.sched(t);
  k.checkAlive(t, d, 'iommu_get_msi_cookie');
  if (d.msiCookie) throw new KErr('EEXIST');
  d.msiCookie = true;
}
