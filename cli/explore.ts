// `explore FILE`: every interleaving (and fault outcome) of one workload, up to Mazurkiewicz
// equivalence with a reduction; the result says exactly what was covered.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkReduction, explore, type CheckedReduction } from '../runner/explore.js';
import { Runner } from '../runner/run.js';
import { ReplayScheduler } from '../schedulers/replay.js';
import type { Reduction } from '../schedulers/dfs.js';
import type { ProfileName } from '../engine/profiles.js';
import type { VariantName } from '../engine/variants.js';
import type { Workload } from '../workload/types.js';
import { buildDoc, DocError, formatJson, parseDoc, parseWorkload, writeFileAtomic, type DocOptions } from '../runner/doc.js';
import { reportOf, violationText } from '../runner/report.js';
import { writeIndex, writeViolationReports, type NumberedDoc } from '../runner/report/write.js';
import { prepareOut } from './run-folder.js';
import { loadScenarios, ScenarioError, type Scenario } from '../runner/scenario.js';
import { scenarioWorkload } from '../runner/scenario-workload.js';
import { EXIT_OK, EXIT_VIOLATION, UsageError } from './errors.js';

export interface ExploreCliOptions {
  profile: ProfileName;
  variant: VariantName[];
  reduction: Reduction;
  preemptions?: number;
  maxExecutions?: number;
  maxSteps: number;
  keepGoing: boolean;
  out: string;
  /** Compare the reduction's outcomes with the full tree's instead of looking for violations. */
  checkReduction?: boolean;
  /** The scenario to explore when the file is a scenario file holding several. */
  scenario?: string;
}

/** A scenario file rather than a workload or a document: YAML, or a JSON object with steps or scenarios. */
function isScenarioFile(file: string, v: unknown): boolean {
  if (/\.ya?ml$/i.test(file)) return true;
  return v !== null && typeof v === 'object' && !Array.isArray(v) && ('steps' in v || 'scenarios' in v);
}

function readScenario(file: string, wanted: string | undefined): { workload: Workload; note: string } {
  let all: Scenario[];
  try {
    all = loadScenarios(file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`explore: ${e.message}`);
    throw e;
  }
  const names = all.map((s) => s.name);
  let sc: Scenario | undefined;
  if (wanted !== undefined) {
    sc = all.find((s) => s.name === wanted);
    if (!sc) throw new UsageError(`explore: ${file}: no scenario named ${JSON.stringify(wanted)} (it has ${names.map((n) => JSON.stringify(n)).join(', ')})`);
  } else if (all.length === 1) {
    sc = all[0]!;
  } else {
    throw new UsageError(`explore: ${file} holds ${all.length} scenarios: pick one with --scenario NAME (${names.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')}${names.length > 5 ? ', ...' : ''})`);
  }
  const w = scenarioWorkload(sc);
  const parts = [`scenario ${JSON.stringify(sc.name)}: ${w.workload.threads[0]!.length} steps on one thread; failure points explored: ${w.faultPoints.join(', ')}`];
  for (const d of w.dropped) parts.push(`  left out: ${d}`);
  sc.steps.forEach((s, i) => {
    if (s.expect_warn) parts.push(`  note: step ${i} (${s.op}) expects a kernel WARN; explore reports every WARN as a violation`);
  });
  return { workload: w.workload, note: parts.join('\n') };
}

