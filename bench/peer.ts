// The peer side by side: schedules and wall time to first detection with fast-check's own
// fc.scheduler() taking the decisions (bench/fc-adapter.ts), next to our PCT (d=3), random and
// dfs rows measured in the same process by the detection table.
import fc from 'fast-check';
import { Runner, DEFAULT_MAX_STEPS } from '../runner/run.js';
import { DEFAULT_WORKLOAD_EVERY, workloadFor } from '../runner/stress.js';
import { expectedDetection, type VariantName } from '../engine/variants.js';
import { violationKey } from '../engine/violation.js';
import type { Workload } from '../workload/types.js';
import { FcSchedulerAdapter } from './fc-adapter.js';
import { DETECTION_BUDGET, DETECTION_CONFIG, detectionCells, zoo, type DetectionRow } from './detection.js';
import { detectionStats, int, round, table, type SeedOutcome } from './util.js';

/** Z1, Z2, Z5: the variants the peer is measured on. */
export const PEER_VARIANTS: readonly VariantName[] = ['put-object-uaf', 'unlock-before-finalize', 'no-lock-obj-auto-hwpt'];

export interface PeerRow extends DetectionRow {
  /** First violation per detecting seed (kind@location), to check the peer finds the same bug. */
  firstViolations: string[];
  /** fc tasks released and discarded per thread pick (blocked or stale threads), over every seed. */
  discardedPerPick: number;
}

/**
 * One seed: fc.check over an async property whose run i executes schedule i of the campaign
 * (workload floor(i / 8) of workloadFor(seed, ...), as stress() does), with every decision taken
 * by the two fc.scheduler() instances fast-check generates for that run. endOnFailure: the first
 * failing run ends the check (no shrinking), so the number of runs is the schedules to detection.
 */
async function fcSeed(variant: VariantName, seed: number, adapter: FcSchedulerAdapter): Promise<{ schedules: number; seconds: number; violation: string | null; expected: boolean }> {
  const runner = new Runner({ profile: 'fixed', variants: [variant], maxSteps: DEFAULT_MAX_STEPS, atomicity: true });
  let i = 0;
  let wlIndex = -1;
  let wl: Workload | null = null;
  let violation: string | null = null;
  let expected = false;
  const property = fc.asyncProperty(fc.scheduler(), fc.scheduler(), async (threads, draws) => {
    const w = Math.floor(i / DEFAULT_WORKLOAD_EVERY);
    if (w !== wlIndex) {
      wlIndex = w;
      wl = workloadFor(seed, w, undefined, true);
    }
    i++;
    adapter.use(threads, draws);
    const r = await runner.run(wl!, adapter, false, false);
    if (r.violation) {
      violation = violationKey(r.violation);
      expected = expectedDetection(variant, r.violation);
      return false;
    }
    return true;
  });
  const t0 = performance.now();
  const details = await fc.check(property, { seed, numRuns: DETECTION_BUDGET, endOnFailure: true });
  const seconds = (performance.now() - t0) / 1000;
  if (details.failed && violation === null) throw new Error(`fc peer: seed ${seed} failed without a violation: ${String(details.errorInstance)}`);
  return { schedules: i, seconds, violation: details.failed ? violation : null, expected };
}

export async function peerRows(variants: readonly VariantName[], seeds: number[]): Promise<PeerRow[]> {
  const rows: PeerRow[] = [];
  for (const variant of variants) {
    const adapter = new FcSchedulerAdapter();
    const per: SeedOutcome[] = [];
    const firstViolations: string[] = [];
    let kindAsSpecified = 0;
    for (const seed of seeds) {
      const r = await fcSeed(variant, seed, adapter);
      per.push({ found: r.violation !== null ? r.schedules : null, schedules: r.schedules, seconds: r.seconds });
      if (r.violation !== null) {
        firstViolations.push(r.violation);
        if (r.expected) kindAsSpecified++;
      }
    }
    rows.push({
      variant,
      strategy: 'fc.scheduler',
      ...detectionStats(per),
      kindAsSpecified,
      firstViolations,
      discardedPerPick: round(adapter.discarded / Math.max(1, adapter.picks), 4),
    });
  }
  return rows;
}

/** The side-by-side table: ours (pct d=3, the default; random; dfs when it ran) next to the peer, per variant. */
export function printSideBySide(ours: DetectionRow[], peer: PeerRow[], seeds: number[]): void {
  console.log('');
  console.log(
    `The peer, side by side: schedules and wall time to first detection, ours (stress strategies) vs fast-check ${fc.__version} fc.scheduler() ` +
      `taking every thread pick and fault draw (bench/fc-adapter.ts), same process, seeds ${seeds[0]}-${seeds[seeds.length - 1]}, budget ${int(DETECTION_BUDGET)}.`,
  );
  console.log(
    `configuration: ${DETECTION_CONFIG}; the peer runs the same Runner (same engine, same workloads, same checks) inside ` +
      `fc.check(asyncProperty(fc.scheduler(), fc.scheduler(), ...), { seed, numRuns: ${int(DETECTION_BUDGET)}, endOnFailure: true }), one property run per schedule.`,
  );
  console.log('');
  const rows: Array<Array<string | number | null>> = [];
  for (const p of peer) {
    const mine = ['pct d=3', 'random', 'dfs'].map((s) => ours.find((r) => r.variant === p.variant && r.strategy === s)).filter((r): r is DetectionRow => r !== undefined);
    for (const r of [...mine, p]) {
      rows.push([
        `${p.variant} (${zoo(p.variant)})`,
        r === p ? 'peer: fc.scheduler' : `ours: ${r.strategy}${r.strategy === 'pct d=3' ? ' (default)' : ''}`,
        ...detectionCells(r),
        int(r.totalSchedules / Math.max(r.totalSeconds, 1e-9)),
      ]);
    }
  }
  table(['variant', 'scheduler', 'detected', 'kind ok', 'median schedules', 'worst schedules', 'median s', 'worst s', 'schedules/s (all seeds)'], 'llrrrrrrr', rows);
  console.log('');
  for (const p of peer) {
    const kinds = [...new Set(p.firstViolations)].join(', ');
    console.log(`- ${p.variant}: the peer's first violations: ${kinds || 'none'}; fc tasks released and discarded per pick (blocked or stale threads): ${p.discardedPerPick}`);
  }
  console.log(
    '- fc.scheduler() picks uniformly among its pending tasks, as our random strategy does among enabled threads: its schedule counts are comparable to ours: random, ' +
      'its wall time adds fc.check and fc.scheduler() costs. The baton runtime, not the fc task promise, resumes the picked thread, which spares the peer a promise hop per step.',
  );
}
