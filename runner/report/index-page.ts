// A run's index.html: the summary, machine coverage, operation-outcome coverage and the list of
// violations with links to their pages.
import type { z } from 'zod';
import { shellQuote, type CoverageFigures, type ViolationDoc } from '../doc.js';
import { headline, missingShards, violationHeader } from '../report.js';
import { code, esc, page, section, table, td } from './html.js';
import { mergeOutcomes, opOutcomes, OUTCOMES, OP_NAMES, sortedOutcomes, type OpOutcomes } from './outcomes.js';
import type { stressSummarySchema } from './schema.js';
import { subjectOf } from './subject.js';

/** A stress summary as read back (StressSummary, plus what the schema allows beyond it). */
export type SummaryDoc = z.infer<typeof stressSummarySchema>;

export interface NumberedDoc {
  /** The document's number as in its file name ("0001"). */
  n: string;
  doc: ViolationDoc;
}

function pct(hit: number, total: number): string {
  const p = total > 0 ? Math.round((hit / total) * 100) : 0;
  return `<span class="barbox"><span class="bar" style="width:${p}%"></span></span>${hit}/${total} (${p}%)`;
}

function coverageRows(name: string, c: CoverageFigures): string[][] {
  const missed = (xs: string[]) => (xs.length ? xs.map(esc).join('<br>') : '—');
  return [
    [td(esc(name)), td('states'), td(pct(c.states.hit, c.states.total)), td(missed(c.states.missed), 'mono')],
    [td(''), td('transitions'), td(pct(c.transitions.hit, c.transitions.total)), td(missed(c.transitions.missed), 'mono')],
  ];
}

function outcomesTable(c: OpOutcomes): string {
  const sorted = sortedOutcomes(c);
  const extra = [...new Set(Object.values(sorted).flatMap((r) => Object.keys(r)))].filter((r) => !OUTCOMES.includes(r)).sort();
  const cols = [...OUTCOMES, ...extra];
  const ops = [...OP_NAMES, ...Object.keys(sorted).filter((o) => !(OP_NAMES as readonly string[]).includes(o))];
  const rows = ops.map((op) => {
    const row = sorted[op] ?? {};
    const reached = Object.keys(row).length;
    return [td(esc(op), 'mono'), ...cols.map((r) => (row[r] ? td(String(row[r]), 'num taken') : td('', 'dim'))), td(String(reached), 'num')];
  });
  const pairs = Object.values(sorted).reduce((n, r) => n + Object.keys(r).length, 0);
  return `<p>${pairs} (operation, outcome) pairs reached by ${Object.keys(sorted).length} of ${OP_NAMES.length} operations.</p>${table(['operation', ...cols.map(esc), 'outcomes'], rows, 'outcomes')}`;
}

function violationsTable(docs: readonly NumberedDoc[]): string {
  if (docs.length === 0) return '<p>No violation.</p>';
  const rows = docs.map(({ n, doc }) => {
    const v = subjectOf(doc).violation;
    const links = [
      `<a href="violations/${esc(n)}.html">report</a>`,
      `<a href="violations/${esc(n)}.json">json</a>`,
      `<a href="violations/${esc(n)}.trace.json">timeline</a>`,
      `<a href="violations/${esc(n)}.mmd">mmd</a>`,
      `<a href="violations/${esc(n)}.dot">dot</a>`,
    ];
    return [
      td(`<a href="violations/${esc(n)}.html">${esc(n)}</a>`, 'mono'),
      td(esc(violationHeader(v).replace(/^VIOLATION /, '')), 'mono'),
      td(`${esc(v.threadName)} @${v.step}`),
      td(String(doc.scheduleIndex), 'num'),
      td(esc(headline(v.message))),
      td(links.join(' ')),
    ];
  });
  return table(['#', 'violation', 'thread @ step', 'schedule', 'what', 'files'], rows, 'violations');
}

/** A merge of some of the shards covers only their share of the requested schedules. */
function missingNote(merged: NonNullable<SummaryDoc['merged']>): string {
  const missing = missingShards(merged);
  return missing.length ? ` (partial: shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} missing)` : '';
}

