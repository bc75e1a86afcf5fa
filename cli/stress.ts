// `stress`: a random-schedule campaign; writes DIR/summary.json and one document per distinct violation.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FIXES, fixesApplied, type ProfileName } from '../engine/profiles.js';
import type { VariantName } from '../engine/variants.js';
import type { DfsCoverage, StressStrategyName } from '../runner/stress.js';
import {
  buildDoc,
  formatJson,
  replayCommand,
  SCHEMA_VERSION,
  TOOL_NAME,
  toolVersion,
  writeFileAtomic,
  type DocOptions,
  type StopReason,
  type StressSummary,
  type SummaryViolation,
} from '../runner/doc.js';
import { reportOf, summaryText, violationText } from '../runner/report.js';
import { VIOLATION_FILE, writeIndex, writeViolationReports, type NumberedDoc } from '../runner/report/write.js';
import { EXIT_OK, EXIT_VIOLATION, InternalError, UsageError } from './errors.js';
import type { WorkerFailure, WorkerInput, WorkerResult } from './stress-worker.js';

/**
 * Default --runs: schedules, so that `npm start` (no flags) takes about a minute on a 2-core
 * machine (measured 60 s at ~7,500 schedules/s with --keep-going, seed 1, profile fixed).
 */
export const DEFAULT_RUNS = 450_000;
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
}

/** Create DIR/violations and remove the documents, reports and summary of an earlier run. */
function prepareOut(out: string): string {
  const dir = join(out, 'violations');
  try {
    mkdirSync(dir, { recursive: true });
    rmSync(join(out, 'summary.json'), { force: true });
    rmSync(join(out, 'index.html'), { force: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    for (const f of readdirSync(dir)) if (VIOLATION_FILE.test(f)) unlinkSync(join(dir, f));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new UsageError(`--out ${out}: cannot use ${dir} (${why})`);
  }
  return dir;
}

function runWorker(input: WorkerInput): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./stress-worker.js', import.meta.url), { workerData: input });
    let settled = false;
    w.once('message', (m: WorkerResult | WorkerFailure) => {
      settled = true;
      void w.terminate();
      if (m.type === 'done') resolve(m);
      else reject(new InternalError(m.message, m.stack));
    });
    w.once('error', (e) => {
      settled = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!settled) reject(new InternalError(`the stress worker exited with code ${code} before reporting`));
    });
  });
}

/** PCT's guarantee (Burckhardt et al., ASPLOS 2010): a depth-d bug is hit with probability >= 1/(n*k^(d-1)) per run. */
function strategyFigures(o: StressCliOptions, avgSteps: number, dfs: DfsCoverage | null): StressSummary['strategy'] {
  if (o.scheduler === 'random') return { name: 'random', pctDepth: null, pctBound: null };
  if (o.scheduler === 'dfs') return { name: dfsText(dfs!), pctDepth: null, pctBound: null };
  const n = o.threads ?? 4;
  const k = Math.max(1, Math.round(avgSteps));
  const d = o.pctDepth;
  return { name: o.scheduler === 'pct' ? `pct(d=${d})` : 'portfolio (random, pct d=2, 3, 4)', pctDepth: d, pctBound: { n, k, d, bound: 1 / (n * k ** (d - 1)) } };
}

/** The dfs claim, per workload: a tree covered whole is every Mazurkiewicz trace of that workload. */
function dfsText(c: DfsCoverage): string {
  const parts = [`${c.complete} covered completely (every Mazurkiewicz trace and fault outcome)`, `${c.cut} cut at the budget`];
  if (c.stopped > 0) parts.push(`${c.stopped} stopped by the end of the campaign`);
  if (c.noClaim > 0) parts.push(`${c.noClaim} with no claim (blocking-wait contract broken, see schedulers/dfs.ts)`);
  const w = `${c.workloads} workload${c.workloads === 1 ? '' : 's'}`;
  return `dfs (dpor, budget ${c.budget} executions per workload); ${w}: ${parts.join(', ')}`;
}

