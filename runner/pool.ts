// A stress campaign on a pool of worker threads (tinypool), with results that do not depend on
// the number of workers. Chunks of whole windows (runner/partition.ts) go to the workers in
// index order, at most one per worker at a time; their results merge in index order, never in
// the order they finish. Stopping at the first violation means the lowest violating index once
// every chunk below it has finished: a violation cancels the chunks above its window, and their
// results are dropped.
//
// dfs has no windows: workload k gets up to the budget and fewer when its tree is covered, so
// the index of its first execution depends on every workload before it. Its chunks are ranges
// of workloads, and their indices are fixed once every chunk below has finished; the chunk that
// crosses --runs is run again with the exact number of executions it has left.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import { violationKey } from '../engine/violation.js';
import { Control, newControl, type ControlBuffer } from './chunk-control.js';
import { addCounts, addDfs, lowestDistinct, sortedCounts, sumOutcomes, unionCoverage } from './merge.js';
import { chunkTarget, dfsChunkWorkloads, schedulesOf, windowChunks, type Chunk, type DfsChunk, type Shard } from './partition.js';
import type { ChunkResult, ChunkStressOptions, ChunkTask } from './stress-chunk.js';
import { DEFAULT_DFS_BUDGET, type DfsCoverage, type Found } from './stress.js';
import type { CoverageFigures } from './doc.js';
import type { OpOutcomes } from './outcomes.js';

export interface CampaignOptions {
  /** The campaign: `runs` is its number of schedules (every shard's together). */
  stress: ChunkStressOptions;
  workers: number;
  shard: Shard | null;
  /** Wall-clock bound from the start, or null. */
  timeMs: number | null;
}

export type StopCause = 'interrupt' | 'time';

export interface CampaignResult {
  runs: number;
  steps: number;
  /** Steps of the longest schedule run (PCT's k). */
  longestRun: number;
  /** Distinct violations in schedule order, each with its lowest schedule index. */
  found: Found[];
  byKind: Record<string, number>;
  stopReason: StopCause | null;
  elapsedMs: number;
  coverage: { device: CoverageFigures; hwpt: CoverageFigures; ops: OpOutcomes };
  dfs: DfsCoverage | null;
}

/** The compiled task module: next to this file in dist/, or in dist/ when running from sources (tests). */
function taskFile(): string {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../dist/runner/stress-chunk.js', here) : new URL('./stress-chunk.js', here);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build`);
  return url.href;
}

export class Campaign {
  private readonly buf: ControlBuffer = newControl();
  private readonly control = new Control(this.buf);
  private cause: StopCause | null = null;
  private readonly keys = new Set<string>();
  /** Schedules this campaign (this shard) runs when nothing stops it. */
  readonly total: number;

  constructor(private readonly o: CampaignOptions) {
    const s = o.stress;
    this.total = s.scheduler === 'dfs' ? s.runs : schedulesOf(s.runs, s.workloadEvery, o.shard);
  }

  /** Stop scheduling: running chunks stop at their next tick and what they ran is kept. */
  stop(cause: StopCause): void {
    if (this.cause !== null) return;
    this.cause = cause;
    this.control.requestStop();
  }

  get stopCause(): StopCause | null {
    return this.cause;
  }

  /** Schedules run so far, over every worker (chunks cancelled later included). */
  get done(): number {
    return this.control.done;
  }

  /** Distinct violations (kind + location) in the chunks finished so far. */
  get violations(): number {
    return this.keys.size;
  }

  async run(): Promise<CampaignResult> {
    const t0 = performance.now();
    const timer = this.o.timeMs === null ? undefined : setTimeout(() => this.stop('time'), this.o.timeMs);
    const pool = new Tinypool({ filename: taskFile(), minThreads: this.o.workers, maxThreads: this.o.workers, isolateWorkers: false });
    try {
      const parts = this.o.stress.scheduler === 'dfs' ? await this.runDfs(pool) : await this.runWindows(pool);
      return this.merge(parts, performance.now() - t0);
    } finally {
      if (timer) clearTimeout(timer);
      await pool.destroy();
    }
  }

  private task(chunk: Chunk, control = this.buf): ChunkTask {
    return { opts: this.o.stress, chunk, control };
  }

