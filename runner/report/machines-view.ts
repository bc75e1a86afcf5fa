// The XState lifecycle machines: each instance's state before and at the failing step, and each
// machine's transition table with the transitions this run took and, for a `model` violation,
// the one the machine refused.
import type { Violation } from '../../engine/violation.js';
import { DEVICE, HWPT, type CompiledMachine } from '../../models/index.js';
import { esc, table, td } from './html.js';
import { foldTrace, transitionsTaken } from './fold.js';
import type { ParsedEvent } from './notes.js';

function instances(events: readonly ParsedEvent[], failStep: number): string {
  const b = new Map(foldTrace(events, failStep - 1).machines.map((m) => [`${m.machine} ${m.instance}`, m.state]));
  const rows = foldTrace(events, failStep).machines.map((m) => {
    const before = b.get(`${m.machine} ${m.instance}`) ?? '—';
    return [td(esc(m.machine)), td(esc(m.instance), 'mono'), td(esc(before)), td(esc(m.state), before !== m.state ? 'chg' : '')];
  });
  return rows.length ? table(['machine', 'instance', 'before', 'at'], rows, 'machines') : '<p>No machine instance moved.</p>';
}

function transitionTable(m: CompiledMachine, taken: ReadonlySet<string>, refused: { state: string; event: string } | null): string {
  const E = m.events.length;
  const rows: string[][] = [];
  m.states.forEach((s, si) => {
    if (!m.reachable[si]) return;
    const cells = m.events.map((ev, ei) => {
      const to = m.table[si * E + ei]!;
      if (refused && refused.state === s && refused.event === ev) return td('refused', 'refused');
      if (to < 0) return td('·', 'dim');
      const target = m.states[to]!;
      return td(esc(target), taken.has(`${s} --${ev}--> ${target}`) ? 'taken' : '');
    });
    rows.push([td(esc(s) + (m.final[si] ? ' (final)' : ''), 'mono'), ...cells]);
  });
  return table(['state \\ event', ...m.events.map(esc)], rows, 'transitions');
}

export function machinesView(events: readonly ParsedEvent[], v: Violation): string {
  const taken = transitionsTaken(events, v.step);
  let refused: { machine: string; state: string; event: string } | null = null;
  if (v.kind === 'model') {
    const [machine, state, event] = v.location.split(':');
    if (machine && state && event) refused = { machine, state, event };
  }
  const parts = ['<h3>Instances</h3>', instances(events, v.step)];
  for (const m of [DEVICE, HWPT]) {
    parts.push(
      `<h3>${esc(m.id)} machine: transitions (green: taken in this run${refused?.machine === m.id ? ', red: refused' : ''})</h3>`,
      transitionTable(m, taken.get(m.id) ?? new Set(), refused?.machine === m.id ? refused : null),
    );
  }
  return parts.join('\n');
}
