import { Runner, DEFAULT_MAX_STEPS } from '../runner/run.js';
import { RandomScheduler } from '../schedulers/random.js';
import { workloadFor } from '../runner/stress.js';
const wl0 = workloadFor(1, 0, undefined, true);
const empty = { ...wl0, setup: [], threads: [[], []], faultDen: 0 };
const runner = new Runner({ profile: 'fixed', variants: [], maxSteps: DEFAULT_MAX_STEPS, atomicity: true });
const s = new RandomScheduler(1);
for (const [name, wl] of [['empty', empty], ['empty', empty]] as const) {
  const t0 = performance.now(); let steps = 0;
  for (let i = 0; i < 50000; i++) { const r = await runner.run(wl as never, s, false, false); steps += r.steps; }
  const dt = performance.now() - t0;
  console.log(name, (dt * 1000 / 50000).toFixed(2), 'us/run', steps / 50000, 'steps/run');
}
