// The iommu core functions iommufd calls (drivers/iommu/iommu.c and dma-iommu.c, v6.6), called
// directly: iommu_attach_group, iommu_group_replace_domain, iommu_device_claim_dma_owner /
// release, iommu_get_msi_cookie, iommu_domain_free.
import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne } from '../helpers/kernel.js';
import {
  attachGroup,
  claimDmaOwner,
  detachGroup,
  domainAlloc,
  domainFree,
  getMsiCookie,
  groupReplaceDomain,
  releaseDmaOwner,
} from '../../engine/iommu-core.js';
import { dev, topo } from './support.js';

const TWO_IOMMUS = topo([[dev()], [dev()]], { iommus: [{}, {}], groupIommu: [0, 1] });

describe('iommu_attach_group / iommu_group_replace_domain', () => {
  it('attach only from the blocking/default domain (else EBUSY); a domain of another iommu -> EINVAL', async () => {
    const k = makeKernel({ topology: TWO_IOMMUS });
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const [g0, g1] = k.iommuGroups;
      const d0 = (await domainAlloc(k, t, k.devices[0]!))!;
      const d0b = (await domainAlloc(k, t, k.devices[0]!))!;
      // __iommu_attach_group: group->domain is neither default nor blocking -> EBUSY
      seen.push(await errno(attachGroup(k, t, d0, g0!)), g0!.domain === d0);
      seen.push(await errno(attachGroup(k, t, d0b, g0!)), g0!.domain === d0);
      seen.push(await errno(attachGroup(k, t, d0, g1!)), g1!.domain);
      await detachGroup(k, t, d0, g0!);
      seen.push(g0!.domain);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['ok', true, 'EBUSY', true, 'EINVAL', null, null]);
  });

  it('replace: NULL domain -> EINVAL, the current domain -> 0 without a driver call, else switch', async () => {
    const k = makeKernel({ failAt: ['replace_domain'] });
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const g = k.iommuGroups[0]!;
      const d = (await domainAlloc(k, t, k.devices[0]!))!;
      await attachGroup(k, t, d, g);
      seen.push(await errno(groupReplaceDomain(k, t, g, null)));
      // __iommu_group_set_domain_internal: group->domain == new_domain -> 0
      seen.push(await errno(groupReplaceDomain(k, t, g, d)));
      const e = (await domainAlloc(k, t, k.devices[0]!))!;
      // The driver's attach_dev fails: every device reverted, group->domain unchanged.
      seen.push(await errno(groupReplaceDomain(k, t, g, e)), g.domain === d);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['EINVAL', 'ok', 'EINVAL', true]);
  });
});

describe('DMA ownership', () => {
  it('claim: shared by the same owner (owner_cnt++), EPERM for another owner, EBUSY while the group is on a non-default domain', async () => {
    const k = makeKernel({ topology: topo([[dev(), dev()]]) });
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const g = k.iommuGroups[0]!;
      const [a, b] = k.devices;
      seen.push(await errno(claimDmaOwner(k, t, a!, k)), await errno(claimDmaOwner(k, t, b!, k)), g.ownerCount);
      seen.push(await errno(claimDmaOwner(k, t, a!, 'another ctx')), g.ownerCount);
      await releaseDmaOwner(k, t, b!);
      await releaseDmaOwner(k, t, a!);
      seen.push(g.ownerCount, g.owner);
      const d = (await domainAlloc(k, t, a!))!;
      await attachGroup(k, t, d, g);
      // __iommu_take_dma_ownership: group->domain != default_domain -> EBUSY
      seen.push(await errno(claimDmaOwner(k, t, a!, k)), g.ownerCount);
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['ok', 'ok', 2, 'EPERM', 2, 0, null, 'EBUSY', 0]);
  });
});

describe('iommu_get_msi_cookie / iommu_domain_free', () => {
  it('a second cookie on one domain -> EEXIST (domain->iova_cookie already set)', async () => {
    // dma-iommu.c v6.6 returns -EEXIST here; the spec (2.3 setup_msi) says EBUSY, the kernel wins.
    const k = makeKernel();
    const seen: unknown[] = [];
    const out = await runOne(k, async (t) => {
      const d = (await domainAlloc(k, t, k.devices[0]!))!;
      seen.push(await errno(getMsiCookie(k, t, d)), d.msiCookie, await errno(getMsiCookie(k, t, d)));
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['ok', true, 'EEXIST']);
  });

  it('freeing a domain a group still uses is reported', async () => {
    const k = makeKernel();
    const out = await runOne(k, async (t) => {
      const d = (await domainAlloc(k, t, k.devices[0]!))!;
      await attachGroup(k, t, d, k.iommuGroups[0]!);
      await domainFree(k, t, d);
    });
    expect(out.violation?.kind).toBe('invariant');
    expect(out.violation?.location).toBe('iommu_domain_free');
  });
});
