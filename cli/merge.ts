// `merge --out OUT DIR...`: the output folders of a sharded campaign as one run folder. Every
// input is read and checked before OUT is touched, so bad input leaves OUT as it was.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DocError, parseDoc, replayCommand, type ViolationDoc } from '../runner/doc.js';
import { MergeError, mergeRuns, type RunFolder } from '../runner/merge-runs.js';
import { summaryText } from '../runner/report.js';
import { colourVerdict, colourWanted } from './colour.js';
import { EXIT_OK, EXIT_VIOLATION, UsageError } from './errors.js';
import { read, readSummary } from './report.js';
import { checkJsonTarget, prepareOut, withViolations, writeSummary, writeViolations } from './run-folder.js';

export interface MergeCliOptions {
  out: string;
  json?: string;
  quiet: boolean;
}

/** A folder's summary and the documents it lists, found by their number (paths in the summary may be another machine's). */
function readFolder(dir: string): RunFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`merge: ${dir}: no such folder`);
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(summaryPath)) throw new UsageError(`merge: ${dir}: no summary.json (not a stress output folder, or its run has not finished)`);
  const summary = readSummary(summaryPath, 'merge');
  const docs: ViolationDoc[] = summary.violations.distinct.map((v) => {
    const path = join(dir, 'violations', `${String(v.n).padStart(4, '0')}.json`);
    let doc: ViolationDoc;
    try {
      doc = parseDoc(read(path, path, 'merge'));
    } catch (e) {
      if (e instanceof DocError) throw new UsageError(`merge: ${path}: ${e.message}`);
      throw e;
    }
    if (doc.scheduleIndex !== v.scheduleIndex || doc.violation.kind !== v.kind || doc.violation.location !== v.location) {
      throw new UsageError(`merge: ${path}: is not the violation ${summaryPath} lists as ${v.n} (schedule ${v.scheduleIndex}, ${v.kind} at ${v.location})`);
    }
    return doc;
  });
  return { dir, summary, docs };
}

export async function mergeCommand(dirs: string[], o: MergeCliOptions): Promise<number> {
  const out = resolve(o.out);
  if (dirs.some((d) => resolve(d) === out)) throw new UsageError(`merge: --out ${o.out} is one of the folders to merge`);
  checkJsonTarget(o.json);
  const folders = dirs.map(readFolder);
  let merged: ReturnType<typeof mergeRuns>;
  try {
    merged = mergeRuns(folders, o.out);
  } catch (e) {
    if (e instanceof MergeError) throw new UsageError(`merge: ${e.message}`);
    throw e;
  }
  const violationsDir = prepareOut(o.out);
  const { distinct, docs } = await writeViolations(
    violationsDir,
    merged.docs.map((d) => (file: string) => ({ ...d, replay: replayCommand(file) })),
  );
  const summary = withViolations(merged.summary, distinct);
  writeSummary(o.out, summary, docs, o.json);
  if (!o.quiet) {
    const human = o.json === '-' ? process.stderr : process.stdout;
    const text = summaryText(summary);
    human.write(colourWanted(human, process.env) ? colourVerdict(text) : text);
  }
  return distinct.length > 0 ? EXIT_VIOLATION : EXIT_OK;
}
