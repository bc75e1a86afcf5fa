// The worker pool's task (tinypool loads this file, compiled, in every worker thread): run one
// chunk of a campaign and return what it found as plain data. stress() never yields to the event
// loop, so stop requests arrive through shared memory that its tick reads.
import { stress, type DfsCoverage, type Found, type StressOptions } from './stress.js';
import { toPlain, type CoverageFigures } from './doc.js';
import { Control, type ControlBuffer } from './chunk-control.js';
import type { OpOutcomes } from './outcomes.js';
import type { Chunk } from './partition.js';

export type ChunkStressOptions = Omit<StressOptions, 'tick' | 'ranges' | 'workloads'>;

export interface ChunkTask {
  opts: ChunkStressOptions;
  chunk: Chunk;
  control: ControlBuffer;
}

export interface ChunkResult {
  seq: number;
  /** Schedules run: the first `runs` of the chunk's indices (dfs: executions from its start). */
  runs: number;
  steps: number;
  longestRun: number;
  /** Window strategies: global schedule indices. dfs: indices from the chunk's first execution. */
  found: Found[];
  byKind: Record<string, number>;
  /** Stopped by a stop request or a cancellation before the chunk's end (not by a violation). */
  stopped: boolean;
  coverage: { device: CoverageFigures; hwpt: CoverageFigures; ops: OpOutcomes };
  dfs: DfsCoverage | null;
}

export default async function runChunk(task: ChunkTask): Promise<ChunkResult> {
  const control = new Control(task.control);
  const c = task.chunk;
  let reported = 0;
  const r = await stress({
    ...task.opts,
    ...(c.kind === 'windows' ? { ranges: c.ranges } : { workloads: [c.firstWorkload, c.endWorkload] as [number, number], runs: c.cap ?? Infinity }),
    tick: (done, _found, workload) => {
      control.addDone(done - reported);
      reported = done;
      return control.stopRequested || control.cancelled(workload);
    },
  });
  control.addDone(r.runs - reported);
  return {
    seq: c.seq,
    runs: r.runs,
    steps: r.steps,
    longestRun: r.longestRun,
    found: r.found.map((f) => toPlain(f)),
    byKind: r.byKind,
    stopped: r.interrupted,
    coverage: { device: r.runner.coverage.device.summary(), hwpt: r.runner.coverage.hwpt.summary(), ops: r.outcomes },
    dfs: r.dfs ?? null,
  };
}
