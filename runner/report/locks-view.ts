// Lock-order evidence: a lockdep report's dependency chain and held locks, a deadlock's
// wait-for edges, and the whole lock-class graph of the run with its cycles in red.
import type { TraceEvent } from '../../engine/kernel.js';
import type { Violation } from '../../engine/violation.js';
import { deadlockDetails, lockdepDetails } from './details.js';
import { code, esc, table, td } from './html.js';
import { threadNameAt, type LockGraph } from './lockgraph.js';

function lockdepView(v: Violation, trace: readonly TraceEvent[]): string {
  const r = lockdepDetails(v);
  if (!r) return '';
  const who = threadNameAt(trace, r.thread, r.step, r.acquiring.lock);
  const parts = [
    `<p>${esc(who)} tries to take ${code(r.acquiring.lock)} (class ${code(r.acquiring.cls)}, ${esc(r.acquiring.mode)}) at step ${r.step} while holding:</p>`,
    table(
      ['#', 'lock', 'class', 'mode', 'taken at step'],
      r.held.map((h, i) => [td(String(i), 'num'), td(esc(h.lock), 'mono'), td(esc(h.cls), 'mono'), td(esc(h.mode + (h.trylock ? ', trylock' : ''))), td(String(h.step), 'num')]),
    ),
    `<h3>Dependency chain (${r.kind === 'circular' ? 'the recorded order, then the new dependency that closes the cycle' : 'the class taken again while held'})</h3>`,
  ];
  const boxes: string[] = [];
  r.chain.forEach((e, i) => {
    if (i === 0) boxes.push(`<span class="cls">${esc(e.from)}</span>`);
    const by = threadNameAt(trace, e.thread, e.step, e.acquiredLock);
    boxes.push(`<span class="arrow">${esc(by)} @${e.step}<br>→</span><span class="cls">${esc(e.to)}</span>`);
  });
  parts.push(`<div class="chain">${boxes.join('')}</div>`);
  parts.push(
    table(
      ['#', 'dependency', 'recorded by', 'step', 'held', 'acquiring'],
      r.chain.map((e, i) => [
        td(String(r.chain.length - 1 - i), 'num'),
        td(`${esc(e.from)} → ${esc(e.to)}${i === r.chain.length - 1 ? ' <b>(new)</b>' : ''}`, 'mono'),
        td(esc(threadNameAt(trace, e.thread, e.step, e.acquiredLock))),
        td(String(e.step), 'num'),
        td(esc(e.heldLock), 'mono'),
        td(esc(e.acquiredLock), 'mono'),
      ]),
    ),
  );
  return parts.join('\n');
}

function deadlockView(v: Violation): string {
  const d = deadlockDetails(v);
  if (!d) return '';
  const rows = d.waits.map((w) => [td(esc(w.threadName)), td(esc(w.op || '?'), 'mono'), td(esc(w.waitsFor), 'mono'), td(esc(w.mode)), td(esc(w.holders.join(', ') || 'nobody'))]);
  return `<h3>Wait-for edges</h3>${table(['thread', 'in', 'waits for', 'mode', 'held by thread ids'], rows)}`;
}

function graphView(g: LockGraph, dotFile: string): string {
  if (g.edges.length === 0) return `<p>No lock was taken while another was held (${esc(dotFile)}).</p>`;
  const rows = g.edges.map((e) => [
    td(esc(e.from), 'mono'),
    td(esc(e.to), 'mono'),
    td(esc(e.thread)),
    td(String(e.step), 'num'),
    td(esc(e.heldLock), 'mono'),
    td(esc(e.acquiredLock), 'mono'),
    td(e.reported ? 'reported' : ''),
  ]);
  const html = table(['held class', 'acquired class', 'first by', 'step', 'held lock', 'acquired lock', ''], rows, 'lockgraph', (i) => (g.edges[i]!.cycle ? 'cycle' : ''));
  const cycles = g.cycles.length
    ? `<p><b style="color:var(--red)">Cycle${g.cycles.length > 1 ? 's' : ''}:</b> ${g.cycles.map((c) => esc(c.join(' ⇄ '))).join('; ')}</p>`
    : '<p>The class order has no cycle.</p>';
  return `${cycles}${html}<p>Graphviz: <a href="${esc(dotFile)}">${esc(dotFile)}</a> (<code>dot -Tsvg ${esc(dotFile)}</code>).</p>`;
}

/** `replayNote` says why the graph holds only the reported chain (the replay did not reproduce). */
export function locksView(v: Violation, trace: readonly TraceEvent[], g: LockGraph, dotFile: string, replayNote: string | null): string {
  const parts = [lockdepView(v, trace), deadlockView(v)];
  parts.push('<h3>Lock-class order of the run (lockdep’s graph; red: on a cycle)</h3>');
  if (replayNote) parts.push(`<p class="warn">Only the reported chain: the graph comes from replaying the document, which did not reproduce (${esc(replayNote)}).</p>`);
  parts.push(graphView(g, dotFile));
  return parts.filter(Boolean).join('\n');
}
