// I9 (failure atomicity) and I13 (replace moves the whole group), checked for operations
// that ran without any other thread taking a step in between (a "solo window"): only then
// is "the state before the call" well defined.
import type { Kernel } from '../engine/kernel.js';
import { Hwpt, IObj } from '../engine/objects.js';
import { expectedUsers } from './refcount.js';

/**
 * The observable state of spec I9: igroup->hwpt and device lists, users counts (less short-term
 * holds), hwpt_lists, iopt domains and reservations, the objects in the table. The sticky
 * enforce_cache_coherency / msi_cookie flags and igroup->sw_msi_start are left out on purpose.
 */
export function fingerprint(k: Kernel): string {
  const parts: string[] = [];
  for (let id = 1; id < k.objects.length; id++) {
    const o: IObj | null = k.objects[id] ?? null;
    if (o === null || !o.published) continue;
    parts.push(`${o.label}:${o.users - o.shortterm}`);
    if (o.type === 3) {
      const ioas = o as import('../engine/objects.js').Ioas;
      parts.push(
        `L[${ioas.hwptList.map((h) => h.id).join(',')}]D[${ioas.iopt.domains.map((d) => d.uid).join(',')}]R[${ioas.iopt.reserved
          .map((r) => `${r.start}-${r.last}:${(r.owner as { name?: string; label?: string } | null)?.name ?? (r.owner as { label?: string } | null)?.label ?? '-'}`)
          .sort()
          .join(',')}]`,
      );
    }
  }
  for (const g of k.groups.values()) {
    // A dying igroup (kref 0, release not yet past its cmpxchg) is already gone for every
    // caller: a concurrent bind replaces it, so it is not observable state.
    if (g.ref === 0) continue;
    parts.push(`${g.label}:${g.hwpt?.id ?? 0}[${g.deviceList.map((d) => d.id).join(',')}]${g.group.domain?.uid ?? 0}`);
  }
  return parts.join(' ');
}

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/**
 * The same observable state as `fingerprint`, hashed to 32 bits without building strings:
 * taken before every checked operation, so it must be cheap. Reservations are summed, since
 * their order in the iopt is not observable.
 */
export function stateHash(k: Kernel): number {
  let h = 0x2545f491;
  const objs = k.objects;
  for (let id = 1; id < objs.length; id++) {
    const o = objs[id];
    if (!o || !o.published) continue;
    h = mix(mix(mix(h, id), o.type), o.users - o.shortterm);
    if (o.type === 3) {
      const ioas = o as import('../engine/objects.js').Ioas;
      for (const x of ioas.hwptList) h = mix(h, x.id);
      h = mix(h, -1);
      for (const d of ioas.iopt.domains) h = mix(h, d.uid);
      h = mix(h, -2);
      let r = 0;
      for (const x of ioas.iopt.reserved) r = (r + mix(mix(x.start, x.last), (x.owner as { uid?: number } | null)?.uid ?? 0)) | 0;
      h = mix(h, r);
    }
  }
  for (const g of k.groups.values()) {
    if (g.ref === 0) continue;
    h = mix(mix(mix(h, g.uid), g.hwpt?.id ?? 0), g.group.domain?.uid ?? 0);
    for (const d of g.deviceList) h = mix(h, d.id);
  }
  return h;
}

/** I13 after a solo successful replace: the group is on the new HWPT with every device's reference. */
export function replaceMovedGroup(k: Kernel, h: Hwpt, groupDevices: number): string | null {
  const g = k.allIgroups.find((x) => !x.freed && x.hwpt === h && x.deviceList.length === groupDevices);
  if (!g) return `no igroup with ${groupDevices} devices is on ${h.label} after replace`;
  const want = expectedUsers(k, h);
  if (h.users !== want) return `${h.label}.users is ${h.users} after replace, expected ${want}`;
  return null;
}
