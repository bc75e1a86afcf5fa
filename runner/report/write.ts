// What the stress command (and `report DIR`) calls: render a violation's companions beside its
// NNNN.json, and a run's index.html. Rendering is separate from writing so tests can compare
// two renderings byte for byte; every file is written atomically.
import { join } from 'node:path';
import { formatJson, writeFileAtomic, type ViolationDoc } from '../doc.js';
import { violationHeader } from '../report.js';
import { chromeTrace } from './chrome-trace.js';
import { lockdepDetails } from './details.js';
import { lockGraphDot } from './dot.js';
import { indexPage, type NumberedDoc, type SummaryDoc } from './index-page.js';
import { lockGraph } from './lockgraph.js';
import { sequenceDiagram } from './mermaid.js';
import { observe } from './observe.js';
import { subjectOf } from './subject.js';
import { buildTimeline } from './timeline.js';
import { violationPage, type CompanionFiles } from './violation-page.js';

export type { NumberedDoc, SummaryDoc } from './index-page.js';

/** A violation's document or one of its companions: what a new run removes from violations/. */
export const VIOLATION_FILE = /^\d{4,}\.(json|txt|html|trace\.json|mmd|dot)$/;

/** File names of violation `n`'s report files (all in the folder of its NNNN.json). */
export function companionFiles(n: string): CompanionFiles & { html: string } {
  return { json: `${n}.json`, text: `${n}.txt`, html: `${n}.html`, trace: `${n}.trace.json`, mermaid: `${n}.mmd`, dot: `${n}.dot` };
}

/** File name -> content of violation `n`'s HTML, Chrome trace, Mermaid and DOT files. */
export async function renderViolationReports(doc: ViolationDoc, n: string): Promise<Map<string, string>> {
  const files = companionFiles(n);
  const s = subjectOf(doc);
  const obs = await observe(doc);
  const t = buildTimeline(s.trace, s.violation);
  const chain = lockdepDetails(s.violation)?.chain ?? null;
  const graph = lockGraph(obs.edges, chain, s.trace);
  const title = `${n} ${violationHeader(s.violation)}`;
  return new Map([
    [files.html, violationPage(doc, n, obs, t, graph, files)],
    [files.trace, formatJson(chromeTrace(t, s.violation, files.json))],
    [files.mermaid, sequenceDiagram(t, s.violation, title)],
    [files.dot, lockGraphDot(graph, `lock-class order: ${title}`)],
  ]);
}

/**
 * Write NNNN.html, NNNN.trace.json, NNNN.mmd and NNNN.dot into `dir` (the folder of NNNN.json).
 * Replays the document once (deterministically) for what its text lacks. Returns the paths.
 */
export async function writeViolationReports(dir: string, doc: ViolationDoc, n: string): Promise<string[]> {
  const out: string[] = [];
  for (const [name, text] of await renderViolationReports(doc, n)) {
    const path = join(dir, name);
    writeFileAtomic(path, text);
    out.push(path);
  }
  return out;
}

/** Write `dir`/index.html for a run (`summary` null when the folder has none, as explore's). */
export function writeIndex(dir: string, summary: SummaryDoc | null, docs: readonly NumberedDoc[]): string {
  const path = join(dir, 'index.html');
  writeFileAtomic(path, indexPage(summary, docs, dir));
  return path;
}
