// Exhaustive stateless exploration: depth-first search over the tree of every decision an
// execution takes (thread picks and draws), re-running the program from the start for each
// leaf, as in VeriSoft (Godefroid, POPL 1997) and CHESS. The driver loop is
//
//     const dfs = new DfsScheduler({ reduction: 'dpor' });
//     while (dfs.newExecution()) { const rt = new Runtime(dfs); ...spawn...; await rt.run(); }
//     dfs.statement();
//
// Reductions, all driven by the accesses the steps report (Runtime.access → stepDone): two
// steps are dependent when they touch a common resource and one of them writes it; a step that
// reported nothing touches nothing.
//
// - 'none': every interleaving and every draw outcome.
// - 'sleep-sets': Godefroid's sleep sets (P. Godefroid, "Partial-Order Methods for the
//   Verification of Concurrent Systems", LNCS 1032, 1996, ch. 5): after the subtree of thread p
//   at a node is explored, p sleeps in its later siblings' subtrees until a step dependent with
//   p's step runs. Every non-sleeping alternative is explored; this explores exactly one complete
//   execution per Mazurkiewicz trace, plus sleep-set-blocked runs (every enabled thread asleep),
//   which are redundant and counted apart (`blocked`).
// - 'dpor': dynamic partial-order reduction with source sets and sleep sets, Algorithm 2 of
//   Abdulla, Aronis, Jonsson, Sagonas, "Optimal Dynamic Partial Order Reduction", POPL 2014,
//   itself a refinement of Flanagan & Godefroid, "Dynamic Partial-Order Reduction for Model
//   Checking Software", POPL 2005: a node starts with one thread; each step is checked for races
//   with the steps it is immediately ordered after (happens-before by vector clocks, see
//   dfs/hb.ts), and for a race e ≲ e' an initial of notdep(e).e' is added at e's node unless one
//   is already there or asleep.
//
// Blocking: a thread waiting in Runtime.waitFor is not enabled. Enabling and disabling are
// observed from the enabled sets: a step after which another thread is no longer enabled is a
// race with that thread's pending step (it is added at the step's node, as Flanagan & Godefroid
// do for pending transitions), and both order the thread's next step after it. A race whose
// later step was enabled by the earlier one is not reversible and is skipped. The last step of a
// run that leaves other threads enabled-before/not-after (deadlock, stop) is treated the same way,
// and a step cut short by a stop (no stepDone) is dependent with everything.
//
// The DPOR contract for blocking waits: the step that parks in waitFor(w) must report a write of
// w's resource (an attempt, before waitFor), and the step that wakes up reports it first (the
// acquisition); acquire and release report it as written too. Without the attempt DPOR misses
// the interleavings where the waiter takes w first. A run that shows a thread parked blocked and
// waking up to take a resource its parking step did not write sets `unsound`, and statement()
// then makes no claim; a thread that stays parked to the end of every run (deadlock) cannot be
// checked, nor can redundant runs with abortBlocked. Sleep sets alone do not need the contract.
//
// Preemption bounding (a pick of another thread while `current` is still enabled): with a
// bound, the reduction is disabled (sleep sets and DPOR are not sound under a preemption bound
// without the extra backtracking of Coons, Musuvathi, McKinley, "Bounded Partial-Order
// Reduction", OOPSLA 2013) and every schedule within the bound is run; statement() says so.
//
// Nothing here reads the clock, Math.random, timers or I/O.
import type { Scheduler } from './scheduler.js';
import { HappensBefore } from './dfs/hb.js';
import { DrawNode, PickNode, dependent, sameAcc, unionInto, type Acc, type Node } from './dfs/nodes.js';

export type Reduction = 'none' | 'sleep-sets' | 'dpor';

export interface DfsOptions {
  reduction: Reduction;
  /** At most this many preemptions per execution (disables the reduction). */
  preemptionBound?: number;
  /** Stop after this many runs (sleep-set-blocked ones included); `complete` stays false. */
  maxExecutions?: number;
  /**
   * A sleep-set-blocked run is redundant. By default it is finished with arbitrary picks (draws
   * 0) and counted in `blocked`; with abortBlocked the scheduler throws SleepSetBlocked instead,
   * which ends the run as `stopped` with that reason.
   */
  abortBlocked?: boolean;
}

