// Exhaustive explorer rows: for each documented workload (docs/workloads/*.json), executed
// executions vs distinct interleavings and distinct outcomes, without reduction, with sleep sets
// and with DPOR; where the full tree is too big for the mode, the preemption-bounded trees too.
//
// Each row is one call of runner/explore.ts's explore() (what `explore FILE` runs) with outcomes
// on, as `explore FILE --check-reduction` does: an outcome is each thread's op results and the
// violation, the same for equivalent interleavings, so a reduction that misses an outcome of the
// full tree skipped a trace it should have run.
import { readdirSync, readFileSync } from 'node:fs';
import type { Reduction } from '../schedulers/dfs.js';
import { DEFAULT_MAX_STEPS } from '../runner/run.js';
import { explore, type Explored } from '../runner/explore.js';
import { parseWorkload } from '../runner/doc.js';
import { int, round, seconds, table } from './util.js';

const DIR = 'docs/workloads';
const REDUCTIONS: readonly Reduction[] = ['none', 'sleep-sets', 'dpor'];
/** Quick mode's cap on the unreduced tree (group-attach has about 420,000 interleavings). */
export const QUICK_CAP = 50_000;
/** Full mode's cap: a safety net, above every documented workload's tree. */
export const FULL_CAP = 5_000_000;
/** Preemption bounds run (without reduction) on a workload whose full tree hit the quick cap. */
export const PREEMPTION_BOUNDS: readonly number[] = [1, 2, 3];

export const EXPLORE_CONFIG =
  `profile fixed, no variant, maxSteps ${int(DEFAULT_MAX_STEPS)}, keepGoing on (no violation expected), tracing on (the op log the outcomes are made of), ` +
  'per-step checks and invariants on (incl. I9/I13 solo checks), 1 worker, strategy: DFS (runner/explore.ts explore())';

export interface ExploreRow {
  workload: string;
  reduction: Reduction;
  preemptionBound: number | null;
  /** The cap on runs, when one was set. */
  maxExecutions: number | null;
  /** Every run started: executions plus redundant ones. */
  runs: number;
  /** Complete, non-redundant executions: interleavings ('none') or Mazurkiewicz trace representatives. */
  executions: number;
  /** Sleep-set-blocked runs (redundant, finished with arbitrary picks). */
  blocked: number;
  /** The tree was covered (false when the cap stopped it). */
  complete: boolean;
  outcomes: number;
  /** Outcomes of the unreduced tree this row did not reach (null for the unreduced row itself). */
  missed: number | null;
  violations: number;
  seconds: number;
  statement: string;
}

/** Redundant runs, as the explorer's statement states them ("plus N redundant sleep-set-blocked runs"). */
function blockedRuns(statement: string): number {
  const m = /plus (\d+) redundant/.exec(statement);
  return m ? Number(m[1]) : 0;
}

async function row(name: string, reduction: Reduction, bound: number | null, cap: number | null, full: Explored | null): Promise<{ row: ExploreRow; explored: Explored }> {
  const wl = parseWorkload(JSON.parse(readFileSync(`${DIR}/${name}.json`, 'utf8')));
  const t0 = performance.now();
  const e = await explore(wl, {
    profile: 'fixed',
    variants: [],
    reduction,
    maxSteps: DEFAULT_MAX_STEPS,
    keepGoing: true,
    outcomes: true,
    ...(bound !== null ? { preemptionBound: bound } : {}),
    ...(cap !== null ? { maxExecutions: cap } : {}),
  });
  const secs = round(seconds(t0));
  const got = new Set(e.outcomes);
  const blocked = blockedRuns(e.statement);
  return {
    explored: e,
    row: {
      workload: name,
      reduction,
      preemptionBound: bound,
      maxExecutions: cap,
      runs: e.executions + blocked,
      executions: e.executions,
      blocked,
      complete: e.complete,
      outcomes: e.outcomes!.length,
      missed: full === null ? null : full.outcomes!.filter((o) => !got.has(o)).length,
      violations: e.found.length,
      seconds: secs,
      statement: e.statement,
    },
  };
}

export async function exploreTable(full: boolean): Promise<ExploreRow[]> {
  const names = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  const cap = full ? FULL_CAP : QUICK_CAP;
  const rows: ExploreRow[] = [];
  for (const w of names) {
    const none = await row(w, 'none', null, cap, null);
    rows.push(none.row);
    for (const red of REDUCTIONS.slice(1)) rows.push((await row(w, red, null, null, none.explored)).row);
    // The full tree is too big for this mode, or (full mode) bigger than quick mode's cap: the bounded trees.
    if (!none.row.complete || none.row.executions > QUICK_CAP) {
      for (const b of PREEMPTION_BOUNDS) rows.push((await row(w, 'none', b, null, none.explored)).row);
    }
  }
  console.log('');
  console.log(
    `Exhaustive explorer on ${DIR}/*.json: executed executions vs distinct interleavings and outcomes. 'none' runs every interleaving ` +
      `(capped at ${int(cap)} runs${full ? '' : '; npm run bench -- --full runs the whole tree'}); 'sleep-sets' and 'dpor' run one execution per Mazurkiewicz trace ` +
      `(sleep sets also start redundant runs that end blocked); 'none, <= k preemptions' rows bound the unreduced tree where it is bigger than ${int(QUICK_CAP)}.`,
  );
  console.log(`configuration: ${EXPLORE_CONFIG}.`);
  console.log('');
  table(
    ['workload', 'exploration', 'executed runs', 'of which redundant', 'executions', 'tree covered', 'distinct outcomes', 'outcomes of the none row missed', 'distinct violations', 'seconds'],
    'llrrrlrrrr',
    rows.map((r) => [
      r.workload,
      r.preemptionBound === null ? r.reduction : `none, <= ${r.preemptionBound} preemption${r.preemptionBound === 1 ? '' : 's'}`,
      int(r.runs),
      int(r.blocked),
      int(r.executions),
      r.complete ? 'yes' : r.maxExecutions !== null ? `no (capped at ${int(r.maxExecutions)})` : 'no',
      r.outcomes,
      r.missed,
      r.violations,
      r.seconds.toFixed(3),
    ]),
  );
  console.log('');
  for (const w of names) {
    const mine = rows.filter((r) => r.workload === w);
    const none = mine[0]!;
    const dpor = mine.find((r) => r.reduction === 'dpor' && r.preemptionBound === null)!;
    const all = none.complete ? `${int(none.executions)} interleavings` : `more than ${int(none.executions)} interleavings (the cap stopped the tree)`;
    const per = none.complete ? ` (${int(none.executions / Math.max(dpor.executions, 1))} interleavings per trace)` : '';
    const missed = mine.filter((r) => r.missed !== null && r.missed > 0 && r.preemptionBound === null);
    const agree =
      missed.length === 0
        ? `; every outcome of the unreduced ${none.complete ? 'tree' : 'runs'} is reached by both reductions`
        : `; MISSED by ${missed.map((r) => `${r.reduction} (${r.missed})`).join(', ')}: an operation under-reports its accesses`;
    console.log(`- ${w}: ${all}, ${int(dpor.executions)} Mazurkiewicz traces${per}${agree}.`);
  }
  return rows;
}
