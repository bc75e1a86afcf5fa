// I1: every live object's users equals the references the spec accounts for.
import type { EThread } from '../schedulers/runtime.js';
import type { Kernel } from '../engine/kernel.js';
import { Hwpt, Idev, IObj, Ioas } from '../engine/objects.js';
import { violated } from './check.js';

export function expectedUsers(k: Kernel, o: IObj): number {
  let n = (o.published && !o.removed ? 1 : 0) + o.shortterm;
  if (o instanceof Idev) n += 1 + (o.attachRef ? 1 : 0);
  else if (o instanceof Hwpt) {
    n += o.transient;
    for (const g of k.allIgroups) if (!g.freed && g.hwpt === o) n += g.deviceList.length;
  } else if (o instanceof Ioas) {
    for (const h of k.allObjects) if (h instanceof Hwpt && !h.freed && h.ioas === o) n++;
  }
  return n;
}

/** At quiescence no short-term hold and no reference handed out for a put may remain. */
export function checkRefcounts(k: Kernel, t: EThread): void {
  for (const o of k.objects) {
    if (o === null || o.freed || !o.published) continue;
    if (o.shortterm !== 0) violated(k, t, 'I1', 'shortterm-leak', `${o.label} still has ${o.shortterm} short-term hold(s) at quiescence`);
    if (o instanceof Hwpt && o.transient !== 0) {
      violated(k, t, 'I1', 'put-leak', `${o.label} still has ${o.transient} reference(s) handed out by detach/replace that were never put`);
    }
    const want = expectedUsers(k, o);
    if (o.users !== want) violated(k, t, 'I1', 'users', `${o.label}.users is ${o.users}, the references account for ${want}`);
  }
}
