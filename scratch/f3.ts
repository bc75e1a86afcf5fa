import { Runner, DEFAULT_MAX_STEPS } from '../runner/run.js';
import { RandomScheduler } from '../schedulers/random.js';
import { deriveSeed } from '../schedulers/prng.js';
import type { Workload } from '../workload/types.js';
const dev = () => ({ cacheCoherent: true, enforceCC: false, resv: [] });
const wl: Workload = {
  topology: { iommus: [{ enforceCC: false, isolatedMsi: true }], groups: [{ iommu: 0, devices: [dev(), dev()] }], ioas: [{ mapped: [] }, { mapped: [] }] },
  setup: [{ op: 'ioas_alloc', as: 'ioas0' }, { op: 'ioas_alloc', as: 'ioas1' }],
  threads: [
    [{ op: 'bind', dev: 0 }, { op: 'attach', dev: 0, pt: 'ioas0' }, { op: 'replace', dev: 0, pt: 'ioas1' }],
    [{ op: 'bind', dev: 1 }, { op: 'attach', dev: 1, pt: 'ioas0' }, { op: 'detach', dev: 1 }],
  ],
  faultDen: 0,
};
const unfix = process.argv[2] === 'unfix';
const runner = new Runner({ profile: 'fixed', variants: [], maxSteps: DEFAULT_MAX_STEPS, atomicity: true, fixes: unfix ? { autoPutUnfinalized: false } : {} });
const sched = new RandomScheduler(0);
for (let i = 0; i < 4000; i++) {
  sched.reseed(deriveSeed(42, i));
  const r = await runner.run(wl, sched, false, false);
  if (r.violation) {
    sched.reseed(deriveSeed(42, i));
    const rr = await runner.run(wl, sched, true, true);
    console.log(i, rr.violation!.message);
    for (const e of rr.trace) if (!/^(>>|<<) (bind|ioas)/.test(e.text)) console.log(String(e.step).padStart(4), e.name.padEnd(9), e.text);
    break;
  }
}
