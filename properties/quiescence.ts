// Checks that hold when no operation is in flight, and after every device is unbound and the
// ctx is closed (nothing leaks: I10).
import type { EThread } from '../schedulers/runtime.js';
import type { Kernel } from '../engine/kernel.js';
import { Hwpt, Idev, Ioas } from '../engine/objects.js';
import { violated } from './check.js';
import { checkRefcounts } from './refcount.js';
import { checkDeviceReservations, checkIgroup } from './igroup.js';
import { checkHwptList } from './ioas.js';

export function checkQuiescent(k: Kernel, t: EThread): void {
  checkRefcounts(k, t);
  for (const g of k.allIgroups) checkIgroup(k, t, g);
  for (const o of k.objects) {
    if (o instanceof Ioas && !o.freed) checkHwptList(k, t, o, true);
    if (o instanceof Hwpt && !o.freed && o.autoDomain && o.published) {
      const used = k.allIgroups.some((g) => !g.freed && g.hwpt === o && g.deviceList.length > 0);
      if (!used) violated(k, t, 'I4', 'auto-hwpt-unused', `auto ${o.label} has no attached device at quiescence`);
    }
  }
  for (const dev of k.devices) {
    const g = k.groups.get(dev.group.id);
    const attached = g && g.deviceList.some((d) => d.dev === dev) ? g : null;
    checkDeviceReservations(k, t, dev, attached);
  }
  // I2 across devices: every bound device of one iommu_group shares one igroup (Z12b breaks it).
  const byGroup = new Map<unknown, Idev>();
  for (const o of k.objects) {
    if (!(o instanceof Idev) || o.freed) continue;
    const first = byGroup.get(o.dev.group);
    if (first === undefined) byGroup.set(o.dev.group, o);
    else if (first.igroup !== o.igroup) {
      violated(k, t, 'I2', 'igroup-per-group', `${first.label} and ${o.label} are in ${o.dev.group.label} but use ${first.igroup.label} and ${o.igroup.label}`);
    }
  }
  // I10 before close: an igroup exists iff a bound device references it, with kref == #bound idevs.
  const bound = new Map<unknown, number>();
  for (const o of k.objects) if (o instanceof Idev && !o.freed) bound.set(o.igroup, (bound.get(o.igroup) ?? 0) + 1);
  for (const g of k.allIgroups) {
    if (g.freed) continue;
    const n = bound.get(g) ?? 0;
    if (g.ref !== n) violated(k, t, 'I10', 'igroup-kref', `${g.label}.ref is ${g.ref} with ${n} bound devices`);
    if (k.groups.get(g.group.id) !== g) violated(k, t, 'I10', 'igroup-installed', `${g.label} is alive but not in ctx->groups`);
  }
  for (const [g] of bound) {
    if ((g as { freed: boolean }).freed) violated(k, t, 'I8', 'igroup-freed', `a bound device references a freed igroup`);
  }
}

export function checkClosed(k: Kernel, t: EThread): void {
  if (!k.closed) violated(k, t, 'I10', 'ctx-not-released', `the fd was closed but ${k.fileRefs} reference(s) keep the ctx: a device was never unbound`);
  const left = k.objects.filter((o) => o !== null);
  if (left.length) violated(k, t, 'I10', 'objects-left', `ctx closed with objects ${left.map((o) => o!.label).join(', ')}`);
  if (k.groups.size) violated(k, t, 'I10', 'groups-left', `ctx closed with ${k.groups.size} igroups`);
  for (const d of k.allDomains) if (!d.freed) violated(k, t, 'I10', 'domain-leak', `${d.label} was never freed`);
  for (const g of k.allIgroups) if (!g.freed) violated(k, t, 'I10', 'igroup-leak', `${g.label} was never freed`);
  for (const g of k.iommuGroups) {
    if (g.ownerCount !== 0 || g.owner !== null) violated(k, t, 'I10', 'dma-owner', `${g.label} is still owned by the ctx`);
  }
}
