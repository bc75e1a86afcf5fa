// A run's trace as swimlanes: one lane per emulated thread, operations and lock holds as
// intervals, refcount changes and other notable notes as marks. Shared by the HTML and the
// Chrome trace so both show the same intervals.
import type { Violation } from '../../engine/violation.js';
import type { TraceEvent } from '../../engine/kernel.js';
import { lockFamily, parseTrace, type Note, type ParsedEvent } from './notes.js';
import { headline, violationHeader } from '../report.js';

export interface Lane {
  index: number;
  /** Thread name: ids are reused by each phase (setup, T0.., teardown), names are not. */
  name: string;
  failing: boolean;
}

export interface Interval {
  lane: number;
  start: number;
  /** The step it ended at; the failing step for one still open when the run stopped. */
  end: number;
  /** Trace positions of its first and last events; `endIndex` null when still open. */
  startIndex: number;
  endIndex: number | null;
  /** Row inside the lane (0 = outermost): the lowest row free when it started. */
  row: number;
}

export interface OpInterval extends Interval {
  op: string;
  /** 'ok', an errno, 'skipped', or null when the operation had not returned. */
  result: string | null;
}

export interface LockInterval extends Interval {
  lock: string;
  family: string;
  mode: 'read' | 'write';
  trylock: boolean;
  /** Nests with its lane's operations and other holds (LIFO, and released by the end of its operation). */
  nested: boolean;
}

export type MarkKind = 'refcount' | 'machine' | 'fault' | 'free';

/** The notes drawn as marks on their thread's lane. */
const MARKS: Partial<Record<Note['kind'], MarkKind>> = { refcount: 'refcount', machine: 'machine', fault: 'fault', kfree: 'free' };

export interface Mark {
  lane: number;
  step: number;
  index: number;
  kind: MarkKind;
  text: string;
}

export interface Timeline {
  lanes: Lane[];
  ops: OpInterval[];
  locks: LockInterval[];
  marks: Mark[];
  events: ParsedEvent[];
  firstStep: number;
  lastStep: number;
  failStep: number;
  failLane: number;
  /** What broke, in one line: the failing step may have no trace event of its own to show it. */
  failText: string;
}

/** setup first, then T0, T1, ... in number order, then the rest (teardown, quiescence) as they came. */
export function laneOrder(names: readonly string[]): string[] {
  const distinct = [...new Set(names)];
  const rank = (n: string) => (n === 'setup' ? -1 : /^T\d+$/.test(n) ? Number(n.slice(1)) : Number.MAX_SAFE_INTEGER);
  return distinct.map((n, i) => ({ n, i })).sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i).map((x) => x.n);
}

/** Lowest row whose last interval ended before `index` (intervals are added in start order). */
function freeRow(rowsEnd: number[], index: number): number {
  for (let r = 0; r < rowsEnd.length; r++) if (rowsEnd[r]! < index) return r;
  return rowsEnd.length;
}

/**
 * Chrome's viewers draw a thread's slices as a stack, so a slice must close before the one it
 * opened inside. Operations of a thread never overlap; a lock still held when its operation
 * returns (a leaked hold) or released out of LIFO order crosses its neighbours and is marked.
 */
function markNesting(ops: readonly OpInterval[], locks: LockInterval[]): void {
  type B = { index: number; open: boolean; x: OpInterval | LockInterval };
  const byLane = new Map<number, B[]>();
  const add = (x: OpInterval | LockInterval) => {
    let l = byLane.get(x.lane);
    if (!l) byLane.set(x.lane, (l = []));
    l.push({ index: x.startIndex, open: true, x });
    if (x.endIndex !== null) l.push({ index: x.endIndex, open: false, x });
  };
  ops.forEach(add);
  locks.forEach(add);
  for (const bounds of byLane.values()) {
    bounds.sort((a, b) => a.index - b.index || Number(a.open) - Number(b.open));
    const stack: Array<OpInterval | LockInterval> = [];
    for (const b of bounds) {
      if (b.open) {
        stack.push(b.x);
        continue;
      }
      const i = stack.lastIndexOf(b.x);
      if (i < 0) continue;
      if ('op' in b.x) {
        // The operation keeps its slice; what it leaves held crosses its end.
        for (const y of stack.splice(i + 1)) (y as LockInterval).nested = false;
      } else if (i !== stack.length - 1) (b.x as LockInterval).nested = false;
      stack.splice(i, 1);
    }
  }
}

