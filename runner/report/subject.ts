// Which run a report shows: the minimal counterexample when the document has one (what
// `replay` runs by default), else the run as found.
import type { TraceEvent } from '../../engine/kernel.js';
import type { Violation } from '../../engine/violation.js';
import type { OpRecord } from '../../workload/execute.js';
import type { Workload } from '../../workload/types.js';
import type { ViolationDoc } from '../doc.js';

export interface Subject {
  minimal: boolean;
  workload: Workload;
  decisions: number[];
  compact: string;
  violation: Violation;
  ops: OpRecord[];
  trace: TraceEvent[];
}

export function subjectOf(doc: ViolationDoc): Subject {
  const m = doc.minimal;
  if (m) return { minimal: true, workload: m.workload, decisions: m.decisions, compact: m.compact, violation: m.violation, ops: m.ops, trace: m.trace };
  return {
    minimal: false,
    workload: doc.workload,
    decisions: doc.schedule.decisions,
    compact: doc.schedule.compact,
    violation: doc.violation,
    ops: doc.ops,
    trace: doc.trace,
  };
}
