// The shown run's trace as a Mermaid sequence diagram: each thread calls into iommufd (one
// message per operation and one back with its result), the kernel's notes as notes over the
// thread that made them, the failing step boxed in red and the violation last.
import type { Timeline } from './timeline.js';
import type { Violation } from '../../engine/violation.js';
import { violationHeader } from '../report.js';

/** Diagrams past this many events show only the last ones (a livelock's trace is huge). */
export const MERMAID_MAX_EVENTS = 1500;

const ENTITY: Record<string, string> = { '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;' };

/** Mermaid ends a message at '#' or ';' and sanitises what looks like markup: these become its entity codes. */
export function mermaidText(s: string): string {
  return s.replace(/[#;<>]/g, (c) => ENTITY[c]!);
}

export function sequenceDiagram(t: Timeline, v: Violation, title: string): string {
  const out = ['sequenceDiagram', `  %% ${title.replace(/\n/g, ' ')}`];
  const id = (lane: number) => `P${lane}`;
  for (const l of t.lanes) out.push(`  participant ${id(l.index)} as ${mermaidText(l.name)}`);
  out.push('  participant K as iommufd');
  const from = Math.max(0, t.events.length - MERMAID_MAX_EVENTS);
  if (from > 0) out.push(`  Note over ${id(0)},K: ${from} earlier events left out`);
  let boxed = false;
  for (const e of t.events.slice(from)) {
    const p = id(t.lanes.findIndex((l) => l.name === e.name));
    if (!boxed && e.step === t.failStep) {
      out.push('  rect rgb(255, 225, 225)');
      boxed = true;
    }
    const n = e.note;
    if (n.kind === 'op-start') out.push(`  ${p}->>K: ${mermaidText(n.op)}`);
    else if (n.kind === 'op-end') out.push(`  K-->>${p}: ${mermaidText(`${n.result} (step ${e.step})`)}`);
    else out.push(`  Note over ${p}: ${mermaidText(`${e.step}: ${e.text}`)}`);
  }
  if (!boxed) out.push('  rect rgb(255, 225, 225)');
  out.push(`  Note over ${id(t.failLane)}: ${mermaidText(`step ${v.step}: ${violationHeader(v)}`)}`);
  out.push('  end');
  return out.join('\n') + '\n';
}
