// fast-check arbitraries for workloads: a topology and 2-4 threads of short operation lists.
// Generated calls respect the kAPI caller contract where the kernel relies on it (see
// docs/workloads.md); userspace ioctls may name anything, including stale or wrong ids.
import fc from 'fast-check';
import type { DeviceSpec, GroupSpec, IommuSpec, RegionSpec, Topology } from '../engine/topology.js';
import { deviceOwner, type Op, type Ref, type Workload } from './types.js';

const SW_MSI: RegionSpec = { start: 0x8000000, length: 0x100000, type: 'sw-msi' };
const HW_MSI: RegionSpec = { start: 0xfee00000, length: 0x100000, type: 'msi' };
const RESV_POOL: RegionSpec[] = [
  { start: 0x10000, length: 0x1000, type: 'reserved' },
  { start: 0x20000, length: 0x2000, type: 'direct' },
  { start: 0x40000, length: 0x1000, type: 'direct-relaxable' },
];

export interface GenOptions {
  /** Fixed thread count, or undefined for 2-4. */
  threads?: number;
  /** Allow fault injection in generated workloads. */
  faults?: boolean;
}

const iommuArb: fc.Arbitrary<IommuSpec & { msi: 'sw' | 'hw' | 'none' }> = fc.record({
  enforceCC: fc.boolean(),
  isolatedMsi: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
  msi: fc.constantFrom<'sw' | 'hw' | 'none'>('sw', 'hw', 'none'),
});

function deviceArb(iommu: IommuSpec & { msi: 'sw' | 'hw' | 'none' }): fc.Arbitrary<DeviceSpec> {
  return fc
    .record({
      cacheCoherent: fc.oneof({ arbitrary: fc.constant(true), weight: 19 }, { arbitrary: fc.constant(false), weight: 1 }),
      enforceCC: iommu.enforceCC ? fc.boolean() : fc.constant(false),
      resv: fc.subarray(RESV_POOL, { minLength: 0, maxLength: 2 }),
    })
    .map(({ cacheCoherent, enforceCC, resv }) => ({
      cacheCoherent,
      enforceCC,
      // The MSI window belongs to the iommu driver (arm-smmu, intel-iommu report it for every
      // device they translate), so all devices behind one iommu report the same one.
      resv: iommu.msi !== 'none' ? [...resv, iommu.msi === 'sw' ? SW_MSI : HW_MSI] : [...resv],
    }));
}

