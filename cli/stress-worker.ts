// Runs the stress campaign off the main thread. stress() never yields to the event loop, so a
// SIGINT handler on the thread running it would not run until the campaign ends; the main thread
// stays idle instead, catches Ctrl-C and raises a shared flag that `tick` reads.
import { parentPort, workerData } from 'node:worker_threads';
import { stress, type StressOptions } from '../runner/stress.js';
import { toPlain, type CoverageFigures } from '../runner/doc.js';
import type { DfsCoverage, Found } from '../runner/stress.js';
import type { OpOutcomes } from '../runner/outcomes.js';

export interface WorkerInput {
  opts: Omit<StressOptions, 'tick'>;
  /** Wall-clock bound in ms from the start of the campaign, or null. */
  timeMs: number | null;
  /** Int32Array(1): [0] = stop requested (Ctrl-C). */
  stop: SharedArrayBuffer;
  /** Float64Array(2): [0] = schedules done, [1] = distinct violations found (progress display). */
  progress: SharedArrayBuffer;
}

export interface WorkerResult {
  type: 'done';
  runs: number;
  steps: number;
  found: Found[];
  byKind: Record<string, number>;
  interrupted: boolean;
  stopReason: 'interrupt' | 'time' | null;
  elapsedMs: number;
  coverage: { device: CoverageFigures; hwpt: CoverageFigures; ops: OpOutcomes };
  /** The dfs strategy's per-workload coverage, or null. */
  dfs: DfsCoverage | null;
}

export interface WorkerFailure {
  type: 'error';
  message: string;
  stack: string;
}

async function main(): Promise<void> {
  const input = workerData as WorkerInput;
  const stop = new Int32Array(input.stop);
  const progress = new Float64Array(input.progress);
  const t0 = performance.now();
  const deadline = input.timeMs === null ? Infinity : t0 + input.timeMs;
  let stopReason: WorkerResult['stopReason'] = null;
  try {
    const r = await stress({
      ...input.opts,
      tick: (done, found) => {
        progress[0] = done;
        progress[1] = found;
        if (Atomics.load(stop, 0) !== 0) {
          stopReason = 'interrupt';
          return true;
        }
        if (performance.now() >= deadline) {
          stopReason = 'time';
          return true;
        }
        return false;
      },
    });
    const elapsedMs = performance.now() - t0;
    const msg: WorkerResult = {
      type: 'done',
      runs: r.runs,
      steps: r.steps,
      found: r.found.map((f) => toPlain(f)),
      byKind: r.byKind,
      interrupted: r.interrupted,
      stopReason: r.interrupted ? stopReason : null,
      elapsedMs,
      coverage: { device: r.runner.coverage.device.summary(), hwpt: r.runner.coverage.hwpt.summary(), ops: r.outcomes },
      dfs: r.dfs ?? null,
    };
    parentPort!.postMessage(msg);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const msg: WorkerFailure = { type: 'error', message: err.message, stack: err.stack ?? '' };
    parentPort!.postMessage(msg);
  }
}

void main();
