// npm run bench: throughput of the full model next to the bare scheduling runtime, in the
// same process. Benchmarks report; they never fail the build.
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { Runtime } from '../schedulers/runtime.js';
import { RandomScheduler } from '../schedulers/random.js';
import { Runner, DEFAULT_MAX_STEPS } from '../runner/run.js';
import { DEFAULT_WORKLOAD_EVERY, scheduleSeed, stress, workloadFor, type StrategyName } from '../runner/stress.js';
import { VARIANT_NAMES, type VariantName } from '../engine/variants.js';
import type { Workload } from '../workload/types.js';

const args = process.argv.slice(2);
const full = args.includes('--full');
const SCHEDULES = full ? 100_000 : 20_000;
const REPS = full ? 5 : 3;
const SEED = 1;

interface Figure {
  name: string;
  config: string;
  schedules: number;
  steps: number;
  seconds: number;
  stepsPerSec: number;
  schedulesPerSec: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function workloads(n: number): Workload[] {
  const out: Workload[] = [];
  for (let w = 0; w * DEFAULT_WORKLOAD_EVERY < n; w++) out.push(workloadFor(SEED, w, undefined, true));
  return out;
}

async function model(wls: Workload[], atomicity: boolean, threadSteps?: number[][][], invariants = true): Promise<{ steps: number; seconds: number }> {
  const runner = new Runner({ profile: 'fixed', variants: [], maxSteps: DEFAULT_MAX_STEPS, atomicity, invariants });
  const sched = new RandomScheduler(0);
  let steps = 0;
  const t0 = performance.now();
  for (let i = 0; i < SCHEDULES; i++) {
    sched.reseed(scheduleSeed(SEED, i));
    const r = await runner.run(wls[Math.floor(i / DEFAULT_WORKLOAD_EVERY)]!, sched, false, false);
    steps += r.steps;
    if (threadSteps) threadSteps.push(r.threadSteps);
  }
  return { steps, seconds: (performance.now() - t0) / 1000 };
}

/** The bare runtime: per schedule and phase, threads that only yield, as many times as the model's did. */
async function bare(shape: number[][][]): Promise<{ steps: number; seconds: number }> {
  const rt = new Runtime(new RandomScheduler(0), Number.MAX_SAFE_INTEGER);
  const sched = rt.scheduler as RandomScheduler;
  let steps = 0;
  const t0 = performance.now();
  for (let i = 0; i < shape.length; i++) {
    sched.reseed(scheduleSeed(SEED, i));
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

function figure(name: string, config: string, runs: Array<{ steps: number; seconds: number }>): Figure {
  const seconds = median(runs.map((r) => r.seconds));
  const steps = runs[0]!.steps;
  return {
    name,
    config,
    schedules: SCHEDULES,
    steps,
    seconds: Math.round(seconds * 1000) / 1000,
    stepsPerSec: Math.round(steps / seconds),
    schedulesPerSec: Math.round(SCHEDULES / seconds),
  };
}

async function main(): Promise<void> {
  const wls = workloads(SCHEDULES);
  const shape: number[][][] = [];
  await model(wls, true, shape); // warm-up, and the per-thread step counts for the bare runtime
  const results: Figure[] = [];
  const rep = async (f: () => Promise<{ steps: number; seconds: number }>) => {
    const out = [];
    for (let r = 0; r < REPS; r++) {
      gc();
      out.push(await f());
    }
    return out;
  };
  results.push(figure('bare runtime', 'threads that only yield, same points per thread and phase, random scheduler', await rep(() => bare(shape))));
  results.push(
    figure('full model', 'profile fixed, tracing off, lock-release invariants + quiescence + close checks, I9/I13 solo checks on', await rep(() => model(wls, true))),
  );
  results.push(
    figure('full model, no I9/I13', 'as above without the solo-window fingerprints', await rep(() => model(wls, false))),
  );
  results.push(
    figure('engine only', 'no invariant checks at all (lockdep, poison and machine checks stay: they are the engine)', await rep(() => model(wls, false, undefined, false))),
  );
  const ratio = results[1]!.stepsPerSec / results[0]!.stepsPerSec;
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  console.log(`iommufd-model bench (${full ? 'full' : 'quick'}): ${SCHEDULES} schedules of seed ${SEED}, median of ${REPS}, node ${process.version}, ${cpus().length} x ${cpu}, 1 worker`);
  console.log('');
  console.log('| what | steps/s | schedules/s | seconds | configuration |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.stepsPerSec.toLocaleString('en-US')} | ${r.schedulesPerSec.toLocaleString('en-US')} | ${r.seconds} | ${r.config} |`);
  }
  console.log('');
  console.log(`full model / bare runtime steps/s: ${(ratio * 100).toFixed(1)}% (target: at least 25%)`);
  const detection = await detectionTable();
  mkdirSync('bench', { recursive: true });
  writeFileSync(
    'bench/results.json',
    JSON.stringify(
      { mode: full ? 'full' : 'quick', node: process.version, cpu, cores: cpus().length, schedules: SCHEDULES, seed: SEED, results, modelOverBare: Math.round(ratio * 1000) / 1000, detection },
      null,
      2,
    ) + '\n',
  );
}

interface DetectionRow {
  variant: VariantName;
  strategy: string;
  seeds: number;
  detected: number;
  medianSchedules: number | null;
  worstSchedules: number | null;
  medianSeconds: number | null;
}

/** Schedules to first detection per strategy and variant, over 20 seeds (a budget of 20,000 schedules each). */
async function detectionTable(): Promise<DetectionRow[]> {
  const seeds = Array.from({ length: 20 }, (_, i) => 1001 + i);
  const strategies: Array<{ name: string; scheduler: StrategyName; pctDepth?: number }> = [
    { name: 'random', scheduler: 'random' },
    { name: 'pct d=2', scheduler: 'pct', pctDepth: 2 },
    { name: 'pct d=3', scheduler: 'pct', pctDepth: 3 },
    { name: 'portfolio', scheduler: 'portfolio' },
  ];
  const rows: DetectionRow[] = [];
  for (const variant of VARIANT_NAMES) {
    for (const st of strategies) {
      const found: number[] = [];
      const secs: number[] = [];
      for (const seed of seeds) {
        const t0 = performance.now();
        const r = await stress({
          seed,
          runs: 20_000,
          keepGoing: false,
          workloadEvery: DEFAULT_WORKLOAD_EVERY,
          faults: true,
          profile: 'fixed',
          variants: [variant],
          maxSteps: DEFAULT_MAX_STEPS,
          atomicity: true,
          scheduler: st.scheduler,
          pctDepth: st.pctDepth,
        });
        if (r.found[0]) {
          found.push(r.found[0].index + 1);
          secs.push((performance.now() - t0) / 1000);
        }
      }
      rows.push({
        variant,
        strategy: st.name,
        seeds: seeds.length,
        detected: found.length,
        medianSchedules: found.length ? median(found) : null,
        worstSchedules: found.length ? Math.max(...found) : null,
        medianSeconds: secs.length ? Math.round(median(secs) * 1000) / 1000 : null,
      });
    }
  }
  console.log('');
  console.log('Schedules to first detection (fixed profile + variant, default generator, seeds 1001-1020, budget 20,000):');
  console.log('');
  console.log('| variant | strategy | detected | median schedules | worst | median seconds |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.variant} | ${r.strategy} | ${r.detected}/${r.seeds} | ${r.medianSchedules ?? '-'} | ${r.worstSchedules ?? '-'} | ${r.medianSeconds ?? '-'} |`);
  }
  return rows;
}

await main();