export const topologyArb: fc.Arbitrary<Topology> = fc
  .array(iommuArb, { minLength: 1, maxLength: 2 })
  .chain((iommus) =>
    fc.record({
      iommus: fc.constant(iommus.map(({ enforceCC, isolatedMsi }) => ({ enforceCC, isolatedMsi }))),
      groups: fc.array(
        fc.nat({ max: iommus.length - 1 }).chain((iommu) =>
          fc.record<GroupSpec>({
            iommu: fc.constant(iommu),
            devices: fc.array(deviceArb(iommus[iommu]!), { minLength: 1, maxLength: 3 }),
          }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      ioas: fc.array(
        fc.record({
          mapped: fc
            .oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 })
            .map((m) => (m ? [{ start: 0x10000, length: 0x4000 }] : [])),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  );

const HWPT_NAMES = ['h0', 'h1'];
const MOCK_NAMES = ['m0', 'm1'];

function refArb(pool: Ref[]): fc.Arbitrary<Ref> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...pool), weight: 12 },
    { arbitrary: fc.integer({ min: 0, max: 12 }), weight: 1 },
  );
}

function threadOpsArb(ti: number, nThreads: number, nDevices: number, ioasNames: string[]): fc.Arbitrary<Op[]> {
  const owned: number[] = [];
  for (let d = 0; d < nDevices; d++) if (deviceOwner(d, nThreads) === ti) owned.push(d);
  const devIdevs = Array.from({ length: nDevices }, (_, d) => `dev${d}.idev`);
  const mockRefs = MOCK_NAMES.flatMap((m) => [`${m}.stdev`, `${m}.idev`, `${m}.hwpt`]);
  const ptPool: Ref[] = [...ioasNames, ...ioasNames, ...HWPT_NAMES, ...MOCK_NAMES.map((m) => `${m}.hwpt`)];
  // Device objects always answer EBUSY to IOMMU_DESTROY (the driver holds them): named rarely.
  const anyPool: Ref[] = [...ioasNames, ...ioasNames, ...HWPT_NAMES, ...HWPT_NAMES, ...mockRefs, ...MOCK_NAMES.map((m) => `${m}.stdev`), devIdevs[0] ?? 'dev0.idev'];
  const pt = refArb(ptPool);
  const dev = owned.length ? fc.constantFrom(...owned) : null;
  const choices: Array<{ arbitrary: fc.Arbitrary<Op>; weight: number }> = [
    { arbitrary: fc.record({ op: fc.constant('mock_domain' as const), pt, as: fc.constantFrom(...MOCK_NAMES) }), weight: 4 },
    {
      arbitrary: fc.record({
        op: fc.constant('mock_replace' as const),
        dev: refArb(MOCK_NAMES.map((m) => `${m}.stdev`)),
        pt,
      }),
      weight: 4,
    },
    {
      arbitrary: fc.record({
        op: fc.constant('hwpt_alloc' as const),
        dev: refArb([...devIdevs, ...MOCK_NAMES.map((m) => `${m}.idev`)]),
        pt: refArb([...ioasNames, ...HWPT_NAMES]),
        flags: fc.oneof({ arbitrary: fc.constant(0), weight: 15 }, { arbitrary: fc.constant(1), weight: 1 }),
        as: fc.constantFrom(...HWPT_NAMES),
      }),
      weight: 4,
    },
    { arbitrary: fc.record({ op: fc.constant('destroy' as const), id: refArb(anyPool) }), weight: 6 },
    { arbitrary: fc.record({ op: fc.constant('ioas_alloc' as const), as: fc.constantFrom(...ioasNames) }), weight: 1 },
  ];
  if (dev) {
    choices.push(
      { arbitrary: fc.record({ op: fc.constant('bind' as const), dev }), weight: 5 },
      { arbitrary: fc.record({ op: fc.constant('attach' as const), dev, pt }), weight: 6 },
      { arbitrary: fc.record({ op: fc.constant('replace' as const), dev, pt }), weight: 5 },
      { arbitrary: fc.record({ op: fc.constant('detach' as const), dev }), weight: 3 },
      { arbitrary: fc.record({ op: fc.constant('unbind' as const), dev }), weight: 2 },
    );
  }
  return fc.array(fc.oneof(...choices), { minLength: 6, maxLength: 18 });
}

export function workloadArb(opts: GenOptions = {}): fc.Arbitrary<Workload> {
  const threadsArb = opts.threads !== undefined ? fc.constant(opts.threads) : fc.integer({ min: 2, max: 4 });
  const faultArb = opts.faults === false
    ? fc.constant(0)
    : fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 4, max: 24 }), weight: 2 });
  return fc.record({ topology: topologyArb, nThreads: threadsArb, faultDen: faultArb }).chain(({ topology, nThreads, faultDen }) => {
    const nDevices = topology.groups.reduce((n, g) => n + g.devices.length, 0);
    const ioasNames = topology.ioas.map((_, i) => `ioas${i}`);
    const setup: Op[] = ioasNames.map((as) => ({ op: 'ioas_alloc', as }));
    return fc
      .tuple(...Array.from({ length: nThreads }, (_, ti) => threadOpsArb(ti, nThreads, nDevices, ioasNames)))
      .map((threads) => ({ topology, setup, threads, faultDen }));
  });
}

const cache = new Map<string, fc.Arbitrary<Workload>>();

/** The workload for stress window w: a function of (seed, w) alone. */
export function sampleWorkload(seed: number, opts: GenOptions = {}): Workload {
  const key = `${opts.threads ?? '-'}/${opts.faults ?? '-'}`;
  let arb = cache.get(key);
  if (!arb) cache.set(key, (arb = workloadArb(opts)));
  return fc.sample(arb, { seed, numRuns: 1 })[0]!;
}
