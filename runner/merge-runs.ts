// `merge`: the output folders of one campaign's shards (or of merges of some of them) as the
// folder one machine running the whole campaign would have written. Folders of different
// campaigns are refused: their schedules are not parts of one list.
import { violationKey } from '../engine/violation.js';
import type { StopReason, StressSummary, ViolationDoc } from './doc.js';
import { addCounts, addDfs, lowestDistinct, sortedCounts, sumOutcomes, unionCoverage } from './merge.js';
import { pctBound } from './strategy.js';

/** A folder as read: its summary and its documents in its own numbering. */
export interface RunFolder {
  dir: string;
  summary: StressSummary;
  docs: ViolationDoc[];
}

/** Folders that are not parts of one campaign, or not of disjoint parts. */
export class MergeError extends Error {}

/** Which shards (of how many) a folder holds. */
function partsOf(s: StressSummary): { count: number; shards: number[] } {
  if (s.merged) return s.merged;
  if (s.shard) return { count: s.shard.count, shards: [s.shard.index] };
  return { count: 1, shards: [1] };
}

/** What must be equal for two folders to be one campaign. */
function campaignOf(s: StressSummary): Record<string, unknown> {
  return { tool: s.tool, seed: s.seed, profile: s.profile, variants: s.variants, options: s.options };
}

function checkOneCampaign(folders: readonly RunFolder[]): { count: number; shards: number[] } {
  const first = folders[0]!;
  const want = campaignOf(first.summary);
  for (const f of folders.slice(1)) {
    const got = campaignOf(f.summary);
    for (const k of Object.keys(want)) {
      if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
        throw new MergeError(`${f.dir} is another campaign than ${first.dir}: ${k} ${JSON.stringify(got[k])} differs from ${JSON.stringify(want[k])}`);
      }
    }
  }
  const count = partsOf(first.summary).count;
  const owner = new Map<number, string>();
  for (const f of folders) {
    const p = partsOf(f.summary);
    if (p.count !== count) throw new MergeError(`${f.dir} is a part of ${p.count} shards, ${first.dir} of ${count}`);
    for (const k of p.shards) {
      const other = owner.get(k);
      if (other !== undefined) throw new MergeError(`shard ${k}/${count} is in both ${other} and ${f.dir}`);
      owner.set(k, f.dir);
    }
  }
  return { count, shards: [...owner.keys()].sort((a, b) => a - b) };
}

/** How the merged run ended: the strongest reason of its parts. */
function stoppedBy(parts: readonly StressSummary[], violations: number, keepGoing: boolean): StopReason {
  if (parts.some((s) => s.stoppedBy === 'interrupt')) return 'interrupt';
  if (parts.some((s) => s.stoppedBy === 'time')) return 'time';
  return violations > 0 && !keepGoing ? 'violation' : 'runs';
}

/**
 * The merged summary (violations.distinct and replay left for the writer, which knows the new
 * paths) and the documents in their new order: each distinct violation (kind + location) once,
 * from its lowest schedule index; only the lowest of all without --keep-going.
 */
export function mergeRuns(folders: readonly RunFolder[], outDir: string): { summary: StressSummary; docs: ViolationDoc[] } {
  if (folders.length === 0) throw new MergeError('no folder to merge');
  const merged = checkOneCampaign(folders);
  const parts = folders.map((f) => f.summary);
  const first = parts[0]!;
  const keepGoing = first.options.keepGoing;
  const docs = lowestDistinct(
    folders.flatMap((f) => f.docs),
    (d) => violationKey(d.violation),
    (d) => d.scheduleIndex,
    !keepGoing,
  );
  const sum = (f: (s: StressSummary) => number) => parts.reduce((n, s) => n + f(s), 0);
  const runsDone = sum((s) => s.runsDone);
  const steps = sum((s) => s.steps);
  const byKind: Record<string, number> = {};
  for (const s of parts) addCounts(byKind, s.violations.byKind);
  const dfs = parts.map((s) => s.dfs).reduce((a, b) => (a && b ? addDfs(a, b) : (a ?? b)));
  const b = first.strategy.pctBound;
  const stop = stoppedBy(parts, docs.length, keepGoing);
  const summary: StressSummary = {
    ...first,
    runsDone,
    steps,
    // The shards ran side by side: the run took as long as the longest, and the rates add up.
    elapsedSeconds: Math.max(...parts.map((s) => s.elapsedSeconds)),
    stepsPerSecond: Math.round(sum((s) => s.stepsPerSecond) * 10) / 10,
    schedulesPerSecond: Math.round(sum((s) => s.schedulesPerSecond) * 10) / 10,
    workers: sum((s) => s.workers),
    violations: { byKind: sortedCounts(byKind), distinct: [] },
    coverage: {
      device: parts.map((s) => s.coverage.device).reduce(unionCoverage),
      hwpt: parts.map((s) => s.coverage.hwpt).reduce(unionCoverage),
      ops: sumOutcomes(parts.map((s) => s.coverage.ops)),
    },
    // Each part's k is its longest run: the campaign's is the longest of them.
    strategy: { ...first.strategy, pctBound: b ? pctBound(b.n, Math.max(...parts.map((s) => s.strategy.pctBound?.k ?? 0)), b.d) : null },
    ...(dfs ? { dfs } : {}),
    shard: null,
    merged,
    interrupted: stop === 'interrupt',
    stoppedBy: stop,
    signal: parts.find((s) => s.signal !== null)?.signal ?? null,
    outDir,
    replay: null,
  };
  return { summary, docs };
}