/** Thrown from nextThread (abortBlocked): this run is redundant, every enabled thread is asleep. */
export class SleepSetBlocked extends Error {
  constructor() {
    super('dfs: sleep-set blocked (redundant run)');
  }
}

/** The program took a different decision, or reported different accesses, on a replayed prefix. */
export class DfsNondeterminism extends Error {}

export class DfsScheduler implements Scheduler {
  readonly name: string;
  /** The reduction asked for. */
  readonly requested: Reduction;
  /** The reduction in force ('none' under a preemption bound). */
  readonly reduction: Reduction;
  readonly preemptionBound: number | undefined;
  readonly maxExecutions: number | undefined;
  /** Runs started (every newExecution that returned true). */
  runs = 0;
  /** Runs that turned out sleep-set blocked (redundant). */
  blocked = 0;
  /** The whole tree was covered (newExecution returned false because nothing is left). */
  complete = false;
  /** Why the reduction cannot be trusted for this program (see the header), or null. */
  unsound: string | null = null;

  private readonly abortBlocked: boolean;
  private readonly sleep: boolean;
  private readonly dpor: boolean;
  private finished = false;
  private sawDraws = false;
  private readonly nodes: Node[] = [];
  /** The pick nodes of `nodes`, in order: picks[e] is event (step) e. */
  private readonly picks: PickNode[] = [];
  /** Next decision, next event, first event that is new in this execution. */
  private di = 0;
  private ei = 0;
  private freshFrom = 0;
  private blockedNow = false;
  private readonly log: number[] = [];
  private readonly hb = new HappensBefore();
  /**
   * Checking the blocking-wait contract (see the header), in tracked and redundant runs alike:
   * the last step's thread and accesses, and per thread the accesses of its last
   * step if it was not enabled right after it (it parked blocked, or it finished).
   */
  private lastPick = -1;
  private readonly lastAcc: number[] = [];
  private parked: Array<number[] | null> = [];
  private readonly initials: number[] = [];
  private readonly races: number[] = [];
  private readonly cands: number[] = [];

  constructor(opts: DfsOptions) {
    const { reduction, preemptionBound, maxExecutions } = opts;
    if (preemptionBound !== undefined && (!Number.isInteger(preemptionBound) || preemptionBound < 0)) {
      throw new RangeError(`dfs: preemptionBound must be an integer >= 0, got ${preemptionBound}`);
    }
    if (maxExecutions !== undefined && (!Number.isInteger(maxExecutions) || maxExecutions < 1)) {
      throw new RangeError(`dfs: maxExecutions must be an integer >= 1, got ${maxExecutions}`);
    }
    this.requested = reduction;
    this.reduction = preemptionBound === undefined ? reduction : 'none';
    this.preemptionBound = preemptionBound;
    this.maxExecutions = maxExecutions;
    this.abortBlocked = opts.abortBlocked ?? false;
    this.sleep = this.reduction !== 'none';
    this.dpor = this.reduction === 'dpor';
    this.name = `dfs(${this.reduction}${preemptionBound === undefined ? '' : `, pb=${preemptionBound}`})`;
  }

  /** Complete, non-redundant executions run so far. */
  get executions(): number {
    return this.runs - this.blocked;
  }

  /** The current run is sleep-set blocked: redundant, its remaining picks are arbitrary. */
  get redundant(): boolean {
    return this.blockedNow;
  }

  /** The decisions of the current execution so far, in the replay encoding (picks >= 0, draws -(v+1)). */
  schedule(): number[] {
    return this.log.slice();
  }

  newExecution(): boolean {
    if (this.finished) return false;
    if (this.runs > 0) {
      this.finishExecution();
      if (!this.advance()) {
        this.finished = true;
        this.complete = true;
        return false;
      }
      if (this.maxExecutions !== undefined && this.runs >= this.maxExecutions) {
        this.finished = true;
        return false;
      }
    }
    this.di = 0;
    this.ei = 0;
    this.blockedNow = false;
    this.log.length = 0;
    this.hb.reset();
    this.parked.fill(null);
    this.lastPick = -1;
    this.runs++;
    return true;
  }

