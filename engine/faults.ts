// The kernel's failure points: where a kzalloc, a driver op or a copy can fail. Each is a
// scheduler draw, so a failure replays like any other decision.
import type { ErrnoName } from './errno.js';

export const FAULT_POINTS = {
  get_object: 'ENOENT', // iommufd_get_object: iommufd_should_fail()
  object_alloc: 'ENOMEM', // _iommufd_object_alloc: kzalloc / xa_alloc
  domain_alloc: 'ENOMEM', // iommu_domain_alloc returns NULL
  enforce_cc: 'EINVAL', // domain->ops->enforce_cache_coherency returns false
  resv_regions: 'EINVAL', // iopt_table_enforce_dev_resv_regions: iommufd_should_fail()
  setup_msi: 'ENOMEM', // iommu_get_msi_cookie: cookie allocation
  attach_group: 'EINVAL', // iommu_attach_group: driver attach_dev fails
  replace_domain: 'EINVAL', // iommu_group_replace_domain: driver attach_dev fails
  add_domain: 'ENOMEM', // iopt_table_add_domain: iopt_fill_domain fails
  copy_to_user: 'EFAULT', // iommufd_ucmd_respond
  claim_dma_owner: 'EBUSY', // iommu_device_claim_dma_owner
  group_alloc: 'ENOMEM', // iommufd_get_group: kzalloc of the igroup
  mock_dev: 'ENOMEM', // mock_dev_create
} as const satisfies Record<string, ErrnoName>;

export type FaultPoint = keyof typeof FAULT_POINTS;
export const FAULT_POINT_NAMES = Object.keys(FAULT_POINTS) as FaultPoint[];