export function buildTimeline(trace: readonly TraceEvent[], v: Violation): Timeline {
  const events = parseTrace(trace);
  const lanes = laneOrder([...events.map((e) => e.name), v.threadName]).map((name, index) => ({ index, name, failing: name === v.threadName }));
  const laneOf = new Map(lanes.map((l) => [l.name, l.index]));
  const lane = (name: string): number => laneOf.get(name)!;
  const ops: OpInterval[] = [];
  const locks: LockInterval[] = [];
  const marks: Mark[] = [];
  const openOp = new Map<number, OpInterval>();
  const openLocks = new Map<number, LockInterval[]>();
  const lockRows = new Map<number, number[]>();
  const END = Number.MAX_SAFE_INTEGER;

  for (const e of events) {
    const l = lane(e.name);
    const n = e.note;
    switch (n.kind) {
      case 'op-start': {
        const o: OpInterval = { lane: l, start: e.step, end: e.step, startIndex: e.index, endIndex: null, row: 0, op: n.op, result: null };
        openOp.set(l, o);
        ops.push(o);
        break;
      }
      case 'op-end': {
        const o = openOp.get(l);
        if (o) {
          o.end = e.step;
          o.endIndex = e.index;
          o.result = n.result;
          openOp.delete(l);
        }
        break;
      }
      case 'acquire': {
        let rows = lockRows.get(l);
        if (!rows) lockRows.set(l, (rows = []));
        const row = freeRow(rows, e.index);
        rows[row] = END;
        const h: LockInterval = {
          lane: l,
          start: e.step,
          end: e.step,
          startIndex: e.index,
          endIndex: null,
          row,
          lock: n.lock,
          family: lockFamily(n.lock),
          mode: n.mode,
          trylock: n.trylock,
          nested: true,
        };
        let open = openLocks.get(l);
        if (!open) openLocks.set(l, (open = []));
        open.push(h);
        locks.push(h);
        break;
      }
      case 'release': {
        const open = openLocks.get(l) ?? [];
        let i = open.length - 1;
        while (i >= 0 && open[i]!.lock !== n.lock) i--;
        if (i < 0) break;
        const h = open[i]!;
        open.splice(i, 1);
        h.end = e.step;
        h.endIndex = e.index;
        lockRows.get(l)![h.row] = e.index;
        break;
      }
      default: {
        const kind = MARKS[n.kind];
        if (kind) marks.push({ lane: l, step: e.step, index: e.index, kind, text: e.text });
        break;
      }
    }
  }
  markNesting(ops, locks);
  const failLane = lane(v.threadName);
  // What was open when the run stopped ends at the failing step (the run ends there).
  for (const o of ops) if (o.endIndex === null) o.end = Math.max(o.start, v.step);
  for (const h of locks) if (h.endIndex === null) h.end = Math.max(h.start, v.step);
  // Traces are in step order; a loop rather than Math.min(...) because livelock traces are long.
  let firstStep = events.length ? events[0]!.step : v.step;
  let lastStep = v.step;
  for (const e of events) {
    if (e.step < firstStep) firstStep = e.step;
    if (e.step > lastStep) lastStep = e.step;
  }
  const failText = `${violationHeader(v)}: ${headline(v.message)}`;
  return { lanes, ops, locks, marks, events, firstStep, lastStep, failStep: v.step, failLane, failText };
}