  nextThread(enabled: Int32Array, n: number, current: number): number {
    if (this.dpor) this.notePark(enabled, n, current);
    const pick = this.blockedNow ? anyPick(enabled, n, current) : this.track(enabled, n, current);
    this.log.push(pick);
    if (this.dpor) this.lastPick = pick;
    return pick;
  }

  draw(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1) throw new RangeError(`dfs: draw bound must be an integer >= 1, got ${bound}`);
    let v = 0;
    if (!this.blockedNow) {
      if (this.di < this.nodes.length) {
        const nd = this.nodes[this.di]!;
        if (!(nd instanceof DrawNode) || nd.bound !== bound) {
          throw new DfsNondeterminism(`dfs: decision ${this.di} replayed as draw(${bound}), recorded ${describe(nd)}`);
        }
        v = nd.value;
      } else {
        this.nodes.push(new DrawNode(bound));
        if (bound > 1) this.sawDraws = true;
      }
      this.di++;
    }
    this.log.push(-(v + 1));
    return v;
  }

  stepDone(thread: number, _step: number, accesses: readonly number[]): void {
    if (this.dpor) this.checkWake(thread, accesses);
    if (this.blockedNow) return;
    const e = this.ei - 1;
    const node = this.picks[e];
    if (node === undefined || node.chosen !== thread) throw new Error(`dfs: stepDone for thread ${thread} does not match step ${e}`);
    if (e < this.freshFrom) {
      if (!sameAcc(node.acc, accesses)) {
        throw new DfsNondeterminism(`dfs: step ${e} of thread ${thread} reported [${accesses.join(', ')}] on replay, [${node.acc?.join(', ')}] before`);
      }
    } else {
      const acc = node.acc ?? [];
      acc.length = 0;
      for (let i = 0; i < accesses.length; i++) acc.push(accesses[i]!);
      node.acc = acc;
    }
    node.known = true;
    this.finishStep(e, node.acc);
  }

  /** The claim the exploration supports so far. `violations`: how many runs the driver found violating. */
  statement(violations = 0): string {
    const m = this.executions;
    const ex = `${m} execution${m === 1 ? '' : 's'}`;
    let what = this.reduction === 'none' ? 'interleaving' : 'Mazurkiewicz trace';
    if (this.sawDraws) what += ' and draw outcome';
    const b = this.preemptionBound;
    const within = b === undefined ? '' : ` within ${b} preemption${b === 1 ? '' : 's'}`;
    const off =
      b !== undefined && this.requested !== 'none'
        ? ` (the preemption bound disables the '${this.requested}' reduction: every schedule within the bound was run)`
        : '';
    const red = this.blocked > 0 ? ` (plus ${this.blocked} redundant sleep-set-blocked run${this.blocked === 1 ? '' : 's'})` : '';
    const v = violations === 0 ? 'no violation' : `${violations} violation${violations === 1 ? '' : 's'}`;
    if (this.unsound !== null) {
      return `${ex} explored with the '${this.reduction}' reduction, ${v}; no coverage claim: ${this.unsound}`;
    }
    if (this.complete) return `${ex} cover${m === 1 ? 's' : ''} every ${what} of this program${within}${off}${red}, ${v}`;
    if (this.finished) {
      return `${ex} explored, stopped at the limit of ${this.maxExecutions} runs: not every ${what}${within} is covered${red}, ${v}`;
    }
    return `${ex} explored, exploration not finished: not every ${what}${within} is covered${red}, ${v}`;
  }

  // ---- one execution ----------------------------------------------------------------------

  private track(enabled: Int32Array, n: number, current: number): number {
    let max = 0;
    for (let i = 0; i < n; i++) if (enabled[i]! > max) max = enabled[i]!;
    this.hb.ensureThreads(max + 1);
    const e = this.ei;
    const prev = e > 0 ? this.picks[e - 1]! : null;
    const newPhase = prev !== null && current === -1;
    if (newPhase) {
      this.endOfRun(prev);
      this.hb.beginPhase(e);
    } else if (prev !== null) {
      this.observeEnabling(prev, e - 1, enabled, n);
    }
    let node: PickNode;
    if (this.di < this.nodes.length) {
      const nd = this.nodes[this.di]!;
      if (!(nd instanceof PickNode) || nd.current !== current || !nd.sameEnabled(enabled, n) || this.picks[e] !== nd) {
        throw new DfsNondeterminism(
          `dfs: decision ${this.di} replayed as a pick among [${Array.from(enabled.subarray(0, n)).join(', ')}], recorded ${describe(nd)}`,
        );
      }
      node = nd;
    } else {
      const fresh = this.freshNode(enabled, n, current, newPhase ? null : prev, prev);
      if (fresh === null) {
        this.blockedNow = true;
        this.blocked++;
        if (this.abortBlocked) throw new SleepSetBlocked();
        return anyPick(enabled, n, current);
      }
      node = fresh;
      this.nodes.push(node);
      this.picks.push(node);
    }
    this.hb.start(e, node.chosen);
    node.known = false;
    this.di++;
    this.ei++;
    return node.chosen;
  }

  /** A new pick node, or null when every enabled thread is asleep (sleep-set blocked). */
  private freshNode(enabled: Int32Array, n: number, current: number, parent: PickNode | null, prev: PickNode | null): PickNode | null {
    const preemptions = prev === null ? 0 : prev.preemptions + (prev.preempts(prev.chosen) ? 1 : 0);
    const sleepT: number[] = [];
    const sleepAcc: Acc[] = [];
    if (this.sleep && parent !== null) {
      // Sleepers stay asleep across an independent step that leaves them enabled.
      for (let i = 0; i < parent.sleepT.length; i++) {
        const t = parent.sleepT[i]!;
        if (has(enabled, n, t) && !dependent(parent.sleepAcc[i]!, parent.acc)) {
          sleepT.push(t);
          sleepAcc.push(parent.sleepAcc[i]!);
        }
      }
      for (let i = 0; i < parent.done.length; i++) {
        const t = parent.done[i]!;
        if (has(enabled, n, t) && !dependent(parent.doneAcc[i]!, parent.acc)) {
          sleepT.push(t);
          sleepAcc.push(parent.doneAcc[i]!);
        }
      }
    }
    const bound = this.preemptionBound;
    const curEnabled = current >= 0 && has(enabled, n, current);
    const cands = this.cands;
    cands.length = 0;
    for (let i = 0; i < n; i++) {
      const t = enabled[i]!;
      if (sleepT.includes(t)) continue;
      if (bound !== undefined && curEnabled && t !== current && preemptions + 1 > bound) continue;
      cands.push(t);
    }
    if (cands.length === 0) return null;
    const chosen = cands.includes(current) ? current : cands[0]!;
    const node = new PickNode(enabled, n, current, preemptions, sleepT, sleepAcc, chosen);
    if (this.dpor) node.backtrack.push(chosen);
    else for (const t of cands) node.backtrack.push(t);
    return node;
  }

  /**
   * Compare the enabled sets before and after step k (thread p): another thread that stopped
   * being enabled was disabled by it (a race with its pending step: explore it at k's node);
   * one that became enabled was enabled by it. Either way its next step is ordered after k.
   */
  private observeEnabling(prev: PickNode, k: number, enabled: Int32Array, n: number): void {
    const p = prev.chosen;
    for (let i = 0; i < prev.enabled.length; i++) {
      const r = prev.enabled[i]!;
      if (r === p || has(enabled, n, r)) continue;
      this.hb.addSync(r, k);
      if (this.dpor) prev.addBacktrack(r);
    }
    for (let i = 0; i < n; i++) {
      const r = enabled[i]!;
      if (r !== p && !prev.has(r)) this.hb.addSync(r, k);
    }
  }

  private finishStep(e: number, acc: number[] | null): void {
    const node = this.picks[e]!;
    this.hb.finish(e, acc);
    const fresh = e >= this.freshFrom;
    if (fresh && this.sleep) node.chosenAcc = unionInto(node.chosenAcc, acc);
    if (!this.dpor || !fresh) return;
    const races = this.races;
    races.length = 0;
    for (const c of this.hb.races) races.push(c);
    for (const c of races) this.race(c, e);
  }

  /** Before a pick: if the thread of the last step is not enabled any more, it parked blocked (or finished). */
  private notePark(enabled: Int32Array, n: number, current: number): void {
    const p = this.lastPick;
    if (p < 0) return;
    if (current === -1) {
      this.parked.fill(null); // a new phase: new threads
      return;
    }
    if (has(enabled, n, p)) return;
    while (this.parked.length <= p) this.parked.push(null);
    this.parked[p] = this.lastAcc.slice();
  }

  /** A thread that parked blocked wakes up: its parking step must have written what this step writes. */
  private checkWake(t: number, accesses: readonly number[]): void {
    const parked = this.parked[t];
    if (parked !== undefined && parked !== null) {
      this.parked[t] = null;
      // The wake-up step starts by taking what it waited for: its first access is the resource.
      const first = accesses.length > 0 ? accesses[0]! : null;
      if (this.unsound === null && (first === null || (first < 0 && !parked.includes(first)))) {
        this.unsound =
          `thread ${t} parked in a blocking wait without reporting a write of the resource its wake-up step takes ` +
          `(a blocking wait must report the resource it waits for, as written, before Runtime.waitFor)`;
      }
    }
    this.lastAcc.length = 0;
    for (let i = 0; i < accesses.length; i++) this.lastAcc.push(accesses[i]!);
  }

  /** Source-set backtracking for the race c ≲ j. */
  private race(c: number, j: number): void {
    const node = this.picks[c]!;
    const q = this.hb.threadOf(j);
    const init = this.initials;
    this.hb.initials(c, j, init);
    for (const r of init) if (node.backtrack.includes(r) || node.sleepT.includes(r)) return;
    if (init.includes(q) && !node.has(q)) {
      // j's thread was not enabled at c: if c enabled it, the race cannot be reversed.
      if (this.picks[c + 1]!.has(q)) return;
      for (const t of node.enabled) node.addBacktrack(t);
      return;
    }
    for (const r of init) {
      if (node.has(r)) {
        node.backtrack.push(r);
        return;
      }
    }
    for (const t of node.enabled) node.addBacktrack(t);
  }

  /**
   * The last step of a run or phase. Any other thread enabled before it is not enabled after it
   * (otherwise the run would go on): it was disabled by that step, or the run was stopped.
   */
  private endOfRun(last: PickNode): void {
    if (!this.dpor) return;
    for (const r of last.enabled) if (r !== last.chosen) last.addBacktrack(r);
  }

  private finishExecution(): void {
    if (this.blockedNow || this.ei === 0) return;
    const k = this.ei - 1;
    const node = this.picks[k]!;
    if (!node.known) {
      // The run stopped inside this step (a violation): its accesses are unknown.
      node.acc = null;
      node.known = true;
      this.finishStep(k, null);
    }
    this.endOfRun(node);
  }

  // ---- the tree -----------------------------------------------------------------------------

  /** Move to the next leaf: the deepest node with an unexplored alternative. */
  private advance(): boolean {
    const nodes = this.nodes;
    while (nodes.length > 0) {
      const top = nodes[nodes.length - 1]!;
      if (top instanceof DrawNode) {
        if (top.value + 1 < top.bound) {
          top.value++;
          this.freshFrom = Math.max(0, this.picks.length - 1);
          return true;
        }
        nodes.pop();
        continue;
      }
      top.done.push(top.chosen);
      top.doneAcc.push(top.chosenAcc);
      for (const t of top.backtrack) {
        if (!top.done.includes(t) && !top.sleepT.includes(t)) {
          top.chosen = t;
          top.chosenAcc = [];
          this.freshFrom = this.picks.length - 1;
          return true;
        }
      }
      nodes.pop();
      this.picks.pop();
    }
    return false;
  }
}

function has(a: Int32Array, n: number, t: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] === t) return true;
  return false;
}

/** Any enabled thread, for the redundant remainder of a blocked run: the current one if it can go on. */
function anyPick(enabled: Int32Array, n: number, current: number): number {
  return has(enabled, n, current) ? current : enabled[0]!;
}

function describe(nd: Node | undefined): string {
  if (nd === undefined) return 'nothing';
  if (nd instanceof DrawNode) return `draw(${nd.bound})`;
  return `a pick among [${Array.from(nd.enabled).join(', ')}]`;
}