export async function stressCommand(o: StressCliOptions): Promise<number> {
  if (o.json !== undefined && o.json !== '-') {
    const parent = dirname(resolve(o.json));
    if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new UsageError(`--json ${o.json}: no directory ${parent}`);
  }
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
  const stopFlag = new SharedArrayBuffer(4);
  const progressBuf = new SharedArrayBuffer(16);
  const stop = new Int32Array(stopFlag);
  const progress = new Float64Array(progressBuf);

  // Ctrl-C: the first one stops the campaign at the next tick (results are still written),
  // a second one aborts at once. Under `npm start` one Ctrl-C arrives twice (from the terminal
  // and forwarded by npm), so a repeat within a second counts as the same one.
  let firstSigint = 0;
  const onSigint = () => {
    const now = Date.now();
    if (firstSigint === 0) {
      firstSigint = now;
      Atomics.store(stop, 0, 1);
      process.stderr.write('\ninterrupted: stopping after the current batch and writing results (Ctrl-C again to abort)\n');
    } else if (now - firstSigint >= 1000) {
      process.stderr.write('aborted\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  const humanOut = o.json === '-' ? process.stderr : process.stdout;
  let ticker: NodeJS.Timeout | undefined;
  if (process.stderr.isTTY) {
    ticker = setInterval(() => {
      process.stderr.write(`\r  ${Math.round(progress[0]!).toLocaleString('en-US')}/${o.runs.toLocaleString('en-US')} schedules, ${progress[1]} violations`);
    }, 1000);
  }

  let r: WorkerResult;
  try {
    r = await runWorker({
      opts: {
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
      timeMs: o.time === undefined ? null : o.time * 1000,
      stop: stopFlag,
      progress: progressBuf,
    });
  } finally {
    if (ticker) {
      clearInterval(ticker);
      process.stderr.write('\r\x1b[K');
    }
    process.off('SIGINT', onSigint);
  }

  const distinct: SummaryViolation[] = [];
  const docs: NumberedDoc[] = [];
  for (const [i, f] of r.found.entries()) {
    const n = i + 1;
    const base = String(n).padStart(4, '0');
    const file = join(violationsDir, `${base}.json`);
    const text = join(violationsDir, `${base}.txt`);
    const doc = buildDoc(f, o.seed, docOptions, file);
    writeFileAtomic(file, formatJson(doc));
    writeFileAtomic(text, violationText(reportOf(doc), file));
    await writeViolationReports(violationsDir, doc, base);
    docs.push({ n: base, doc });
    const v = f.violation;
    distinct.push({
      n,
      file,
      text,
      kind: v.kind,
      invariant: v.invariant ?? null,
      location: v.location,
      message: v.message,
      scheduleIndex: f.index,
      workloadIndex: f.workloadIndex,
      thread: v.threadName,
      step: v.step,
    });
  }

  const secs = r.elapsedMs / 1000;
  const rate = (n: number) => (secs > 0 ? Math.round((n / secs) * 10) / 10 : 0);
  const stoppedBy: StopReason =
    r.stopReason === 'interrupt' ? 'interrupt' : r.stopReason === 'time' ? 'time' : r.found.length > 0 && !o.keepGoing ? 'violation' : 'runs';
  const applied = new Set(fixesApplied(o.profile));
  const summary: StressSummary = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: toolVersion() },
    seed: o.seed,
    runsDone: r.runs,
    runsRequested: o.runs,
    steps: r.steps,
    elapsedSeconds: Math.round(secs * 1000) / 1000,
    stepsPerSecond: rate(r.steps),
    schedulesPerSecond: rate(r.runs),
    profile: o.profile,
    variants: [...o.variant],
    fixes: FIXES.filter((f) => applied.has(f.name)).map((f) => ({ name: f.name, closes: f.closes, summary: f.summary })),
    options: { ...docOptions, keepGoing: o.keepGoing, timeSeconds: o.time ?? null },
    violations: { byKind: r.byKind, distinct },
    coverage: r.coverage,
    strategy: strategyFigures(o, r.runs > 0 ? r.steps / r.runs : 0, r.dfs),
    ...(r.dfs ? { dfs: r.dfs } : {}),
    interrupted: stoppedBy === 'interrupt',
    stoppedBy,
    outDir: o.out,
    replay: distinct.length ? replayCommand(distinct[0]!.file) : null,
  };
  const json = formatJson(summary);
  writeFileAtomic(join(o.out, 'summary.json'), json);
  writeIndex(o.out, summary, docs);
  if (o.json === '-') process.stdout.write(json);
  else if (o.json !== undefined) {
    try {
      writeFileAtomic(o.json, json);
    } catch (e) {
      throw new UsageError(`--json ${o.json}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  humanOut.write(summaryText(summary));
  return r.found.length > 0 ? EXIT_VIOLATION : EXIT_OK;
}