function summaryFacts(s: SummaryDoc): string {
  const b = s.strategy.pctBound;
  const items: Array<[string, string]> = [
    ['schedules', `${s.runsDone.toLocaleString('en-US')} of ${s.runsRequested.toLocaleString('en-US')} (stopped: ${esc(s.stoppedBy)}${s.interrupted ? `, interrupted${s.signal ? ` by ${s.signal}` : ''}` : ''})`],
    ['steps', `${s.steps.toLocaleString('en-US')} in ${s.elapsedSeconds} s (${s.schedulesPerSecond} schedules/s, ${s.stepsPerSecond} steps/s, ${s.workers} worker${s.workers === 1 ? '' : 's'})`],
    ...(s.shard ? [['part', `shard ${s.shard.index} of ${s.shard.count}`] as [string, string]] : []),
    ...(s.merged ? [['part', `merge of shards ${s.merged.shards.join(', ')} of ${s.merged.count}${missingNote(s.merged)}`] as [string, string]] : []),
    ['scheduler', `${esc(s.strategy.name)}${b ? `; PCT per-run bound 1/(n·k^(d-1)) = ${b.bound.toExponential(2)} (n=${b.n} threads, k=${b.k} steps: the longest run, d=${b.d})` : ''}`],
    [
      'options',
      esc(
        `threads ${s.options.threads ?? '2-4'}, workload every ${s.options.workloadEvery}, max steps ${s.options.maxSteps}, faults ${s.options.faults ? 'on' : 'off'}` +
          `${s.options.keepGoing ? ', keep going' : ''}${s.options.timeSeconds !== null ? `, time ${s.options.timeSeconds} s` : ''}`,
      ),
    ],
    ['fixes applied', s.fixes.length ? s.fixes.map((f) => `${esc(f.name)} (${esc(f.closes)})`).join(', ') : 'none'],
    ['tool', `${esc(s.tool.name)} ${esc(s.tool.version)}`],
  ];
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** `dir`: the run folder as the command that writes the page was given it, for the rebuild command. */
export function indexPage(summary: SummaryDoc | null, docs: readonly NumberedDoc[], dir: string): string {
  const title = summary
    ? `iommufd-model stress: seed ${summary.seed}, profile ${summary.profile}${summary.variants.length ? `, ${summary.variants.join(', ')}` : ''}`
    : 'iommufd-model violations';
  const body: string[] = [`<header><h1>${esc(title)}</h1>`];
  if (summary) {
    const d = summary.violations.distinct.length;
    body.push(`<p class="headline">${d ? `<b style="color:var(--red)">FAILED</b>: ${d} distinct violation${d === 1 ? '' : 's'}` : '<b>OK</b>: no violation'}</p>`);
    body.push(summaryFacts(summary), '</header>');
    if (summary.replay) body.push(section('replay-section', 'Replay the first violation', `<span class="cmd">${esc(summary.replay)}</span>`));
    const cov = [...coverageRows('device', summary.coverage.device), ...coverageRows('hwpt', summary.coverage.hwpt)];
    body.push(section('coverage-section', 'Coverage of the lifecycle machines', table(['machine', '', 'hit', 'missed'], cov, 'coverage')));
  } else {
    body.push('<p class="warn">No summary.json in this folder (explore writes none): only the violations are listed.</p></header>');
  }
  const fromSummary = summary?.coverage.ops;
  const outcomes = fromSummary ?? docs.reduce((acc, { doc }) => mergeOutcomes(acc, opOutcomes(doc.ops)), {} as OpOutcomes);
  const source = fromSummary
    ? '<p>Counted over every schedule of the run.</p>'
    : `<p class="warn">Without a summary these come from the ${docs.length} violating schedule${docs.length === 1 ? '' : 's'} only (their documents’ operations).</p>`;
  body.push(section('outcomes-section', 'Coverage of the operations’ outcomes', source + outcomesTable(outcomes)));
  if (summary) {
    const kinds = Object.entries(summary.violations.byKind).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const byKind = kinds.length ? `<p>Schedules that ended in a violation, by kind: ${kinds.map(([k, n]) => `${esc(k)} ${n}`).join(', ')}</p>` : '';
    body.push(section('violations-section', 'Violations', byKind + violationsTable(docs)));
  } else body.push(section('violations-section', 'Violations', violationsTable(docs)));
  body.push(`<p>Rebuild this page and the violation reports: ${code(`npm run cli -- report ${shellQuote(dir)}`)}</p>`);
  return page(title, body.join('\n'));
}
