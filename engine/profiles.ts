// Profiles: the kernel as released (v6.6, bugs and all) and the corrected design (fixed).
import type { VariantFlags, VariantName } from './variants.js';

export const PROFILES = ['v6.6', 'fixed'] as const;
export type ProfileName = (typeof PROFILES)[number];

export interface Fix {
  name: string;
  closes: string;
  summary: string;
}

/** Corrections the fixed profile applies on top of v6.6 (docs/findings.md explains each). */
export const FIXES: Fix[] = [
  {
    name: 'destroy-takes-destroy-rwsem',
    closes: 'Z1',
    summary:
      'IOMMU_DESTROY trylocks destroy_rwsem for write inside its xa_lock section and answers EBUSY when that fails, so an object cannot be freed while a short-term holder sits between its refcount_dec and its up_read'
  },
  {
    name: 'replace-requires-attached',
    closes: 'Z4',
    summary: 'iommufd_device_do_replace fails with EINVAL when the device itself is not attached (upstream 55c85fa7579d)',
  },
  {
    name: 'replace-unresv-same-ioas',
    closes: 'F1',
    summary:
      'a failed iommufd_device_do_replace between two HWPTs of the same IOAS no longer removes the still-attached devices\' reserved regions from that IOAS (its unwind is guarded like the reservation, old->ioas != new->ioas)',
  },
  {
    name: 'detach-hwpt-under-lock',
    closes: 'F2',
    summary:
      'iommufd_hw_pagetable_detach reads igroup->hwpt under the igroup lock, so a concurrent replace by another device of the group cannot make it detach from, and put, the old HWPT',
  },
  {
    name: 'auto-put-unfinalized',
    closes: 'F3',
    summary:
      'iommufd_object_deref_user drops the caller\'s reference when the auto HWPT it puts is not finalized yet (a group member detached between do_replace and finalize in auto_get_domain), instead of leaking it',
  },
  {
    name: 'auto-hwpt-orphan',
    closes: 'F4',
    summary:
      'iommufd_device_auto_get_domain aborts its new auto HWPT instead of finalizing it when a concurrent replace already moved the group away (users == 1), so no auto HWPT is left without devices',
  },
  {
    name: 'auto-abort-waits-deref',
    closes: 'F5',
    summary:
      'before that abort frees the HWPT, iommufd_device_auto_get_domain takes and releases its destroy_rwsem for write, so a replacer whose deref_user dropped the last other reference (F3\'s correction) has left its write section',
  },
];

/** Findings that are not zoo variants: one boolean per fix, on in the fixed profile. */
export interface FixFlags {
  replaceUnresvSameIoas: boolean;
  detachHwptUnderLock: boolean;
  autoPutUnfinalized: boolean;
  autoHwptOrphan: boolean;
  autoAbortWaitsDeref: boolean;
}

export function profileFixes(profile: ProfileName): FixFlags {
  const fixed = profile === 'fixed';
  return { replaceUnresvSameIoas: fixed, detachHwptUnderLock: fixed, autoPutUnfinalized: fixed, autoHwptOrphan: fixed, autoAbortWaitsDeref: fixed };
}

export function isProfile(s: string): s is ProfileName {
  return (PROFILES as readonly string[]).includes(s);
}

/** The bugs each profile contains before any variant is added. */
export function profileFlags(profile: ProfileName, variants: readonly VariantName[]): VariantFlags {
  const released = profile === 'v6.6';
  const has = (v: VariantName) => variants.includes(v);
  return {
    putObjectUaf: released || has('put-object-uaf'),
    unlockBeforeFinalize: has('unlock-before-finalize'),
    abortWithoutAbortOp: has('abort-without-abort-op'),
    replaceUnattached: released || has('replace-unattached'),
    noLockObjAutoHwpt: has('no-lock-obj-auto-hwpt'),
    putUnderLock: has('put-under-lock'),
    putUnderIoasMutex: has('put-under-ioas-mutex'),
    singleRwsemClass: has('single-rwsem-class'),
    replaceAddOne: has('replace-add-one'),
    replaceSubAll: has('replace-sub-all'),
    replaceCountAfterList: has('replace-count-after-list'),
    attachNoUnresv: has('attach-no-unresv'),
    bindNoReleaseOwner: has('bind-no-release-owner'),
    autoNoAbort: has('auto-no-abort'),
    autoNoPutEinval: has('auto-no-put-einval'),
    unbindWhileAttached: has('unbind-while-attached'),
    igroupKrefGet: has('igroup-kref-get'),
    igroupXaErase: has('igroup-xa-erase'),
  };
}

export function fixesApplied(profile: ProfileName): string[] {
  return profile === 'fixed' ? FIXES.map((f) => f.name) : [];
}
