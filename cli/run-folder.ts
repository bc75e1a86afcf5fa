// A run folder as stress and merge write it: DIR/violations/NNNN.json (the replayable document),
// NNNN.txt and the reports beside it, numbered in schedule order, then DIR/summary.json and
// DIR/index.html. Every file is written atomically, the summary after the documents it lists.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatJson, replayCommand, writeFileAtomic, type StressSummary, type SummaryViolation, type ViolationDoc } from '../runner/doc.js';
import { reportOf, violationText } from '../runner/report.js';
import { VIOLATION_FILE, writeIndex, writeViolationReports, type NumberedDoc } from '../runner/report/write.js';
import { UsageError } from './errors.js';

/** `--json FILE`: refused before the run when FILE's folder does not exist or FILE is a folder. */
export function checkJsonTarget(json: string | undefined): void {
  if (json === undefined || json === '-') return;
  const parent = dirname(resolve(json));
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new UsageError(`--json ${json}: no directory ${parent}`);
  if (existsSync(json) && statSync(json).isDirectory()) throw new UsageError(`--json ${json}: is a directory`);
}

/** Create DIR/violations and remove the documents, reports and summary of an earlier run. */
export function prepareOut(out: string): string {
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

/**
 * Write each document (made for its path, which its replay command names) as NNNN.json with its
 * text and reports, numbered from 0001 in the given order.
 */
export async function writeViolations(violationsDir: string, docFor: ReadonlyArray<(file: string) => ViolationDoc>): Promise<{ distinct: SummaryViolation[]; docs: NumberedDoc[] }> {
  const distinct: SummaryViolation[] = [];
  const docs: NumberedDoc[] = [];
  for (const [i, make] of docFor.entries()) {
    const n = i + 1;
    const base = String(n).padStart(4, '0');
    const file = join(violationsDir, `${base}.json`);
    const text = join(violationsDir, `${base}.txt`);
    const doc = make(file);
    writeFileAtomic(file, formatJson(doc));
    writeFileAtomic(text, violationText(reportOf(doc), file));
    await writeViolationReports(violationsDir, doc, base);
    docs.push({ n: base, doc });
    const v = doc.violation;
    distinct.push({
      n,
      file,
      text,
      kind: v.kind,
      invariant: v.invariant ?? null,
      location: v.location,
      message: v.message,
      scheduleIndex: doc.scheduleIndex,
      workloadIndex: doc.workloadIndex,
      thread: v.threadName,
      step: v.step,
    });
  }
  return { distinct, docs };
}

/** The summary with its violations' entries and replay command filled in. */
export function withViolations(summary: StressSummary, distinct: SummaryViolation[]): StressSummary {
  return { ...summary, violations: { ...summary.violations, distinct }, replay: distinct.length ? replayCommand(distinct[0]!.file) : null };
}

/** Write DIR/summary.json, DIR/index.html and `--json FILE|-`; returns the JSON. */
export function writeSummary(out: string, summary: StressSummary, docs: readonly NumberedDoc[], json: string | undefined): string {
  const text = formatJson(summary);
  writeFileAtomic(join(out, 'summary.json'), text);
  writeIndex(out, summary, docs);
  if (json === '-') process.stdout.write(text);
  else if (json !== undefined) {
    try {
      writeFileAtomic(json, text);
    } catch (e) {
      throw new UsageError(`--json ${json}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  return text;
}
