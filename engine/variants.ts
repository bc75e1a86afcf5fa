// Injected bugs from the spec's bug zoo: named switches, all off by default.

export interface VariantInfo {
  name: string;
  zoo: string;
  commit: string;
  /** Violation kinds / invariants expected to catch it. */
  catches: string;
  /**
   * What a detection must report (detectionKey): a violation kind, or for kind 'invariant' the
   * invariant too ('invariant:I3'), so that a variant caught by an unrelated check fails the matrix.
   */
  kinds: readonly string[];
  summary: string;
}

export const VARIANTS = {
  'put-object-uaf': {
    kinds: ['use-after-free'],
    zoo: 'Z1',
    commit: '6f9c4d8c468c',
    catches: 'use-after-free (I8)',
    summary: 'iommufd_put_object drops users before up_read and IOMMU_DESTROY takes no destroy_rwsem',
  },
  'unlock-before-finalize': {
    kinds: ['invariant:I3', 'invariant:I7', 'invariant:I1', 'model', 'use-after-free'],
    zoo: 'Z2',
    commit: '31422dff187b',
    catches: 'invariant I3, model (LOOKUP of a reserved HWPT), use-after-free (I8)',
    summary: 'auto_get_domain drops ioas->mutex before finalize / abort',
  },
  'abort-without-abort-op': {
    kinds: ['lockdep-recursive', 'deadlock'],
    zoo: 'Z3',
    commit: '70eadc7fc7ef',
    catches: 'lockdep-recursive / deadlock (I11)',
    summary: 'HWPT has no abort op: abort_and_destroy calls destroy, which locks ioas->mutex again',
  },
  'replace-unattached': {
    kinds: ['model', 'invariant:I2', 'invariant:I5', 'invariant:I1'],
    zoo: 'Z4',
    commit: '55c85fa7579d',
    catches: 'model (device REPLACE while bound), invariant I2/I5',
    summary: 'do_replace does not check that the device itself is attached',
  },
  'no-lock-obj-auto-hwpt': {
    kinds: ['refcount', 'model', 'use-after-free', 'invariant:I12', 'invariant:I1', 'invariant:I4'],
    zoo: 'Z5',
    commit: 'iommufd: Add iommufd_lock_obj() around the auto-domains hwpts',
    catches: 'model (LOOKUP of a HWPT being destroyed), I12 (the destroy does not wait for the plain reference), refcount (addition on 0), I4 (the plain reference makes deref_user fail and the auto HWPT leak), use-after-free (I8)',
    summary: 'auto_get_domain takes a plain refcount on hwpt_list entries instead of iommufd_lock_obj',
  },
  'single-rwsem-class': {
    kinds: ['lockdep-recursive'],
    zoo: 'Z6',
    commit: 'design (patch 15 of the series)',
    catches: 'lockdep-recursive (I11): the false positive the kernel saw',
    summary: 'one lockdep class for every destroy_rwsem (lockdep configuration, not a code bug)',
  },
  'put-under-lock': {
    kinds: ['lockdep-circular', 'lockdep-recursive', 'deadlock', 'assert'],
    zoo: 'Z7',
    commit: 'design',
    catches: 'lockdep-circular / recursive (I11), assert (lockdep_assert_not_held in hw_pagetable_put), deadlock',
    summary: 'do_replace / detach put the old HWPT before dropping the igroup lock',
  },
  'put-under-ioas-mutex': {
    kinds: ['assert', 'lockdep-recursive', 'lockdep-circular', 'deadlock'],
    zoo: 'Z7',
    commit: 'design',
    catches: 'assert (lockdep_assert_not_held in hw_pagetable_put), lockdep-recursive / circular (I11), deadlock',
    summary: 'auto_get_domain puts the HWPT a replace left behind inside its ioas->mutex section',
  },
  'replace-add-one': {
    kinds: ['refcount', 'invariant:I1', 'invariant:I2', 'invariant:I4', 'invariant:I13', 'use-after-free', 'warn'],
    zoo: 'Z8',
    commit: 'design',
    catches: 'refcount (I1), I13 (replace does not move the whole group), I2 (the domain of the group is freed under it), I4, use-after-free (I8)',
    summary: '(Z8a) do_replace adds 1 to the new HWPT instead of the number of devices in the group',
  },
  'replace-sub-all': {
    kinds: ['refcount', 'invariant:I1', 'invariant:I2', 'invariant:I4', 'invariant:I13', 'use-after-free', 'warn'],
    zoo: 'Z8',
    commit: 'design',
    catches: 'warn / refcount (I1), I2 (the domain of the group is freed under it), use-after-free (I8)',
    summary: '(Z8b) do_replace subtracts all n devices from the old HWPT and still returns it for a put',
  },
  'replace-count-after-list': {
    kinds: ['refcount', 'invariant:I1', 'invariant:I2', 'invariant:I4', 'invariant:I13', 'use-after-free', 'warn'],
    zoo: 'Z8',
    commit: 'design',
    catches: 'refcount (I1), I2 (the domain of the group is freed under it), I4, I13, use-after-free (I8)',
    summary: '(Z8c) do_replace counts num_devices as if the replacing device had already left the list (n-1)',
  },
  'attach-no-unresv': {
    kinds: ['invariant:I5', 'invariant:I9'],
    zoo: 'Z9',
    commit: 'design',
    catches: 'invariant I5 (reserved regions of an unattached device), I9',
    summary: '(Z9a) hw_pagetable_attach fails after reserving the device regions and forgets remove_reserved_iova',
  },
  'bind-no-release-owner': {
    kinds: ['invariant:I10'],
    zoo: 'Z9',
    commit: 'design',
    catches: 'invariant I10 (DMA ownership leaked at close)',
    summary: '(Z9b) device_bind fails after claiming DMA ownership and does not release it',
  },
  'auto-no-abort': {
    kinds: ['invariant:I3', 'invariant:I7', 'invariant:I10', 'model', 'deadlock', 'use-after-free', 'refcount'],
    zoo: 'Z9',
    commit: 'design',
    catches: 'invariant I3/I7/I10 (a RESERVED HWPT and its domain leak)',
    summary: '(Z9c) auto_get_domain skips abort_and_destroy when do_replace of a new auto HWPT fails',
  },
  'auto-no-put-einval': {
    kinds: ['invariant:I1', 'deadlock', 'refcount', 'lockdep-recursive'],
    zoo: 'Z9',
    commit: 'design',
    catches: 'invariant I1 (a short-term hold leaks), deadlock / lockdep (the leaked hold keeps destroy_rwsem read-held, I11)',
    summary: '(Z9d) auto_get_domain skips put_object in its loop when do_attach returns EINVAL',
  },
  'unbind-while-attached': {
    kinds: ['warn', 'model'],
    zoo: 'Z10',
    commit: 'caller contract',
    catches: 'model (device UNBIND while attached), warn (__iommufd_object_destroy_user: EBUSY, I10)',
    summary: 'the driver unbinds a device without detaching it first (caller misuse the kernel WARNs on)',
  },
  'igroup-kref-get': {
    kinds: ['use-after-free', 'invariant:I8', 'invariant:I1', 'invariant:I2', 'invariant:I10', 'refcount', 'warn'],
    zoo: 'Z12',
    commit: 'design',
    catches: 'use-after-free (I8), I1, I10, I2',
    summary: '(Z12a) iommufd_get_group fast path takes a plain kref_get, reviving an igroup being released',
  },
  'igroup-xa-erase': {
    kinds: ['invariant:I10', 'invariant:I2', 'use-after-free', 'warn'],
    zoo: 'Z12',
    commit: 'design',
    catches: 'invariant I10 (an igroup alive but not in ctx->groups), I2 across devices of one group',
    summary: '(Z12b) the igroup release erases ctx->groups[id] unconditionally instead of cmpxchg',
  },
} as const satisfies Record<string, Omit<VariantInfo, 'name'>>;

