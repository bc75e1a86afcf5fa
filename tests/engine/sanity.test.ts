import { describe, expect, it } from 'vitest';
import { errno, makeKernel, runOne } from '../helpers/kernel.js';
import { ioasAllocIoctl } from '../../engine/ioas.js';
import { iommufdDestroy } from '../../engine/object-table.js';
import { mockDomain } from '../../engine/selftest.js';

describe('harness', () => {
  it('runs a sequential script: ioas alloc, mock_domain, destroy busy and idle', async () => {
    const k = makeKernel();
    const seen: string[] = [];
    const out = await runOne(k, async (t) => {
      const ioas = await ioasAllocIoctl(k, t);
      const md = await mockDomain(k, t, ioas.id);
      seen.push(`${ioas.id} ${md.stdevId} ${md.idevId} ${md.hwptId}`);
      seen.push(await errno(iommufdDestroy(k, t, ioas.id)));
      seen.push(await errno(iommufdDestroy(k, t, md.hwptId)));
      seen.push(await errno(iommufdDestroy(k, t, md.stdevId)));
      seen.push(await errno(iommufdDestroy(k, t, ioas.id)));
      seen.push(await errno(iommufdDestroy(k, t, 99)));
    });
    expect(out.violation).toBeNull();
    expect(seen).toEqual(['1 2 3 4', 'EBUSY', 'EBUSY', 'ok', 'ok', 'ENOENT']);
  });
});
