// The decision tree of the DFS explorer: one node per decision of the current execution (a
// thread pick or a draw), kept across executions for the prefix the next execution replays.

/** Accesses of a step (read id, write ~id); null = unknown, dependent with everything. */
export type Acc = readonly number[] | null;

export class PickNode {
  readonly enabled: Int32Array;
  /** Thread picked in the current execution. */
  chosen: number;
  /** Threads to explore here (always enabled here); those already explored are also in `done`. */
  readonly backtrack: number[] = [];
  /** Threads whose subtree is fully explored, with the union of their step's accesses. */
  readonly done: number[] = [];
  readonly doneAcc: Acc[] = [];
  /** Accesses of the current execution's step here. */
  acc: number[] | null = [];
  /** Whether stepDone reported `acc` in the current execution. */
  known = false;
  /** Union over every execution so far of the accesses of `chosen`'s step here (all draw outcomes). */
  chosenAcc: number[] | null = [];

  constructor(
    enabled: Int32Array,
    n: number,
    /** The thread that had just run (-1 at the start of a phase). */
    readonly current: number,
    /** Preemptions before this pick. */
    readonly preemptions: number,
    /** Sleep set on entry: threads not to run here, with the accesses of their pending step. */
    readonly sleepT: number[],
    readonly sleepAcc: Acc[],
    chosen: number,
  ) {
    this.enabled = enabled.slice(0, n);
    this.chosen = chosen;
  }

  has(t: number): boolean {
    return this.enabled.includes(t);
  }

  sameEnabled(enabled: Int32Array, n: number): boolean {
    if (n !== this.enabled.length) return false;
    for (let i = 0; i < n; i++) if (enabled[i] !== this.enabled[i]) return false;
    return true;
  }

  /** Would picking t here preempt the current thread? */
  preempts(t: number): boolean {
    return this.current >= 0 && t !== this.current && this.has(this.current);
  }

  /** Add t to the backtrack set unless it is there or asleep. */
  addBacktrack(t: number): void {
    if (!this.backtrack.includes(t) && !this.sleepT.includes(t)) this.backtrack.push(t);
  }
}

export class DrawNode {
  value = 0;
  constructor(readonly bound: number) {}
}

export type Node = PickNode | DrawNode;

/** Two steps are dependent when they touch a common resource and one of them writes it. */
export function dependent(a: Acc, b: Acc): boolean {
  if (a === null || b === null) return true;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const xi = x < 0 ? ~x : x;
    for (let j = 0; j < b.length; j++) {
      const y = b[j]!;
      if ((y < 0 ? ~y : y) === xi && (x < 0 || y < 0)) return true;
    }
  }
  return false;
}

/** a := a ∪ b (null absorbs). */
export function unionInto(a: number[] | null, b: Acc): number[] | null {
  if (a === null || b === null) return null;
  for (const x of b) if (!a.includes(x)) a.push(x);
  return a;
}

export function sameAcc(a: Acc, b: readonly number[]): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
