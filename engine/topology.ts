// The hardware a run emulates: iommu drivers, iommu groups, devices and their reserved regions.

export type RegionType = 'reserved' | 'direct' | 'direct-relaxable' | 'msi' | 'sw-msi';

export interface RegionSpec {
  start: number;
  length: number;
  type: RegionType;
}

export interface DeviceSpec {
  /** IOMMU_CAP_CACHE_COHERENCY: without it bind fails with EINVAL. */
  cacheCoherent: boolean;
  /** IOMMU_CAP_ENFORCE_CACHE_COHERENCY */
  enforceCC: boolean;
  resv: RegionSpec[];
}

export interface IommuSpec {
  /** Whether this driver's domains implement enforce_cache_coherency successfully. */
  enforceCC: boolean;
  /** iommu_group_has_isolated_msi for groups behind this iommu. */
  isolatedMsi: boolean;
}

export interface GroupSpec {
  iommu: number;
  devices: DeviceSpec[];
}

export interface IoasSpec {
  /** IOVA ranges mapped right after IOMMU_IOAS_ALLOC (a reservation over one fails EADDRINUSE). */
  mapped: Array<{ start: number; length: number }>;
}

export interface Topology {
  iommus: IommuSpec[];
  groups: GroupSpec[];
  /** Per IOAS slot, in allocation order; IOAS beyond the list have nothing mapped. */
  ioas: IoasSpec[];
}

export const EMPTY_TOPOLOGY: Topology = { iommus: [{ enforceCC: false, isolatedMsi: true }], groups: [], ioas: [] };

/** Global device index -> (group, index in group), in declaration order. */
export function deviceList(topo: Topology): Array<{ group: number; index: number; spec: DeviceSpec }> {
  const out: Array<{ group: number; index: number; spec: DeviceSpec }> = [];
  topo.groups.forEach((g, gi) => g.devices.forEach((spec, index) => out.push({ group: gi, index, spec })));
  return out;
}
