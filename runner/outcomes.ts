// Coverage of the operations' outcomes: how many operations of each kind ended in 'ok', in each
// errno, or 'skipped', over every schedule of a campaign. The executor counts one outcome per
// finished operation (not per step) into a flat typed array, so the hot loop allocates nothing;
// the sparse record form is built once, when the campaign ends, and sums across workers.
import { Errno, type ErrnoName, type OpResult } from '../engine/errno.js';
import type { OpName } from '../workload/types.js';

/** Operation name -> outcome ('ok', an errno, 'skipped') -> operations that ended so. */
export type OpOutcomes = Record<string, Record<string, number>>;

/** Every operation a workload can hold, in the order reports list them. */
export const OP_NAMES = [
  'ioas_alloc',
  'hwpt_alloc',
  'destroy',
  'mock_domain',
  'mock_replace',
  'bind',
  'attach',
  'replace',
  'detach',
  'unbind',
] as const satisfies readonly OpName[];
// Fails to compile when an operation is added to workload/types.ts and not listed above.
const allOps: Exclude<OpName, (typeof OP_NAMES)[number]> extends never ? true : false = true;
void allOps;

type Outcome = OpResult | 'skipped';

const OUTCOME_LIST: readonly Outcome[] = ['ok', ...(Object.keys(Errno) as ErrnoName[]), 'skipped'];
/** Every outcome an operation can have, in column order (strings: reports also read others' counts). */
export const OUTCOMES: readonly string[] = OUTCOME_LIST;

const OP_INDEX = Object.fromEntries(OP_NAMES.map((o, i) => [o, i])) as Record<OpName, number>;
const OUTCOME_INDEX = Object.fromEntries(OUTCOME_LIST.map((o, i) => [o, i])) as Record<Outcome, number>;

/** Per-campaign counts, one cell per (operation, outcome). */
export class OutcomeCounter {
  private readonly cells = new Float64Array(OP_NAMES.length * OUTCOMES.length);

  add(op: OpName, result: Outcome): void {
    this.cells[OP_INDEX[op] * OUTCOMES.length + OUTCOME_INDEX[result]]! += 1;
  }

  /** The counts reached (no zero cells), operations and outcomes in the listed order. */
  toOutcomes(): OpOutcomes {
    const out: OpOutcomes = {};
    OP_NAMES.forEach((op, i) => {
      OUTCOMES.forEach((r, j) => {
        const n = this.cells[i * OUTCOMES.length + j]!;
        if (n > 0) (out[op] ??= {})[r] = n;
      });
    });
    return out;
  }
}

/** Count one outcome into the record form. */
export function addOutcome(into: OpOutcomes, op: string, result: string, n = 1): void {
  const row = (into[op] ??= {});
  row[result] = (row[result] ?? 0) + n;
}

/** Sum `from` into `into` (workers' or shards' counts). */
export function mergeOutcomes(into: OpOutcomes, from: OpOutcomes): OpOutcomes {
  for (const [op, row] of Object.entries(from)) for (const [res, n] of Object.entries(row)) addOutcome(into, op, res, n);
  return into;
}
