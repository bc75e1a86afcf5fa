// Patch 15 of the series ("Make destroy_rwsem use a lock class per object type"): the
// selftest's MOCK_DOMAIN_REPLACE holds its SELFTEST object for read and ends in the
// down_write of the old auto HWPT's destroy_rwsem. With one class for every destroy_rwsem
// lockdep sees recursive locking; with a class per type it is a legitimate SELFTEST -> HWPT edge.
import { describe, expect, it } from 'vitest';
import { makeKernel, runOne } from '../helpers/kernel.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import { mockDomain, mockDomainReplace } from '../../engine/selftest.js';

async function selftestReplace(singleRwsemClass: boolean) {
  const k = makeKernel({ singleRwsemClass });
  let autoDestroyed = false;
  const out = await runOne(k, async (t) => {
    const ioas0 = await ioasAllocIoctl(k, t);
    const ioas1 = await ioasAllocIoctl(k, t);
    const md = await mockDomain(k, t, ioas0.id);
    const oldHwpt = k.objects[md.hwptId]!;
    await mockDomainReplace(k, t, md.stdevId, ioas1.id);
    autoDestroyed = oldHwpt.freed;
  });
  return { out, autoDestroyed, edges: k.lockdep.edges() };
}

describe('destroy_rwsem lock classes', () => {
  it('per-type classes: the selftest replace flow is silent and records SELFTEST -> HW_PAGETABLE', async () => {
    const { out, autoDestroyed, edges } = await selftestReplace(false);
    expect(out.violation).toBeNull();
    expect(autoDestroyed).toBe(true);
    expect(edges.some((e) => e.from.endsWith(':SELFTEST') && e.to.endsWith(':HW_PAGETABLE'))).toBe(true);
  });

  it('one class for every destroy_rwsem (Z6): lockdep reports possible recursive locking', async () => {
    const { out } = await selftestReplace(true);
    expect(out.violation?.kind).toBe('lockdep-recursive');
    expect(out.violation?.message).toMatch(/possible recursive locking/);
  });
});

describe('per-type classes still catch a genuine inversion across two types', () => {
  it('IOAS -> HW_PAGETABLE then HW_PAGETABLE -> IOAS is a circular dependency', async () => {
    const k = makeKernel({});
    const out = await runOne(k, async (t) => {
      const ioas0 = await ioasAllocIoctl(k, t);
      const md = await mockDomain(k, t, ioas0.id);
      const a = k.objects[ioas0.id]!.destroyRwsem;
      const b = k.objects[md.hwptId]!.destroyRwsem;
      await a.downWrite(k, t);
      await b.downWrite(k, t);
      await b.upWrite(k, t);
      await a.upWrite(k, t);
      await b.downWrite(k, t);
      await a.downWrite(k, t);
    });
    expect(out.violation?.kind).toBe('lockdep-circular');
    expect(out.violation?.message).toMatch(/destroy_rwsem:HW_PAGETABLE[\s\S]*destroy_rwsem:IOAS|destroy_rwsem:IOAS[\s\S]*destroy_rwsem:HW_PAGETABLE/);
  });
});