/** A workload JSON file, a violation document (its minimal workload when it has one), or a scenario file. */
function readWorkload(file: string, scenario: string | undefined): { workload: Workload; note: string | null } {
  if (/\.ya?ml$/i.test(file)) return readScenario(file, scenario);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`explore: ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`explore: ${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (isScenarioFile(file, v)) return readScenario(file, scenario);
  if (scenario !== undefined) throw new UsageError(`explore: --scenario applies to scenario files; ${file} is not one`);
  try {
    if (v && typeof v === 'object' && ('schemaVersion' in v || 'traceEvents' in v)) {
      const doc = parseDoc(text);
      return { workload: doc.minimal?.workload ?? doc.workload, note: null };
    }
    return { workload: parseWorkload(v), note: null };
  } catch (e) {
    if (e instanceof DocError) throw new UsageError(`explore: ${file}: ${e.message}`);
    throw e;
  }
}

export async function exploreCommand(file: string, o: ExploreCliOptions): Promise<number> {
  if (o.checkReduction) {
    if (o.reduction === 'none') throw new UsageError('--check-reduction needs a reduction to check (--reduction dpor or sleep-sets)');
    if (o.preemptions !== undefined) throw new UsageError('--check-reduction: --preemptions disables the reduction, there would be nothing to check');
  }
  const { workload: wl, note } = readWorkload(file, o.scenario);
  if (note !== null) process.stdout.write(`${note}\n`);
  if (o.checkReduction) return checkReductionCommand(wl, { ...o, reduction: o.reduction as CheckedReduction });
  // Refused before the exploration, not after it: a bad --out is bad input (exit 2).
  const dir = prepareOut(o.out);
  const r = await explore(wl, {
    profile: o.profile,
    variants: o.variant,
    reduction: o.reduction,
    preemptionBound: o.preemptions,
    maxExecutions: o.maxExecutions,
    maxSteps: o.maxSteps,
    keepGoing: o.keepGoing,
  });
  const options: DocOptions = {
    runs: r.executions,
    threads: wl.threads.length,
    profile: o.profile,
    variants: [...o.variant],
    workloadEvery: 1,
    maxSteps: o.maxSteps,
    faults: wl.faultDen > 0,
    atomicity: true,
    scheduler: 'dfs',
  };
  let n = 0;
  const docs: NumberedDoc[] = [];
  for (const f of r.found) {
    const runner = new Runner({ profile: o.profile, variants: o.variant, maxSteps: o.maxSteps, atomicity: true });
    const rec = await runner.run(wl, new ReplayScheduler(f.decisions), true, true);
    const base = String(++n).padStart(4, '0');
    const path = join(dir, `${base}.json`);
    const doc = buildDoc(
      { index: f.execution - 1, workloadIndex: 0, scheduleSeed: 0, workload: wl, violation: rec.violation ?? f.violation, decisions: f.decisions, enabledSets: rec.enabledSets!, trace: rec.trace, ops: rec.ops },
      0,
      options,
      path,
    );
    writeFileAtomic(path, formatJson(doc));
    writeFileAtomic(join(dir, `${base}.txt`), violationText(reportOf(doc), path));
    await writeViolationReports(dir, doc, base);
    docs.push({ n: base, doc });
    process.stdout.write(`VIOLATION ${f.violation.kind} at ${f.violation.location} (execution ${f.execution}): ${path}\n`);
  }
  // Written even without a violation: an index left by an earlier run would link to removed files.
  writeIndex(o.out, null, docs);
  process.stdout.write(`${r.statement}\n`);
  return r.found.length > 0 ? EXIT_VIOLATION : EXIT_OK;
}

/** `explore FILE --check-reduction`: exit 1 when the reduction misses an outcome of the full tree. */
async function checkReductionCommand(wl: Workload, o: ExploreCliOptions & { reduction: CheckedReduction }): Promise<number> {
  const c = await checkReduction(wl, { profile: o.profile, variants: o.variant, reduction: o.reduction, maxExecutions: o.maxExecutions, maxSteps: o.maxSteps });
  const n = c.full.outcomes!.length;
  const counts = `${c.full.executions} vs ${c.reduced.executions} executions`;
  const out: string[] = [];
  const cut = c.full.complete ? '' : `; the full tree was stopped at the limit of ${o.maxExecutions} executions`;
  if (c.missed.length > 0) {
    out.push(
      `reduction check FAILED: ${c.reduction} misses ${c.missed.length} of the ${n} outcomes the full tree reaches (${counts}${cut}): ` +
        'some step touches shared state it does not report (engine code must call rt.access(resource, write) for what it reads and writes, see engine/resources.ts)',
    );
    for (const m of c.missed) out.push(`  missed: ${m}`);
  }
  if (c.reduced.noClaim !== null) {
    out.push(`reduction check FAILED: ${c.reduction} makes no coverage claim for this workload: ${c.reduced.noClaim}`);
  }
  if (out.length > 0) {
    process.stdout.write(out.join('\n') + '\n');
    return EXIT_VIOLATION;
  }
  if (!c.full.complete) {
    process.stdout.write(
      `reduction check cut short, it proves nothing: the full tree was stopped at the limit of ${o.maxExecutions} executions; ` +
        `${n === 1 ? 'its 1 outcome so far is' : `its ${n} outcomes so far are all`} reached with ${c.reduction} (${counts})\n`,
    );
    return EXIT_OK;
  }
  const v = c.full.found.length;
  out.push(`reduction checked: ${n} outcome${n === 1 ? '' : 's'}, the same with and without ${c.reduction} (${counts})`);
  if (v > 0) out.push(`  the tree has ${v} distinct violation${v === 1 ? '' : 's'}: explore without --check-reduction writes the documents`);
  process.stdout.write(out.join('\n') + '\n');
  return EXIT_OK;
}
