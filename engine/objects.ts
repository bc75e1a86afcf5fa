// The emulated kernel's data structures (iommufd_private.h and the iommu core's parts we need).
import type { EThread } from '../schedulers/runtime.js';
import { KMutex } from './locks/kmutex.js';
import { RwSem } from './locks/rwsem.js';
import type { DeviceSpec, RegionSpec } from './topology.js';

export const ObjType = { DEVICE: 1, HW_PAGETABLE: 2, IOAS: 3, ACCESS: 4, SELFTEST: 5 } as const;
export type ObjTypeId = (typeof ObjType)[keyof typeof ObjType];
export const OBJ_TYPE_NAMES: Record<number, string> = {
  1: 'DEVICE',
  2: 'HW_PAGETABLE',
  3: 'IOAS',
  4: 'ACCESS',
  5: 'SELFTEST',
};
/** IOMMUFD_OBJ_ANY */
export const OBJ_ANY = 0;

/** struct iommufd_object */
export abstract class IObj {
  abstract readonly type: ObjTypeId;
  id = 0;
  /** refcount_t users */
  users = 1;
  destroyRwsem!: RwSem;
  freed = false;
  /** In ctx->objects as a pointer (finalized) rather than XA_ZERO_ENTRY. */
  published = false;
  /** Removed from the xarray by iommufd_object_remove / abort / close. */
  removed = false;
  // Shadow accounting for invariant I1 (not kernel state).
  shortterm = 0;
  get label(): string {
    return `${OBJ_TYPE_NAMES[this.type]}#${this.id}`;
  }
  /** Resource id for the explorer, set at creation (Kernel.newRes). */
  resId = 0;
}

export interface Region {
  start: number;
  last: number;
  /** Reservation owner: a device, a domain, or null (IOMMU_TEST_OP_ADD_RESERVED). */
  owner: unknown;
}

/** struct io_pagetable (the parts the lifecycle touches) */
export class Iopt {
  domains: Domain[] = [];
  reserved: Region[] = [];
  mapped: Array<{ start: number; last: number }> = [];
  constructor(
    readonly domainsRwsem: RwSem,
    readonly iovaRwsem: RwSem,
  ) {}
}

export class Ioas extends IObj {
  readonly type = ObjType.IOAS;
  mutex!: KMutex;
  iopt!: Iopt;
  hwptList: Hwpt[] = [];
}

/** struct iommu_domain */
export class Domain {
  freed = false;
  msiCookie = false;
  /** geometry.aperture_start/end; null is the whole IOVA space. */
  aperture: { start: number; last: number } | null = null;
  constructor(
    readonly uid: number,
    readonly iommu: number,
    readonly enforceCCCapable: boolean,
  ) {}
  get label(): string {
    return `domain#${this.uid}`;
  }
  /** Resource id for the explorer, set at creation (Kernel.newRes). */
  resId = 0;
}

export class Hwpt extends IObj {
  readonly type = ObjType.HW_PAGETABLE;
  ioas!: Ioas;
  domain: Domain | null = null;
  autoDomain = false;
  enforceCC = false;
  msiCookie = false;
  /** !list_empty(&hwpt->hwpt_item) */
  onList = false;
  /** Thread that allocated it (for I3(b): an unfinalized HWPT on the list is its creator's). */
  creator: EThread | null = null;
  /** XState-compiled lifecycle state (models/hwpt.machine.ts). */
  mstate = 0;
  /** Shadow: references handed to a caller by detach/replace, not yet put (I1). */
  transient = 0;
}

/** struct iommu_group (core) */
export class IommuGroup {
  /** group->domain: null means the blocking/default domain (no iommufd HWPT). */
  domain: Domain | null = null;
  /** DMA owner cookie (the ctx) and how many devices claimed it. */
  owner: unknown = null;
  ownerCount = 0;
  freed = false;
  readonly devices: PhysDev[] = [];
  constructor(
    readonly id: number,
    readonly iommu: number,
    readonly isolatedMsi: boolean,
    readonly mutex: KMutex,
  ) {}
  get label(): string {
    return `iommu_group#${this.id}`;
  }
  /** Resource id for the explorer, set at creation (Kernel.newRes). */
  resId = 0;
}

/** struct device: a physical (or mock) device. */
export class PhysDev {
  /** Device lifecycle machine state (models/device.machine.ts). */
  mstate = 0;
  /** Number of its reservations the kernel must make (all but DIRECT_RELAXABLE regions). */
  readonly reservations: number;
  constructor(
    readonly uid: number,
    readonly name: string,
    readonly group: IommuGroup,
    readonly spec: DeviceSpec,
    readonly mock: boolean,
  ) {
    this.reservations = spec.resv.filter((r) => r.type !== 'direct-relaxable').length;
  }
  get resv(): RegionSpec[] {
    return this.spec.resv;
  }
}

/** struct iommufd_group */
export class IGroup {
  ref = 1;
  lock!: KMutex;
  hwpt: Hwpt | null = null;
  deviceList: Idev[] = [];
  /** null is PHYS_ADDR_MAX */
  swMsiStart: number | null = null;
  freed = false;
  constructor(
    readonly uid: number,
    readonly group: IommuGroup,
  ) {}
  get label(): string {
    return `igroup#${this.uid}(group ${this.group.id})`;
  }
  /** Resource id for the explorer, set at creation (Kernel.newRes). */
  resId = 0;
}

export class Idev extends IObj {
  readonly type = ObjType.DEVICE;
  dev!: PhysDev;
  igroup!: IGroup;
  enforceCC = false;
  /** Shadow: holds the "attached" reference added by iommufd_device_attach (I1). */
  attachRef = false;
}

/** struct selftest_obj (TYPE_IDEV) */
export class SelftestObj extends IObj {
  readonly type = ObjType.SELFTEST;
  idev: Idev | null = null;
  mockDev: PhysDev | null = null;
}

export type AnyObj = Ioas | Hwpt | Idev | SelftestObj;
