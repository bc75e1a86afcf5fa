// One violation's HTML page, from its document, the replay observation and the derived views.
import { INVARIANTS } from '../../properties/registry.js';
import { TOOL_NAME, toolVersion, type ViolationDoc } from '../doc.js';
import { headline, violationHeader, workloadLines } from '../report.js';
import { code, esc, page, section, table, td } from './html.js';
import type { LockGraph } from './lockgraph.js';
import { locksView } from './locks-view.js';
import { machinesView } from './machines-view.js';
import type { Observation } from './observe.js';
import { stateView } from './state-view.js';
import { subjectOf } from './subject.js';
import { MAX_STEPS_SHOWN, swimlanes } from './swimlanes.js';
import type { Timeline } from './timeline.js';

export interface CompanionFiles {
  json: string;
  text: string;
  trace: string;
  mermaid: string;
  dot: string;
}

function facts(items: Array<[string, string]>): string {
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function violationPage(doc: ViolationDoc, n: string, obs: Observation, t: Timeline, graph: LockGraph, files: CompanionFiles): string {
  const s = subjectOf(doc);
  const v = s.violation;
  const title = `${n} ${violationHeader(v)}`;
  const replayNote = obs.outcome === 'reproduced' ? null : (obs.why ?? obs.outcome);
  const info: Array<[string, string]> = [
    ['failing thread', `${esc(v.threadName)}, step ${v.step}`],
    ['seed / schedule', `${doc.seed} / ${doc.scheduleIndex} (workload ${doc.workloadIndex}, schedule seed ${doc.scheduleSeed})`],
    ['profile', esc(doc.profile)],
    ['variants', esc(doc.variants.join(', ') || 'none')],
    ['fixes applied', esc(doc.fixes.join(', ') || 'none')],
    [
      'run shown',
      s.minimal
        ? `minimal counterexample: ${doc.minimal!.steps} steps, ${doc.minimal!.preemptions} preemption${doc.minimal!.preemptions === 1 ? '' : 's'} (found as ${doc.minimal!.from.steps} steps / ${doc.minimal!.from.preemptions})`
        : `as found: ${s.decisions.length} decisions`,
    ],
    ['document', `${esc(doc.tool.name)} ${esc(doc.tool.version)}; report by ${esc(TOOL_NAME)} ${esc(toolVersion())}`],
    ['replay check', obs.outcome === 'reproduced' ? 'the replay reproduced this trace exactly' : `<b>${esc(obs.outcome)}</b>: ${esc(obs.why ?? '')}`],
  ];
  if (v.invariant) info.splice(1, 0, ['invariant', `${esc(v.invariant)}${INVARIANTS[v.invariant] ? `: ${esc(INVARIANTS[v.invariant]!)}` : ''}`]);

  const replay = [`<span class="cmd" id="replay">${esc(doc.replay)}</span>`];
  replay.push(`<p>the same schedule as one line: ${code(`${doc.replay} --schedule ${s.compact}`)}${s.minimal ? `; the schedule as found: ${code(`${doc.replay} --schedule original`)}` : ''}</p>`);

  const links = [
    `<a href="${esc(files.json)}">document (JSON)</a>`,
    `<a href="${esc(files.text)}">text report</a>`,
    `<a href="${esc(files.trace)}">timeline for Perfetto / chrome://tracing</a>`,
    `<a href="${esc(files.mermaid)}">Mermaid sequence diagram</a>`,
    `<a href="${esc(files.dot)}">lock order (DOT)</a>`,
    `<a href="../index.html">run index</a>`,
  ];
  const lanes = swimlanes(t);
  const cut = lanes.shownFrom > t.firstStep ? `<p class="warn">The last ${MAX_STEPS_SHOWN} steps are drawn (from step ${lanes.shownFrom}); the trace file has them all.</p>` : '';

  const ops = table(
    ['#', 'thread', 'operation', 'result'],
    s.ops.map((o, i) => [td(String(i + 1), 'num'), td(esc(o.thread)), td(esc(o.op), 'mono'), td(esc(o.result), o.result === 'ok' ? '' : o.result === 'skipped' ? 'dim' : 'chg')]),
    'ops',
  );
  const unfinished = t.ops.filter((o) => o.result === null).map((o) => `${t.lanes[o.lane]!.name}: ${o.op}`);
  const trace = table(
    ['step', 'thread', 'event'],
    s.trace.map((e) => [td(String(e.step), 'num'), td(esc(e.name)), td(esc(e.text), 'mono')]),
    'trace',
    (i) => (s.trace[i]!.step === v.step ? 'fail' : ''),
  );

  const body = [
    `<header><h1><span class="kind">${esc(violationHeader(v))}</span></h1>`,
    `<p class="headline">${esc(headline(v.message))}</p>`,
    `<nav class="links">${links.join('')}</nav>`,
    facts(info),
    '</header>',
    section('replay-section', 'Replay', replay.join('\n')),
    section(
      'timeline-section',
      `Timeline: ${t.lanes.length} threads, steps ${t.firstStep}–${t.lastStep}`,
      `<p>Click a step to list its events. Bars: operations (top), lock holds under them; ◆ marks; the red column is the failing step ${v.step}.</p>${cut}${lanes.html}`,
    ),
    section('message-section', 'What the checker said', `<pre>${esc(v.message)}</pre>`),
    section('state-section', `Object states at step ${v.step} and the step before`, stateView(t.events, v.step, obs)),
    section('locks-section', 'Locks', locksView(v, s.trace, graph, files.dot, replayNote)),
    section('machines-section', 'Lifecycle machines (XState)', machinesView(t.events, v)),
    section(
      'ops-section',
      'Operations (in completion order)',
      ops + (unfinished.length ? `<p>Not finished when the run stopped: ${unfinished.map(esc).join('; ')}</p>` : ''),
    ),
    section('workload-section', s.minimal ? 'Workload (minimal)' : 'Workload', `<pre>${esc(workloadLines(s.workload).join('\n'))}</pre>`),
    section('trace-section', `Trace (${s.trace.length} events)`, `<details><summary>show every event</summary>${trace}</details>`),
  ];
  return page(title, body.join('\n'));
}
