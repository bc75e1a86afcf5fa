// Throughput: the full model next to the bare scheduling runtime, in the same process.
import { Runtime } from '../schedulers/runtime.js';
import { RandomScheduler } from '../schedulers/random.js';
import { Runner, DEFAULT_MAX_STEPS } from '../runner/run.js';
import { DEFAULT_WORKLOAD_EVERY, scheduleSeed, workloadFor } from '../runner/stress.js';
import type { Workload } from '../workload/types.js';
import { gc, median, round, table } from './util.js';

export interface Figure {
  name: string;
  config: string;
  schedules: number;
  steps: number;
  seconds: number;
  stepsPerSec: number;
  schedulesPerSec: number;
}

export interface ThroughputResult {
  schedules: number;
  reps: number;
  seed: number;
  results: Figure[];
  modelOverBare: number;
  /** The ratio per repetition, lowest and highest. */
  modelOverBareSpread: { min: number; max: number };
}

type Timed = { steps: number; seconds: number };

function workloads(seed: number, n: number): Workload[] {
  const out: Workload[] = [];
  for (let w = 0; w * DEFAULT_WORKLOAD_EVERY < n; w++) out.push(workloadFor(seed, w, undefined, true));
  return out;
}

export async function throughput(schedules: number, reps: number, seed: number, header: string): Promise<ThroughputResult> {
  const wls = workloads(seed, schedules);

  async function model(atomicity: boolean, threadSteps?: number[][][], invariants = true): Promise<Timed> {
    const runner = new Runner({ profile: 'fixed', variants: [], maxSteps: DEFAULT_MAX_STEPS, atomicity, invariants });
    const sched = new RandomScheduler(0);
    let steps = 0;
    const t0 = performance.now();
    for (let i = 0; i < schedules; i++) {
      sched.reseed(scheduleSeed(seed, i));
      const r = await runner.run(wls[Math.floor(i / DEFAULT_WORKLOAD_EVERY)]!, sched, false, false);
      steps += r.steps;
      if (threadSteps) threadSteps.push(r.threadSteps);
    }
    return { steps, seconds: (performance.now() - t0) / 1000 };
  }

  /** The bare runtime: per schedule and phase, threads that only yield, as many times as the model's did. */
  async function bare(shape: number[][][]): Promise<Timed> {
    const rt = new Runtime(new RandomScheduler(0), Number.MAX_SAFE_INTEGER);
    const sched = rt.scheduler as RandomScheduler;
    let steps = 0;
    const t0 = performance.now();
    for (let i = 0; i < shape.length; i++) {
      sched.reseed(scheduleSeed(seed, i));
      rt.reset();
      for (const phase of shape[i]!) {
        rt.beginPhase();
        for (const n of phase) {
          rt.spawn('b', async (t) => {
            for (let j = 1; j < n; j++) await rt.point(t);
          });
        }
        await rt.run();
      }
      steps += rt.steps;
    }
    return { steps, seconds: (performance.now() - t0) / 1000 };
  }

  function figure(name: string, config: string, runs: Timed[]): Figure {
    const secs = median(runs.map((r) => r.seconds));
    const steps = runs[0]!.steps;
    return {
      name,
      config,
      schedules,
      steps,
      seconds: Math.round(secs * 1000) / 1000,
      stepsPerSec: Math.round(steps / secs),
      schedulesPerSec: Math.round(schedules / secs),
    };
  }

  const shape: number[][][] = [];
  await model(true, shape); // warm-up, and the per-thread step counts for the bare runtime
  // The four configurations take turns within each repetition, so that a change of load on a
  // shared machine hits them alike; each figure is the median of its repetitions, and the ratio's
  // spread is taken per repetition (bare and full model measured back to back).
  const runs: Timed[][] = [[], [], [], []];
  const measure: Array<() => Promise<Timed>> = [() => bare(shape), () => model(true), () => model(false), () => model(false, undefined, false)];
  for (let r = 0; r < reps; r++) {
    for (let c = 0; c < measure.length; c++) {
      gc();
      runs[c]!.push(await measure[c]!());
    }
  }
  const results: Figure[] = [
    figure(
      'bare runtime',
      'Runtime + random scheduler, no engine: per schedule and phase, threads that only await rt.point(), as many times as the full model\'s threads stepped; 1 worker',
      runs[0]!,
    ),
    figure(
      'full model',
      'Runner, profile fixed, no variant, tracing off; per-step checks on (lockdep, use-after-free poisoning, lifecycle machines, I2/I5 at every igroup unlock, I3 at every IOAS unlock); ' +
        'I9/I13 solo-window checks, quiescence and close checks on; 1 worker, random scheduler',
      runs[1]!,
    ),
    figure('full model, no I9/I13', 'as above without the I9/I13 solo-window fingerprints', runs[2]!),
    figure('engine only', 'as above without any invariant hook or quiescence/close check (lockdep, poisoning and the machines stay: they are the engine)', runs[3]!),
  ];
  const ratio = results[1]!.stepsPerSec / results[0]!.stepsPerSec;
  const perRep = runs[0]!.map((b, r) => b.seconds / runs[1]![r]!.seconds);
  const spread = { min: Math.min(...perRep), max: Math.max(...perRep) };
  console.log(header);
  console.log('');
  table(
    ['what', 'steps/s', 'schedules/s', 'seconds', 'configuration'],
    'lrrrl',
    results.map((r) => [r.name, r.stepsPerSec.toLocaleString('en-US'), r.schedulesPerSec.toLocaleString('en-US'), r.seconds, r.config]),
  );
  console.log('');
  console.log(`full model / bare runtime steps/s, same process, same steps: ${(ratio * 100).toFixed(1)}% (per repetition ${(spread.min * 100).toFixed(1)}-${(spread.max * 100).toFixed(1)}%; issue 2's target: at least 25%${ratio < 0.25 ? ', not met' : ', met'})`);
  return { schedules, reps, seed, results, modelOverBare: round(ratio), modelOverBareSpread: { min: round(spread.min), max: round(spread.max) } };
}
