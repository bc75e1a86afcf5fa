// Memory: heap used after a forced GC at 10^4, 10^5 (and, with --full, 10^6) schedules of one
// stress campaign (runner/stress.ts's stress(), keepGoing on so it runs past its violations),
// with a variant whose runs deadlock or are stopped by lockdep: every such run abandons its
// parked threads (promises that never resolve), and the heap must not keep them.
import { getHeapSpaceStatistics } from 'node:v8';
import { DEFAULT_WORKLOAD_EVERY, stress } from '../runner/stress.js';
import { campaignOptions } from './detection.js';
import type { VariantName } from '../engine/variants.js';
import { gc, gcAvailable, int, round, seconds, table } from './util.js';

/**
 * Z3 and Z7: lockdep stops their runs at the acquisition that would deadlock (recursive or
 * circular), with the other threads parked; Z9d (auto-no-put-einval): runs that really deadlock
 * (no thread enabled; the runtime reports the wait-for cycle and abandons them).
 */
export const MEMORY_VARIANTS: readonly VariantName[] = ['abort-without-abort-op', 'put-under-lock', 'auto-no-put-einval'];
const SEED = 1;

export interface HeapSample {
  /** Schedules done when sampled (stress() calls tick every 256 schedules: the first tick at or past the milestone). */
  schedules: number;
  milestone: number;
  heapUsed: number;
  rss: number;
  /** V8 old space (objects that survived) and code space (compiled code), bytes used: where growth, if any, sits. */
  oldSpace: number;
  codeSpace: number;
  /** Distinct violations stress() keeps by then (found[], each with its workload, decisions and trace): retained by design. */
  distinct: number;
  /** Growth of heapUsed since the previous milestone, in percent. */
  growthPct: number | null;
}

export interface MemoryRow {
  variant: VariantName;
  samples: HeapSample[];
  /** Violations by kind over the campaign: each one ended its run and abandoned its parked threads. */
  byKind: Record<string, number>;
  distinct: number;
  /** The kept violations (found[]: workload, decisions, trace, ops) as JSON, in bytes: what they weigh, roughly. */
  keptJsonBytes: number;
  seconds: number;
}

export function memoryConfig(): string {
  return (
    `stress() seed ${SEED}, profile fixed + variant, strategy pct d=3, keepGoing on, ` +
    `default generator (faults on, new workload every ${DEFAULT_WORKLOAD_EVERY}), tracing off (on only for the re-run of each distinct violation), ` +
    `invariants on (incl. I9/I13), 1 worker, heapUsed after ${gcAvailable() ? 'a forced gc()' : 'NO forced gc (run with --expose-gc)'}`
  );
}

function space(name: string): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === name)?.space_used_size ?? 0;
}

async function campaign(variant: VariantName, milestones: number[]): Promise<MemoryRow> {
  const samples: HeapSample[] = [];
  let next = 0;
  const t0 = performance.now();
  const r = await stress({
    // stress() ticks every 256 schedules: run up to the tick at or past the last milestone.
    ...campaignOptions(SEED, variant, { name: 'pct d=3', scheduler: 'pct', pctDepth: 3 }, Math.ceil(milestones[milestones.length - 1]! / 256) * 256, true),
    tick: (done, found) => {
      if (next < milestones.length && done >= milestones[next]!) {
        gc();
        const m = process.memoryUsage();
        const prev = samples[samples.length - 1];
        samples.push({
          schedules: done,
          milestone: milestones[next]!,
          heapUsed: m.heapUsed,
          rss: m.rss,
          oldSpace: space('old_space'),
          codeSpace: space('code_space'),
          distinct: found,
          growthPct: prev ? round(((m.heapUsed - prev.heapUsed) / prev.heapUsed) * 100, 1) : null,
        });
        next++;
      }
      return false;
    },
  });
  const keptJsonBytes = r.found.reduce((a, f) => a + JSON.stringify(f).length, 0);
  return { variant, samples, byKind: r.byKind, distinct: r.found.length, keptJsonBytes, seconds: round(seconds(t0)) };
}

export async function memoryTable(full: boolean): Promise<MemoryRow[]> {
  const milestones = full ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
  const rows: MemoryRow[] = [];
  for (const v of MEMORY_VARIANTS) {
    gc();
    rows.push(await campaign(v, milestones));
  }
  const mb = (b: number, digits = 1) => (b / 1024 / 1024).toFixed(digits);
  console.log('');
  console.log(`Memory: heap used at ${milestones.map(int).join(' / ')} schedules of one campaign (sampled at the first 256-schedule tick at or past each milestone):`);
  console.log(`configuration: ${memoryConfig()}.`);
  console.log('');
  table(
    ['variant', ...milestones.map((m) => `heap MB @ ${int(m)}`), 'growth', 'distinct violations kept (KB as JSON at the end)', 'runs ended by a violation (abandoned threads)', 'seconds'],
    `l${'r'.repeat(milestones.length)}llll`,
    rows.map((r) => [
      r.variant,
      ...milestones.map((m) => {
        const s = r.samples.find((x) => x.milestone === m);
        return s ? mb(s.heapUsed) : null;
      }),
      r.samples
        .slice(1)
        .map((s) => `${s.growthPct! >= 0 ? '+' : ''}${s.growthPct}%`)
        .join(', '),
      `${r.samples.map((s) => s.distinct).join(' / ')} (${int(r.keptJsonBytes / 1024)} KB)`,
      Object.entries(r.byKind)
        .sort()
        .map(([k, n]) => `${k} ${int(n)}`)
        .join(', '),
      r.seconds,
    ]),
  );
  console.log('');
  for (const r of rows) {
    const f = r.samples[0];
    const l = r.samples[r.samples.length - 1];
    if (!f || !l) continue;
    const grew = l.heapUsed - f.heapUsed;
    console.log(
      `- ${r.variant}: heapUsed ${grew >= 0 ? '+' : ''}${((grew / f.heapUsed) * 100).toFixed(1)}% from ${int(f.schedules)} to ${int(l.schedules)} schedules ` +
        `(${(grew / Math.max(1, l.schedules - f.schedules)).toFixed(2)} bytes per schedule, with ${l.distinct - f.distinct} more distinct violation(s) kept); ` +
        `V8 old space ${mb(f.oldSpace, 2)} -> ${mb(l.oldSpace, 2)} MB, code space ${mb(f.codeSpace, 2)} -> ${mb(l.codeSpace, 2)} MB, rss ${mb(f.rss)} -> ${mb(l.rss)} MB`,
    );
  }
  return rows;
}
