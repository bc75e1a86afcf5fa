// `stress`: a random-schedule campaign; writes DIR/summary.json and one document per distinct violation.
import { join } from 'node:path';
import { FIXES, fixesApplied, type ProfileName } from '../engine/profiles.js';
import type { VariantName } from '../engine/variants.js';
import type { StressStrategyName } from '../runner/stress.js';
import { buildDoc, SCHEMA_VERSION, TOOL_NAME, toolVersion, type DocOptions, type StopReason, type StressSummary } from '../runner/doc.js';
import { summaryText } from '../runner/report.js';
import { Campaign, type CampaignResult } from '../runner/pool.js';
import type { Shard } from '../runner/partition.js';
import { strategyFigures } from '../runner/strategy.js';
import { colourVerdict, colourWanted } from './colour.js';
import { EXIT_OK, EXIT_VIOLATION } from './errors.js';
import { ProgressBar, progressWanted } from './progress.js';
import { checkJsonTarget, prepareOut, withViolations, writeSummary, writeViolations } from './run-folder.js';
import { SIGNAL_EXIT, StopSignals, type StopSignal } from './signals.js';

/**
 * Default --runs: schedules, so that `npm start` (no flags) takes about a minute on a 2-core
 * machine (measured 25 s for 450,000 schedules with --keep-going, seed 1, profile fixed:
 * ~18,000 schedules/s on two workers, ~9,900 on one).
 */
export const DEFAULT_RUNS = 1_000_000;
export const DEFAULT_SEED = 1;
export const DEFAULT_OUT = 'out';

export interface StressCliOptions {
  seed: number;
  runs: number;
  threads?: number;
  profile: ProfileName;
  variant: VariantName[];
  out: string;
  json?: string;
  keepGoing: boolean;
  maxSteps: number;
  workloadEvery: number;
  faults: boolean;
  /** Shrink every violation to a minimal workload and schedule (default on). */
  minimise: boolean;
  scheduler: StressStrategyName;
  pctDepth: number;
  /** dfs: executions per workload at most. */
  dfsBudget: number;
  time?: number;
  /** Worker threads. */
  workers: number;
  /** --shard K/N, or null for the whole campaign. */
  shard: Shard | null;
  /** Nothing on stdout or stderr but errors (and --json -). */
  quiet: boolean;
}

/** The campaign on the worker pool, with the progress bar and the stop signals while it runs. */
async function runCampaign(o: StressCliOptions, campaign: Campaign): Promise<CampaignResult> {
  const bar = progressWanted(process.stderr, process.env, o.quiet) ? new ProgressBar(campaign.total, o.time ?? null) : null;
  const ticker = bar ? setInterval(() => bar.update(campaign.done, campaign.violations), 250) : undefined;
  try {
    return await campaign.run();
  } finally {
    if (ticker) clearInterval(ticker);
    bar?.stop();
  }
}

function summaryOf(o: StressCliOptions, docOptions: DocOptions, r: CampaignResult, signal: StopSignal | null): StressSummary {
  const secs = r.elapsedMs / 1000;
  const rate = (n: number) => (secs > 0 ? Math.round((n / secs) * 10) / 10 : 0);
  const stoppedBy: StopReason =
    r.stopReason === 'interrupt' ? 'interrupt' : r.stopReason === 'time' ? 'time' : r.found.length > 0 && !o.keepGoing ? 'violation' : 'runs';
  const applied = new Set(fixesApplied(o.profile));
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: toolVersion() },
    seed: o.seed,
    runsDone: r.runs,
    runsRequested: o.runs,
    steps: r.steps,
    elapsedSeconds: Math.round(secs * 1000) / 1000,
    stepsPerSecond: rate(r.steps),
    schedulesPerSecond: rate(r.runs),
    workers: o.workers,
    profile: o.profile,
    variants: [...o.variant],
    fixes: FIXES.filter((f) => applied.has(f.name)).map((f) => ({ name: f.name, closes: f.closes, summary: f.summary })),
    options: { ...docOptions, keepGoing: o.keepGoing, timeSeconds: o.time ?? null },
    violations: { byKind: r.byKind, distinct: [] },
    coverage: r.coverage,
    strategy: strategyFigures(o.scheduler, o.threads, o.pctDepth, r.longestRun, r.dfs),
    ...(r.dfs ? { dfs: r.dfs } : {}),
    interrupted: stoppedBy === 'interrupt',
    stoppedBy,
    signal: stoppedBy === 'interrupt' ? signal : null,
    shard: o.shard,
    merged: null,
    outDir: o.out,
    replay: null,
  };
}

export async function stressCommand(o: StressCliOptions): Promise<number> {
  checkJsonTarget(o.json);
  const violationsDir = prepareOut(o.out);
  const docOptions: DocOptions = {
    runs: o.runs,
    threads: o.threads ?? null,
    profile: o.profile,
    variants: [...o.variant],
    workloadEvery: o.workloadEvery,
    maxSteps: o.maxSteps,
    faults: o.faults,
    atomicity: true,
    scheduler: o.scheduler,
    // dfs has no windows: a workload gets up to the budget, fewer when its tree is covered first.
    ...(o.scheduler === 'dfs' ? { workloadEvery: o.dfsBudget, dfsBudget: o.dfsBudget } : { pctDepth: o.pctDepth }),
  };
  const campaign = new Campaign({
    stress: {
      seed: o.seed,
      runs: o.runs,
      threads: o.threads,
      keepGoing: o.keepGoing,
      workloadEvery: o.workloadEvery,
      faults: o.faults,
      minimise: o.minimise,
      scheduler: o.scheduler,
      pctDepth: o.pctDepth,
      dfsBudget: o.dfsBudget,
      profile: o.profile,
      variants: o.variant,
      maxSteps: o.maxSteps,
      atomicity: true,
    },
    workers: o.workers,
    shard: o.shard,
    timeMs: o.time === undefined ? null : o.time * 1000,
  });
  // Kept until everything is written: a second signal while writing still aborts at once.
  const signals = new StopSignals(() => campaign.stop('interrupt'), o.quiet);
  try {
    const r = await runCampaign(o, campaign);
    const { distinct, docs } = await writeViolations(
      violationsDir,
      r.found.map((f) => (file: string) => buildDoc(f, o.seed, docOptions, file)),
    );
    const summary = withViolations(summaryOf(o, docOptions, r, signals.signal), distinct);
    writeSummary(o.out, summary, docs, o.json);
    if (!o.quiet) {
      const human = o.json === '-' ? process.stderr : process.stdout;
      const text = summaryText(summary);
      human.write(colourWanted(human, process.env) ? colourVerdict(text) : text);
    }
    if (summary.signal !== null) {
      if (!o.quiet) process.stderr.write(`${summary.signal}: wrote ${join(o.out, 'summary.json')} and ${distinct.length} violation document${distinct.length === 1 ? '' : 's'} in ${violationsDir}\n`);
      return SIGNAL_EXIT[summary.signal];
    }
    return r.found.length > 0 ? EXIT_VIOLATION : EXIT_OK;
  } finally {
    signals.dispose();
  }
}
