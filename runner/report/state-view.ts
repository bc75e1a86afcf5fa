// The kernel's objects after the step before the failing one and when the violation fired:
// refcounts and lifecycles folded from the trace, short-term holds and the structures
// (igroup->hwpt, device lists, hwpt_list, reservations) from the replay observer.
import { esc, table, td } from './html.js';
import { byLabel, foldTrace, type FoldedObject } from './fold.js';
import type { ParsedEvent } from './notes.js';
import type { KernelView, Observation, ObservedObject } from './observe.js';

function cell(before: string, at: string, cls = ''): string[] {
  const changed = before !== at;
  return [td(esc(before), cls), td(esc(at), [cls, changed ? 'chg' : ''].filter(Boolean).join(' '))];
}

/** The current incarnation of each label: the observer lists a reused id's objects in allocation order. */
function current(v: KernelView | null): Map<string, ObservedObject> {
  const m = new Map<string, ObservedObject>();
  for (const o of v?.objects ?? []) m.set(o.label, o);
  return m;
}

function objectsTable(events: readonly ParsedEvent[], failStep: number, obs: Observation): string {
  const b = new Map(foldTrace(events, failStep - 1).objects.map((o) => [o.label, o]));
  const a = new Map(foldTrace(events, failStep).objects.map((o) => [o.label, o]));
  const ob = current(obs.before);
  const oa = current(obs.at);
  const labels = [...new Set([...b.keys(), ...a.keys()])].sort(byLabel);
  const show = (f: FoldedObject | undefined) => (f ? f.life : '—');
  const users = (f: FoldedObject | undefined) => (f ? String(f.users) : '—');
  const st = (f: FoldedObject | undefined, o: ObservedObject | undefined) => (!f ? '—' : o ? String(o.shortterm) : '?');
  const rows = labels.map((l) => {
    const fb = b.get(l);
    const fa = a.get(l);
    const freed = fa?.life === 'freed' ? 'freed' : '';
    return [
      td(esc(l), 'mono'),
      ...cell(show(fb), show(fa), freed),
      ...cell(users(fb), users(fa), 'num'),
      ...cell(st(fb, ob.get(l)), st(fa, oa.get(l)), 'num'),
      td(esc(oa.get(l)?.detail ?? ''), 'mono'),
    ];
  });
  // Short-term holds come from the replay only ("?" when it did not reproduce the document).
  const note = obs.outcome === 'reproduced' ? '' : '<p class="muted">short-term holds are not known (“?”): the replay did not reproduce the document.</p>';
  return (
    table(
      ['object', 'life before', 'life at', 'users before', 'users at', 'short-term before', 'short-term at', 'detail (at)'],
      rows,
      'objects',
    ) + note
  );
}

function igroupsTable(obs: Observation): string {
  const b = new Map((obs.before?.igroups ?? []).map((g) => [g.label, g]));
  const rows = (obs.at?.igroups ?? []).map((g) => {
    const p = b.get(g.label);
    const dev = (x: typeof g | undefined) => (x ? x.devices.join(', ') || '(none)' : '—');
    return [
      td(esc(g.label), `mono${g.freed ? ' freed' : ''}`),
      ...cell(p ? (p.hwpt ?? 'NULL') : '—', g.hwpt ?? 'NULL', 'mono'),
      ...cell(dev(p), dev(g), 'mono'),
      ...cell(p ? String(p.ref) : '—', String(g.ref), 'num'),
      td(g.freed ? 'freed' : ''),
    ];
  });
  return rows.length
    ? table(['igroup', 'hwpt before', 'hwpt at', 'device_list before', 'device_list at', 'kref before', 'kref at', ''], rows, 'igroups')
    : '<p>No igroup was reached.</p>';
}

function ioasTable(obs: Observation): string {
  const b = new Map((obs.before?.ioas ?? []).map((s) => [s.label, s]));
  const list = (xs: string[] | undefined) => (xs === undefined ? '—' : xs.join(', ') || '(empty)');
  const rows = (obs.at?.ioas ?? []).map((s) => {
    const p = b.get(s.label);
    return [
      td(esc(s.label), `mono${s.freed ? ' freed' : ''}`),
      ...cell(list(p?.hwptList), list(s.hwptList), 'mono'),
      ...cell(list(p?.domains), list(s.domains), 'mono'),
      ...cell(list(p?.reserved), list(s.reserved), 'mono'),
    ];
  });
  return rows.length
    ? table(['IOAS', 'hwpt_list before', 'hwpt_list at', 'domains before', 'domains at', 'reservations before', 'reservations at'], rows, 'ioas')
    : '<p>No IOAS was reached.</p>';
}

export function stateView(events: readonly ParsedEvent[], failStep: number, obs: Observation): string {
  const parts = [
    `<p>“before” is the state after step ${failStep - 1}, “at” the state when the violation fired in step ${failStep}; changes are highlighted.</p>`,
    '<h3>Objects (ctx-&gt;objects)</h3>',
    objectsTable(events, failStep, obs),
  ];
  if (obs.outcome === 'reproduced') {
    parts.push('<h3>iommufd_group</h3>', igroupsTable(obs), '<h3>IOAS: hwpt_list, iopt domains and reserved regions</h3>', ioasTable(obs));
  } else {
    parts.push(`<p class="warn">The igroup and IOAS structures come from replaying the document, and the replay did not reproduce it (${esc(obs.why ?? obs.outcome)}).</p>`);
  }
  return parts.join('\n');
}
