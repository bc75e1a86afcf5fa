// The lock-class order a run established: lockdep's recorded edges (from the replay) plus the
// reported chain (a recursive report's self-edge is never recorded as an edge), with every edge
// that lies on a cycle marked. Rendered as DOT here and as SVG in the HTML.
import type { DependencyEdge } from '../../engine/locks/lockdep.js';
import type { TraceEvent } from '../../engine/kernel.js';

export interface ClassEdge {
  from: string;
  to: string;
  /** The first acquisition that recorded it: thread name, step, the two lock instances. */
  thread: string;
  step: number;
  heldLock: string;
  acquiredLock: string;
  /** On a cycle of the class graph (a possible deadlock). */
  cycle: boolean;
  /** The dependency the violation was reported on. */
  reported: boolean;
}

export interface LockGraph {
  classes: string[];
  edges: ClassEdge[];
  /** Each strongly connected part with a cycle, as sorted class lists. */
  cycles: string[][];
}

/**
 * The name of thread `id` when it acquired `lock` at or after `step` (lockdep records the edge
 * just before the acquisition is noted); ids are reused per phase, the trace says which was which.
 * A reported edge was never acquired: then the thread's last event up to `step` names it.
 */
export function threadNameAt(trace: readonly TraceEvent[], id: number, step: number, lock: string): string {
  let before: TraceEvent | undefined;
  for (const e of trace) {
    if (e.thread !== id) continue;
    if (e.step <= step) before = e;
    if (e.step >= step && e.text.endsWith(` ${lock}`) && /^(lock|down_\w+) /.test(e.text)) return e.name;
  }
  return before?.name ?? `thread ${id}`;
}

/** Tarjan's strongly connected components over sorted nodes, so the output is deterministic. */
function components(nodes: readonly string[], next: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      out.push(c.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return out;
}

export function lockGraph(recorded: readonly DependencyEdge[], chain: readonly DependencyEdge[] | null, trace: readonly TraceEvent[]): LockGraph {
  const byKey = new Map<string, ClassEdge>();
  const add = (e: DependencyEdge, reported: boolean) => {
    const key = `${e.from}\u0000${e.to}`;
    const had = byKey.get(key);
    if (had) {
      had.reported ||= reported;
      return;
    }
    byKey.set(key, {
      from: e.from,
      to: e.to,
      thread: threadNameAt(trace, e.thread, e.step, e.acquiredLock),
      step: e.step,
      heldLock: e.heldLock,
      acquiredLock: e.acquiredLock,
      cycle: false,
      reported,
    });
  };
  for (const e of recorded) add(e, false);
  const last = chain && chain.length ? chain[chain.length - 1]! : null;
  for (const e of chain ?? []) add(e, e === last);
  const edges = [...byKey.values()];
  const classes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to].sort());
  const part = new Map<string, number>();
  const comps = components(classes, next);
  comps.forEach((c, i) => c.forEach((n) => part.set(n, i)));
  const cyclic = new Set<number>();
  for (const e of edges) {
    if (e.from === e.to || (part.get(e.from) === part.get(e.to) && comps[part.get(e.from)!]!.length > 1)) {
      e.cycle = true;
      cyclic.add(part.get(e.from)!);
    }
  }
  const cycles = [...cyclic].map((i) => comps[i]!).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { classes, edges, cycles };
}
