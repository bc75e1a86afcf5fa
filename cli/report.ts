// `report DIR`: rebuild a run's HTML and companion files from DIR/summary.json and
// DIR/violations/NNNN.json, as the stress command writes them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DocError, parseDoc } from '../runner/doc.js';
import { stressSummarySchema } from '../runner/report/schema.js';
import { writeIndex, writeViolationReports, type NumberedDoc, type SummaryDoc } from '../runner/report/write.js';
import { EXIT_OK, UsageError } from './errors.js';

/** The replayable documents only: NNNN.trace.json and the others beside them are outputs. */
const DOC_FILE = /^(\d{4,})\.json$/;

/** A file's text; a UsageError naming `command` and `what` when it cannot be read (report and merge). */
export function read(path: string, what: string, command = 'report'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${command}: ${what}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

export function readSummary(path: string, command = 'report'): SummaryDoc {
  let v: unknown;
  try {
    v = JSON.parse(read(path, path, command));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${command}: ${path}: is not valid JSON (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  const r = stressSummarySchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UsageError(`${command}: ${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return r.data;
}

export function readViolationDocs(dir: string): NumberedDoc[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir)
    .filter((f) => DOC_FILE.test(f))
    .sort((a, b) => Number(DOC_FILE.exec(a)![1]) - Number(DOC_FILE.exec(b)![1]) || (a < b ? -1 : 1));
  return names.map((f) => {
    const path = join(dir, f);
    try {
      return { n: DOC_FILE.exec(f)![1]!, doc: parseDoc(read(path, path)) };
    } catch (e) {
      if (e instanceof DocError) throw new UsageError(`report: ${path}: ${e.message}`);
      throw e;
    }
  });
}

export async function reportCommand(dir: string): Promise<number> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`report: ${dir}: no such directory`);
  const summaryPath = join(dir, 'summary.json');
  const violations = join(dir, 'violations');
  const summary = existsSync(summaryPath) ? readSummary(summaryPath) : null;
  // Read and check everything before writing anything: bad input leaves the folder as it was.
  const docs = readViolationDocs(violations);
  if (!summary && docs.length === 0) throw new UsageError(`report: ${dir}: no summary.json and no violations/NNNN.json`);
  for (const { n, doc } of docs) await writeViolationReports(violations, doc, n);
  const index = writeIndex(dir, summary, docs);
  process.stdout.write(`${index}: ${docs.length} violation report${docs.length === 1 ? '' : 's'}${docs.length ? ` in ${violations}` : ''}\n`);
  return EXIT_OK;
}
