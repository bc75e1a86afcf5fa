// Happens-before over the steps (events) of one execution, for the DFS explorer's DPOR.
//
// Two events are dependent when they touch a common resource and at least one of them writes it
// (accesses as reported through Runtime.access / Scheduler.stepDone: a read is id, a write ~id;
// `null` stands for an event whose accesses are unknown and is dependent with everything).
// Happens-before is the transitive closure of program order and dependency, plus the explicit
// edges the explorer adds for observed enabling and disabling (addSync). It is kept as one
// vector clock per event in a flat Int32Array (row e, column = thread id); resources keep the
// last write and the reads since it, which is all an event can be immediately ordered after.
//
// Phases (Runtime.beginPhase) are barriers: every event of an earlier phase happens before every
// event of a later one, and thread ids restart, so the tables restart at each phase.

export class HappensBefore {
  /** Columns per clock row: larger than every thread id seen. */
  private stride = 4;
  private clocks = new Int32Array(64 * 4);
  /** Thread and per-thread position (1-based, within the phase) of each event. */
  private evThread = new Int32Array(64);
  private evPos = new Int32Array(64);
  /** First event of the current phase. */
  phaseStart = 0;
  /** Per thread (of the current phase): last event, events so far, pending sync source. */
  private last = new Int32Array(4).fill(-1);
  private count = new Int32Array(4);
  private sync = new Int32Array(4).fill(-1);

  private readonly slots = new Map<number, number>();
  private slotGen: number[] = [];
  private slotWrite: number[] = [];
  private slotReads: number[][] = [];
  private gen = 1;

  /** Scratch: dependent predecessors of the event being completed, and the races found. */
  private readonly cands: number[] = [];
  readonly races: number[] = [];
  /** Scratch for initials(): first event of each thread in the sequence. */
  private first = new Int32Array(4).fill(-1);
  private readonly touched: number[] = [];

  /** Restart for a new execution. */
  reset(): void {
    this.beginPhase(0);
  }

  beginPhase(e: number): void {
    this.phaseStart = e;
    this.last.fill(-1);
    this.count.fill(0);
    this.sync.fill(-1);
    this.gen++;
  }

  /** Make room for thread ids below `n`. */
  ensureThreads(n: number): void {
    if (n <= this.stride) return;
    let s = this.stride;
    while (s < n) s *= 2;
    const rows = this.clocks.length / this.stride;
    const next = new Int32Array(rows * s);
    for (let e = 0; e < rows; e++) next.set(this.clocks.subarray(e * this.stride, (e + 1) * this.stride), e * s);
    this.clocks = next;
    this.stride = s;
    this.last = grow(this.last, s, -1);
    this.count = grow(this.count, s, 0);
    this.sync = grow(this.sync, s, -1);
    this.first = new Int32Array(s).fill(-1);
  }

  /** Register event e (a pick of thread t). */
  start(e: number, t: number): void {
    if (e >= this.evThread.length) {
      const n = Math.max(e + 1, this.evThread.length * 2);
      this.evThread = grow(this.evThread, n, 0);
      this.evPos = grow(this.evPos, n, 0);
    }
    if ((e + 1) * this.stride > this.clocks.length) {
      const next = new Int32Array(Math.max((e + 1) * this.stride, this.clocks.length * 2));
      next.set(this.clocks);
      this.clocks = next;
    }
    this.evThread[e] = t;
    this.evPos[e] = ++this.count[t]!;
  }

  threadOf(e: number): number {
    return this.evThread[e]!;
  }

  /** Does event a happen before (or equal) event b? (a <= b, both registered.) */
  hb(a: number, b: number): boolean {
    if (a < this.phaseStart) return true;
    return this.clocks[b * this.stride + this.evThread[a]!]! >= this.evPos[a]!;
  }

  /** Thread r's next event must be ordered after event k (k enabled or disabled r). */
  addSync(r: number, k: number): void {
    if (k > this.sync[r]!) this.sync[r] = k;
  }

