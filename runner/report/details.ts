// A violation's `details` is `unknown` in the document: these guards recognise the two shapes
// reports draw from (a lockdep report, a deadlock's wait-for edges) and nothing else.
import type { DependencyEdge, LockdepReport } from '../../engine/locks/lockdep.js';
import type { WaitEdge } from '../../schedulers/runtime.js';
import type { Violation } from '../../engine/violation.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isEdge(v: unknown): v is DependencyEdge {
  return (
    isObj(v) &&
    typeof v.from === 'string' &&
    typeof v.to === 'string' &&
    typeof v.thread === 'number' &&
    typeof v.step === 'number' &&
    typeof v.heldLock === 'string' &&
    typeof v.acquiredLock === 'string'
  );
}

export function lockdepDetails(v: Violation): LockdepReport | null {
  if (v.kind !== 'lockdep-circular' && v.kind !== 'lockdep-recursive') return null;
  const d = v.details;
  if (!isObj(d) || !Array.isArray(d.chain) || !d.chain.every(isEdge) || !Array.isArray(d.held) || !isObj(d.acquiring)) return null;
  return d as unknown as LockdepReport;
}

export interface DeadlockDetails {
  waits: WaitEdge[];
  cycle: number[];
}

export function deadlockDetails(v: Violation): DeadlockDetails | null {
  if (v.kind !== 'deadlock') return null;
  const d = v.details;
  if (!isObj(d) || !Array.isArray(d.waits) || !Array.isArray(d.cycle)) return null;
  const waits = d.waits.filter(
    (w): w is WaitEdge => isObj(w) && typeof w.threadName === 'string' && typeof w.waitsFor === 'string' && Array.isArray(w.holders),
  );
  return { waits, cycle: d.cycle.filter((x): x is number => typeof x === 'number') };
}
