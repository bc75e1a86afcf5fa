// Operation outcomes as reports show them: counted from a document's operation records (the
// index of an explore folder has no summary), and sorted for display. The campaign's own counts
// come from runner/outcomes.ts.
import type { OpRecord } from '../../workload/execute.js';
import { addOutcome, OP_NAMES, OUTCOMES, type OpOutcomes } from '../outcomes.js';
import { opName } from './notes.js';

export { addOutcome, mergeOutcomes, OP_NAMES, OUTCOMES, type OpOutcomes } from '../outcomes.js';

/** Outcomes of operation records (OpRecord.op is the describeOp() text; its first word is the name). */
export function opOutcomes(records: readonly OpRecord[], into: OpOutcomes = {}): OpOutcomes {
  for (const r of records) addOutcome(into, opName(r.op), r.result);
  return into;
}

/** The same counts with operations and outcomes in the listed order (unknown ones last, sorted). */
export function sortedOutcomes(c: OpOutcomes): OpOutcomes {
  const rank = (order: readonly string[], k: string) => {
    const i = order.indexOf(k);
    return i < 0 ? order.length : i;
  };
  const cmp = (order: readonly string[]) => (a: string, b: string) => rank(order, a) - rank(order, b) || (a < b ? -1 : a > b ? 1 : 0);
  const out: OpOutcomes = {};
  for (const op of Object.keys(c).sort(cmp(OP_NAMES))) {
    const row: Record<string, number> = {};
    for (const r of Object.keys(c[op]!).sort(cmp(OUTCOMES))) row[r] = c[op]![r]!;
    out[op] = row;
  }
  return out;
}
