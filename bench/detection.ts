// Schedules to first detection per injected bug (variant) and stress strategy, over 20 seeds.
import { DEFAULT_MAX_STEPS } from '../runner/run.js';
import { DEFAULT_DFS_BUDGET, DEFAULT_WORKLOAD_EVERY, stress, type StressOptions, type StressStrategyName } from '../runner/stress.js';
import { expectedDetection, VARIANTS, type VariantName } from '../engine/variants.js';
import { detectionStats, int, table, type DetectionStats, type SeedOutcome } from './util.js';

/** The detection matrix's budget (tests/matrix/variants.test.ts): schedules per seed. */
export const DETECTION_BUDGET = 20_000;

export interface DetectionRow extends DetectionStats {
  variant: VariantName;
  strategy: string;
  /** Detections whose first violation has a kind the spec names for the variant (VARIANTS[v].kinds). */
  kindAsSpecified: number;
  /** dfs only: generated workloads explored over every seed, and how many of them completely. */
  dfsWorkloads?: number;
  dfsComplete?: number;
}

export const DETECTION_CONFIG =
  `profile fixed + one variant, default generator (2-4 threads, faults on, a new workload every ${DEFAULT_WORKLOAD_EVERY} schedules; ` +
  `dfs: each workload explored with DPOR up to ${DEFAULT_DFS_BUDGET} executions), tracing off (on for the one re-run that records a detection), ` +
  `per-step checks on (lockdep, use-after-free poisoning, lifecycle machines, I2/I5 at igroup unlock, I3 at IOAS unlock), ` +
  `I9/I13 solo checks, quiescence and close checks on, 1 worker, budget ${int(DETECTION_BUDGET)} schedules per seed, no minimisation`;

export interface Strategy {
  name: string;
  scheduler: StressStrategyName;
  pctDepth?: number;
}

export const STRATEGIES: readonly Strategy[] = [
  { name: 'random', scheduler: 'random' },
  { name: 'pct d=2', scheduler: 'pct', pctDepth: 2 },
  { name: 'pct d=3', scheduler: 'pct', pctDepth: 3 },
  { name: 'portfolio', scheduler: 'portfolio' },
  { name: 'dfs', scheduler: 'dfs' },
];

/** The options of `stress --seed S --runs N --variant V --scheduler X`, as the CLI builds them (faults on, default workload window). */
export function campaignOptions(seed: number, variant: VariantName, st: Strategy, runs: number, keepGoing: boolean): StressOptions {
  return {
    seed,
    runs,
    keepGoing,
    workloadEvery: DEFAULT_WORKLOAD_EVERY,
    faults: true,
    profile: 'fixed',
    variants: [variant],
    maxSteps: DEFAULT_MAX_STEPS,
    atomicity: true,
    scheduler: st.scheduler,
    ...(st.pctDepth !== undefined ? { pctDepth: st.pctDepth } : {}),
  };
}

/** One (variant, strategy) cell over the given seeds: first detection per seed, via the stress campaign itself. */
async function cell(variant: VariantName, st: Strategy, seeds: number[]): Promise<DetectionRow> {
  const per: SeedOutcome[] = [];
  let kindAsSpecified = 0;
  let dfsWorkloads = 0;
  let dfsComplete = 0;
  for (const seed of seeds) {
    const t0 = performance.now();
    const r = await stress(campaignOptions(seed, variant, st, DETECTION_BUDGET, false));
    const f = r.found[0];
    per.push({ found: f ? f.index + 1 : null, schedules: r.runs, seconds: (performance.now() - t0) / 1000 });
    if (f && expectedDetection(variant, f.violation)) kindAsSpecified++;
    if (r.dfs) {
      dfsWorkloads += r.dfs.workloads;
      dfsComplete += r.dfs.complete;
    }
  }
  return {
    variant,
    strategy: st.name,
    ...detectionStats(per),
    kindAsSpecified,
    ...(st.scheduler === 'dfs' ? { dfsWorkloads, dfsComplete } : {}),
  };
}

export function zoo(v: VariantName): string {
  return VARIANTS[v].zoo;
}

/** The cells the detection and side-by-side tables share: detected, kind ok, median and worst schedules, median and worst seconds. */
export function detectionCells(r: DetectionRow): Array<string | null> {
  const secs = (x: number | null) => (x === null ? null : x.toFixed(3));
  return [
    `${r.detected}/${r.seeds}`,
    `${r.kindAsSpecified}/${r.detected}`,
    r.medianSchedules === null ? null : int(r.medianSchedules),
    r.worstSchedules === null ? null : int(r.worstSchedules),
    secs(r.medianSeconds),
    secs(r.worstSeconds),
  ];
}


/**
 * Schedules to first detection over `seeds` for each variant and strategy; `dfsFor` lists the
 * variants the dfs strategy runs on (quick mode runs it on a few: it is the slowest).
 */
export async function detectionTable(variants: readonly VariantName[], seeds: number[], dfsFor: readonly VariantName[]): Promise<DetectionRow[]> {
  const rows: DetectionRow[] = [];
  for (const variant of variants) {
    for (const st of STRATEGIES) if (st.scheduler !== 'dfs' || dfsFor.includes(variant)) rows.push(await cell(variant, st, seeds));
  }
  const dfsNote =
    dfsFor.length === variants.length
      ? 'every variant'
      : `${dfsFor.map((v) => `${v} (${zoo(v)})`).join(', ')} only in quick mode (npm run bench -- --full runs it on all ${variants.length})`;
  console.log('');
  console.log(
    `Bug finding: schedules to first detection, ${seeds.length} seeds (${seeds[0]}-${seeds[seeds.length - 1]}) per cell, budget ${int(DETECTION_BUDGET)} schedules; ` +
      `strategies random, pct d=2, pct d=3 (the default), portfolio, and dfs on ${dfsNote}.`,
  );
  console.log(`configuration: ${DETECTION_CONFIG}.`);
  console.log(`"kind ok": detections whose violation kind is one the spec names for the variant. "dfs covered": generated workloads whose whole DPOR tree fit the ${DEFAULT_DFS_BUDGET}-execution budget, of those explored.`);
  console.log('');
  table(
    ['variant', 'strategy', 'detected', 'kind ok', 'median schedules', 'worst schedules', 'median s', 'worst s', 'dfs covered'],
    'llrrrrrrr',
    rows.map((r) => [
      `${r.variant} (${zoo(r.variant)})`,
      r.strategy,
      ...detectionCells(r),
      r.dfsWorkloads === undefined ? null : `${int(r.dfsComplete!)}/${int(r.dfsWorkloads)}`,
    ]),
  );
  const missed = rows.filter((r) => r.detected < r.seeds);
  console.log('');
  console.log(
    missed.length === 0
      ? `Every cell detected its variant on all ${seeds.length} seeds within the budget.`
      : `Cells below ${seeds.length}/${seeds.length}: ${missed.map((r) => `${r.variant}/${r.strategy} ${r.detected}/${r.seeds}`).join(', ')}.`,
  );
  const ranked = STRATEGIES.filter((s) => s.scheduler !== 'dfs').map((s) => {
    const mine = rows.filter((r) => r.strategy === s.name);
    return `${s.name} ${int(mine.reduce((a, r) => a + r.totalSchedules, 0))} schedules / ${mine.reduce((a, r) => a + r.totalSeconds, 0).toFixed(1)} s`;
  });
  console.log(`Total work per strategy over all ${variants.length} variants and seeds (misses count the whole budget): ${ranked.join('; ')}.`);
  return rows;
}
