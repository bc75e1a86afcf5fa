// The lock-class order graph as Graphviz DOT: an edge A -> B means some thread acquired a lock of
// class B while holding one of class A; edges on a cycle (a possible deadlock) are red.
import type { LockGraph } from './lockgraph.js';

function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function lockGraphDot(g: LockGraph, title: string): string {
  const inCycle = new Set(g.cycles.flat());
  const lines = [
    'digraph lock_order {',
    `  label=${q(title)};`,
    '  labelloc=t;',
    '  rankdir=LR;',
    '  node [shape=box, fontname="monospace", fontsize=10];',
    '  edge [fontname="monospace", fontsize=9];',
  ];
  if (g.classes.length === 0) lines.push(`  empty [shape=plaintext, label="no lock was taken while holding another"];`);
  for (const c of g.classes) lines.push(`  ${q(c)}${inCycle.has(c) ? ' [color=red, fontcolor=red]' : ''};`);
  for (const e of g.edges) {
    const label = `${e.thread} @${e.step}${e.reported ? ' (reported)' : ''}`;
    const attrs = [`label=${q(label)}`, `tooltip=${q(`held ${e.heldLock}, acquiring ${e.acquiredLock}`)}`];
    if (e.cycle) attrs.push('color=red', 'fontcolor=red', 'penwidth=2');
    if (e.reported) attrs.push('style=bold');
    lines.push(`  ${q(e.from)} -> ${q(e.to)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
