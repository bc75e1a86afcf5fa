// Injected bugs from the spec's bug zoo: named switches, all off by default.

export interface VariantInfo {
  name: string;
  zoo: string;
  commit: string;
  /** Violation kinds / invariants expected to catch it. */
  catches: string;
  /** Violation kinds the spec names for it (what a detection must report). */
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
    kinds: ['invariant', 'model', 'use-after-free'],
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
    kinds: ['model', 'invariant'],
    zoo: 'Z4',
    commit: '55c85fa7579d',
    catches: 'model (device REPLACE while bound), invariant I2/I5',
    summary: 'do_replace does not check that the device itself is attached',
  },
  'no-lock-obj-auto-hwpt': {
    kinds: ['refcount', 'model', 'use-after-free', 'invariant'],
    zoo: 'Z5',
    commit: 'iommufd: Add iommufd_lock_obj() around the auto-domains hwpts',
    catches: 'model (LOOKUP of a HWPT being destroyed), refcount (addition on 0), I4 (the plain reference makes deref_user fail and the auto HWPT leak), use-after-free (I8)',
    summary: 'auto_get_domain takes a plain refcount on hwpt_list entries instead of iommufd_lock_obj',
  },
  'put-under-lock': {
    kinds: ['lockdep-circular', 'lockdep-recursive', 'deadlock', 'assert'],
    zoo: 'Z7',
    commit: 'design',
    catches: 'lockdep-circular (I11), deadlock',
    summary: 'do_replace / detach put the old HWPT before dropping the igroup lock',
  },
} as const satisfies Record<string, Omit<VariantInfo, 'name'>>;

export type VariantName = keyof typeof VARIANTS;
export const VARIANT_NAMES = Object.keys(VARIANTS) as VariantName[];

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
}
