// The property hooks the engine calls at lock releases, and the quiescent and final checks.
import type { PropertyHooks } from '../engine/kernel.js';
import { checkIgroupAndDevices } from './igroup.js';
import { checkHwptList } from './ioas.js';

export const INVARIANTS: Record<string, string> = {
  I1: 'refcount accounting (users equals the references the spec accounts for)',
  I2: 'igroup consistency (hwpt iff devices, list membership, core group domain)',
  I3: 'hwpt_list matches the IOAS domains; unfinalized HWPTs only visible to their creator',
  I4: 'an auto HWPT has an attached device at quiescence',
  I5: 'reserved regions live exactly in the IOAS a device is attached through; MSI cookie set',
  I6: 'cache coherency enforced on the HWPT of any enforcing device',
  I7: 'id states: finalize once, abort only unfinalized, reserved ids invisible',
  I8: 'no use after free (objects, igroups, domains, their locks)',
  I9: 'failure atomicity of attach/replace/HWPT_ALLOC/bind',
  I10: 'no leak at quiescence and after close',
  I11: 'deadlock freedom (lockdep lock order, wait-for cycles)',
  I12: 'destroy determinism (unbind waits for short-term holders)',
  I13: 'replace moves the whole group',
};

export const defaultHooks: PropertyHooks = {
  igroupUnlocked(k, t, g) {
    checkIgroupAndDevices(k, t, g);
  },
  ioasUnlocked(k, t, ioas) {
    checkHwptList(k, t, ioas, false);
  },
};

export { checkQuiescent, checkClosed } from './quiescence.js';
export { fingerprint, replaceMovedGroup, stateHash } from './atomicity.js';