  /**
   * Complete event e: compute its clock from its dependent predecessors and record its accesses.
   * Afterwards `races` holds the events of other threads that are in a race with e: dependent
   * with it and ordered immediately before it (no other predecessor of e comes after them).
   */
  finish(e: number, acc: readonly number[] | null): void {
    const t = this.evThread[e]!;
    const cands = this.cands;
    cands.length = 0;
    if (acc === null) {
      for (let r = 0; r < this.stride; r++) if (r !== t && this.last[r]! >= 0) cands.push(this.last[r]!);
    } else {
      for (let i = 0; i < acc.length; i++) {
        const a = acc[i]!;
        const slot = this.slot(a < 0 ? ~a : a);
        const w = this.slotWrite[slot]!;
        if (w >= 0) pushNew(cands, w);
        if (a < 0) for (const r of this.slotReads[slot]!) pushNew(cands, r);
      }
    }
    const prev = this.last[t]!;
    const sync = this.sync[t]!;
    const S = this.stride;
    const row = e * S;
    const clocks = this.clocks;
    if (prev >= 0) clocks.copyWithin(row, prev * S, prev * S + S);
    else clocks.fill(0, row, row + S);
    for (const c of cands) join(clocks, row, c * S, S);
    if (sync >= this.phaseStart) join(clocks, row, sync * S, S);
    clocks[row + t] = this.evPos[e]!;

    const races = this.races;
    races.length = 0;
    for (const c of cands) {
      if (this.evThread[c] === t) continue;
      let immediate = !(prev >= 0 && prev !== c && this.hb(c, prev)) && !(sync >= this.phaseStart && sync !== c && this.hb(c, sync));
      for (let i = 0; immediate && i < cands.length; i++) {
        const d = cands[i]!;
        if (d !== c && this.hb(c, d)) immediate = false;
      }
      if (immediate) races.push(c);
    }

    if (acc !== null) {
      for (let i = 0; i < acc.length; i++) {
        const a = acc[i]!;
        const slot = this.slot(a < 0 ? ~a : a);
        if (a < 0) {
          this.slotWrite[slot] = e;
          this.slotReads[slot]!.length = 0;
        } else if (this.slotWrite[slot] !== e) {
          const reads = this.slotReads[slot]!;
          if (reads[reads.length - 1] !== e) reads.push(e);
        }
      }
    }
    this.last[t] = e;
    this.sync[t] = -1;
  }

  /**
   * The initials of v = notdep(c).j (Abdulla et al.): the events after c up to j-1 that do not
   * happen after c, followed by j. A thread is an initial when its first event in v has no
   * predecessor in v. Returns the initial threads in order of their first event.
   */
  initials(c: number, j: number, out: number[]): void {
    out.length = 0;
    const first = this.first;
    const touched = this.touched;
    touched.length = 0;
    for (let k = c + 1; k <= j; k++) {
      if (k < j && this.hb(c, k)) continue;
      const r = this.evThread[k]!;
      if (first[r]! >= 0) continue;
      first[r] = k;
      let initial = true;
      for (const s of touched) {
        if (this.hb(first[s]!, k)) {
          initial = false;
          break;
        }
      }
      touched.push(r);
      if (initial) out.push(r);
    }
    for (const s of touched) first[s] = -1;
  }

  private slot(id: number): number {
    let s = this.slots.get(id);
    if (s === undefined) {
      s = this.slotGen.length;
      this.slots.set(id, s);
      this.slotGen.push(0);
      this.slotWrite.push(-1);
      this.slotReads.push([]);
    }
    if (this.slotGen[s] !== this.gen) {
      this.slotGen[s] = this.gen;
      this.slotWrite[s] = -1;
      this.slotReads[s]!.length = 0;
    }
    return s;
  }
}

function grow(a: Int32Array, n: number, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n).fill(fill);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

function join(clocks: Int32Array, into: number, from: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = clocks[from + i]!;
    if (v > clocks[into + i]!) clocks[into + i] = v;
  }
}

function pushNew(a: number[], v: number): void {
  if (!a.includes(v)) a.push(v);
}
