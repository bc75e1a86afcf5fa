// How a campaign's schedules are split: between machines (--shard K/N) and, on one machine,
// into chunks for the worker pool. Both split by workload window, never inside one: a window's
// schedules share their workload, and PCT learns the run length k within a window, so a window
// cut in two would not run as it does in one piece. Nothing here depends on the number of
// workers for its meaning: chunk sizes change how fast results come, not what they are.

/** Machine K of N (1-based), as `--shard K/N`. */
export interface Shard {
  index: number;
  count: number;
}

/** A unit of work for one worker: schedule index ranges [from, to), ascending, window-aligned. */
export interface WindowChunk {
  kind: 'windows';
  /** Position in the campaign's chunk order (results merge in this order). */
  seq: number;
  ranges: Array<[number, number]>;
  /** Window (workload) index of the first and last schedule, for cancelling chunks above a violation. */
  firstWindow: number;
  lastWindow: number;
}

/** dfs: workloads [firstWorkload, endWorkload) explored one after the other, at most `cap` executions in all. */
export interface DfsChunk {
  kind: 'dfs';
  seq: number;
  firstWorkload: number;
  endWorkload: number;
  /** null: every workload up to the budget (the run's offset is not known yet). */
  cap: number | null;
}

export type Chunk = WindowChunk | DfsChunk;

/**
 * Shard K/N owns windows w with w mod N = K-1. Round robin rather than contiguous blocks: every
 * shard starts at the lowest indices, so a shard stopped early (--time, Ctrl-C, a violation)
 * has covered the start of the campaign like the others.
 */
export function ownsWindow(shard: Shard | null, window: number): boolean {
  return shard === null || window % shard.count === shard.index - 1;
}

/** Windows of the campaign in index order (only those with a schedule below `runs`), owned by `shard`. */
export function windowsOf(runs: number, every: number, shard: Shard | null): { first: number; step: number; count: number } {
  const total = Math.ceil(runs / every);
  const first = shard === null ? 0 : shard.index - 1;
  const step = shard === null ? 1 : shard.count;
  return { first, step, count: first >= total ? 0 : Math.floor((total - 1 - first) / step) + 1 };
}

/** Schedules of the campaign that `shard` runs. */
export function schedulesOf(runs: number, every: number, shard: Shard | null): number {
  const w = windowsOf(runs, every, shard);
  if (w.count === 0) return 0;
  const last = w.first + (w.count - 1) * w.step;
  return (w.count - 1) * every + Math.min(every, runs - last * every);
}

/**
 * Chunks of about `target` schedules (whole windows, at least one). Adjacent windows of a chunk
 * merge into one range when the shard owns them all (no shard).
 */
export function windowChunks(runs: number, every: number, shard: Shard | null, target: number): WindowChunk[] {
  const w = windowsOf(runs, every, shard);
  const perChunk = Math.max(1, Math.floor(target / every));
  const chunks: WindowChunk[] = [];
  for (let j = 0; j < w.count; j += perChunk) {
    const ranges: Array<[number, number]> = [];
    const n = Math.min(perChunk, w.count - j);
    for (let t = 0; t < n; t++) {
      const win = w.first + (j + t) * w.step;
      const from = win * every;
      const to = Math.min(from + every, runs);
      const last = ranges[ranges.length - 1];
      if (last && last[1] === from) last[1] = to;
      else ranges.push([from, to]);
    }
    chunks.push({ kind: 'windows', seq: chunks.length, ranges, firstWindow: w.first + j * w.step, lastWindow: w.first + (j + n - 1) * w.step });
  }
  return chunks;
}

/** Schedules in a window chunk. */
export function chunkSize(c: WindowChunk): number {
  return c.ranges.reduce((n, [a, b]) => n + b - a, 0);
}

/** The schedule index of the `done`-th schedule of a chunk (where a chunk stopped early resumes). */
export function indexAt(c: WindowChunk, done: number): number {
  let left = done;
  for (const [a, b] of c.ranges) {
    if (left < b - a) return a + left;
    left -= b - a;
  }
  return Infinity;
}

/**
 * Schedules per chunk: small enough that every worker gets several chunks (the last ones finish
 * together, and a stop at the first violation wastes little above it), large enough that a
 * chunk's setup and message cost nothing next to it (a chunk of 1,024 runs for about 0.2 s).
 */
export function chunkTarget(schedules: number, workers: number): number {
  return Math.max(1, Math.min(1024, Math.ceil(schedules / (workers * 8))));
}

/** dfs: workloads per chunk, about `target` executions at the full budget. */
export function dfsChunkWorkloads(budget: number, target = 1024): number {
  return Math.max(1, Math.floor(target / budget));
}

/** Parse `K/N`; null with the reason when it is not one. */
export function parseShard(s: string): Shard | string {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(s);
  if (!m) return `expected K/N (machine K of N, e.g. 2/8), got ${JSON.stringify(s)}`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1) return `N must be at least 1 in K/N, got ${JSON.stringify(s)}`;
  if (!Number.isSafeInteger(index) || index < 1 || index > count) return `K must be from 1 to ${count} in K/N, got ${JSON.stringify(s)}`;
  return { index, count };
}