  /**
   * Runs chunks in order, at most one per worker, while `more` gives one; `done` is told each
   * result as it arrives (in any order). Resolves when nothing is left running; the first
   * failure stops the others and rejects once they have stopped.
   */
  private drive(pool: Tinypool, more: () => Chunk | null, done: (c: Chunk, r: ChunkResult) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let running = 0;
      let failure: unknown = null;
      const pump = () => {
        while (failure === null && this.cause === null && running < this.o.workers) {
          const c = more();
          if (c === null) break;
          running++;
          (pool.run(this.task(c)) as Promise<ChunkResult>).then(
            (r) => {
              running--;
              for (const f of r.found) this.keys.add(violationKey(f.violation));
              if (failure === null) done(c, r);
              pump();
            },
            (e: unknown) => {
              running--;
              if (failure === null) failure = e;
              this.control.requestStop();
              pump();
            },
          );
        }
        if (running === 0) {
          if (failure !== null) reject(failure instanceof Error ? failure : new Error(String(failure)));
          else resolve();
        }
      };
      pump();
    });
  }

  private async runWindows(pool: Tinypool): Promise<ChunkResult[]> {
    const s = this.o.stress;
    const chunks = windowChunks(s.runs, s.workloadEvery, this.o.shard, chunkTarget(this.total, this.o.workers));
    // A shard without a window still reports the coverage totals: an empty chunk gives them.
    if (chunks.length === 0) chunks.push({ kind: 'windows', seq: 0, ranges: [], firstWindow: 0, lastWindow: 0 });
    const results: ChunkResult[] = [];
    let next = 0;
    let firstViolation = Infinity;
    await this.drive(
      pool,
      // Once a chunk has a violation every chunk below it is running or done: none is needed above.
      () => (next < chunks.length && firstViolation === Infinity ? chunks[next++]! : null),
      (c, r) => {
        results[c.seq] = r;
        if (!s.keepGoing && r.found.length > 0 && c.seq < firstViolation) {
          firstViolation = c.seq;
          this.control.cancelAbove(r.found[0]!.workloadIndex);
        }
      },
    );
    return results.filter((r, seq) => r !== undefined && seq <= firstViolation);
  }

  private async runDfs(pool: Tinypool): Promise<ChunkResult[]> {
    const s = this.o.stress;
    const per = dfsChunkWorkloads(s.dfsBudget ?? DEFAULT_DFS_BUDGET);
    const chunkAt = (seq: number, cap: number | null): DfsChunk => ({ kind: 'dfs', seq, firstWorkload: seq * per, endWorkload: (seq + 1) * per, cap });
    const results: ChunkResult[] = [];
    let next = 0;
    let firstViolation = Infinity;
    // Chunks 0..prefix-1 have finished and run `offset` executions together.
    let prefix = 0;
    let offset = 0;
    await this.drive(
      pool,
      // Every workload runs at least one execution: a chunk starting at workload >= runs is past the end.
      () => (offset < s.runs && firstViolation === Infinity && next * per < s.runs ? chunkAt(next++, null) : null),
      (c, r) => {
        results[c.seq] = r;
        if (!s.keepGoing && r.found.length > 0 && c.seq < firstViolation) {
          firstViolation = c.seq;
          this.control.cancelAbove(r.found[0]!.workloadIndex);
        }
        while (results[prefix] !== undefined && !results[prefix]!.stopped && offset < s.runs) offset += results[prefix++]!.runs;
        // The finished prefix holds every execution: chunks above it are not needed.
        if (offset >= s.runs) this.control.cancelAbove(prefix * per - 1);
      },
    );
    // Indices are fixed in order; the chunk that crosses --runs runs again, capped.
    const parts: ChunkResult[] = [];
    let at = 0;
    for (let seq = 0; seq < results.length && seq <= firstViolation && at < s.runs; seq++) {
      let r = results[seq];
      if (r === undefined) break;
      if (at + r.runs > s.runs) r = await this.capped(pool, chunkAt(seq, s.runs - at));
      parts.push({ ...r, found: r.found.map((f) => ({ ...f, index: f.index + at })) });
      at += r.runs;
      if (r.stopped) break;
    }
    return parts;
  }

  /** A dfs chunk again with its exact number of executions; only a stop request cuts it short. */
  private async capped(pool: Tinypool, c: DfsChunk): Promise<ChunkResult> {
    const own = newControl();
    if (this.cause !== null) new Control(own).requestStop();
    return (await pool.run(this.task(c, own))) as ChunkResult;
  }

  private merge(parts: ChunkResult[], elapsedMs: number): CampaignResult {
    const byKind: Record<string, number> = {};
    let runs = 0;
    let steps = 0;
    let longestRun = 0;
    let dfs: DfsCoverage | null = null;
    for (const p of parts) {
      runs += p.runs;
      steps += p.steps;
      longestRun = Math.max(longestRun, p.longestRun);
      addCounts(byKind, p.byKind);
      if (p.dfs) dfs = dfs ? addDfs(dfs, p.dfs) : p.dfs;
    }
    const found = lowestDistinct(
      parts.flatMap((p) => p.found),
      (f) => violationKey(f.violation),
      (f) => f.index,
      !this.o.stress.keepGoing,
    );
    const cov = parts.map((p) => p.coverage);
    return {
      runs,
      steps,
      longestRun,
      found,
      byKind: sortedCounts(byKind),
      stopReason: this.cause,
      elapsedMs,
      coverage: {
        device: cov.map((c) => c.device).reduce(unionCoverage),
        hwpt: cov.map((c) => c.hwpt).reduce(unionCoverage),
        ops: sumOutcomes(cov.map((c) => c.ops)),
      },
      dfs,
    };
  }
}