export type VariantName = keyof typeof VARIANTS;
export const VARIANT_NAMES = Object.keys(VARIANTS) as VariantName[];

/** A violation as VariantInfo.kinds names it: its kind, qualified by the invariant for 'invariant'. */
export function detectionKey(v: { kind: string; invariant?: string }): string {
  return v.kind === 'invariant' ? `invariant:${v.invariant ?? '?'}` : v.kind;
}

/** Is `v` a detection the spec (or a documented stronger check) names for variant `name`? */
export function expectedDetection(name: VariantName, v: { kind: string; invariant?: string }): boolean {
  return (VARIANTS[name].kinds as readonly string[]).includes(detectionKey(v));
}

export function isVariant(s: string): s is VariantName {
  return Object.prototype.hasOwnProperty.call(VARIANTS, s);
}

/** Hot-path form: one boolean per variant. */
export interface VariantFlags {
  putObjectUaf: boolean;
  unlockBeforeFinalize: boolean;
  abortWithoutAbortOp: boolean;
  replaceUnattached: boolean;
  noLockObjAutoHwpt: boolean;
  putUnderLock: boolean;
  putUnderIoasMutex: boolean;
  singleRwsemClass: boolean;
  replaceAddOne: boolean;
  replaceSubAll: boolean;
  replaceCountAfterList: boolean;
  attachNoUnresv: boolean;
  bindNoReleaseOwner: boolean;
  autoNoAbort: boolean;
  autoNoPutEinval: boolean;
  unbindWhileAttached: boolean;
  igroupKrefGet: boolean;
  igroupXaErase: boolean;
}
