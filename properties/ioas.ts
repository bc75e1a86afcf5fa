// I3: the hwpt_list matches the IOAS's domains, and every HWPT on it is finalized, being
// destroyed (users == 0), or unfinalized in the hands of a creator holding ioas->mutex.
import type { EThread } from '../schedulers/runtime.js';
import type { Kernel } from '../engine/kernel.js';
import type { Ioas } from '../engine/objects.js';
import { violated } from './check.js';

/**
 * At ioas->mutex release only the list => domains direction holds: hwpt destroy does
 * list_del, unlocks, and only then removes the domain. Both directions hold at quiescence.
 */
export function checkHwptList(k: Kernel, t: EThread, ioas: Ioas, bothWays: boolean): void {
  if (ioas.freed) return;
  for (const h of ioas.hwptList) {
    if (h.freed) violated(k, t, 'I3', 'freed-on-list', `${h.label} is on ${ioas.label}.hwpt_list after kfree`);
    if (!h.domain || !ioas.iopt.domains.includes(h.domain)) {
      violated(k, t, 'I3', 'list-domain', `${h.label} is on ${ioas.label}.hwpt_list but its domain is not in the iopt`);
    }
    if (!h.published && h.users !== 0 && !(h.creator && ioas.mutex.isHeldBy(h.creator))) {
      violated(
        k,
        t,
        'I3',
        'unfinalized-visible',
        `${h.label} is on ${ioas.label}.hwpt_list unfinalized while its creator does not hold ${ioas.mutex.name}`,
      );
    }
  }
  if (bothWays) {
    for (const d of ioas.iopt.domains) {
      if (!ioas.hwptList.some((h) => h.domain === d)) {
        violated(k, t, 'I3', 'domain-list', `${d.label} is in ${ioas.label}'s iopt but no HWPT on its hwpt_list has it`);
      }
    }
  }
}
