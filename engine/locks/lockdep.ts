/**
 * A lockdep-like lock-order validator.
 *
 * Like the kernel's lockdep it reasons about lock CLASSES, not instances: once
 * any thread has block-acquired class B while holding class A, the order A -> B
 * is part of the run's history, and a later B -> A anywhere (any thread, any
 * instances) is reported as a possible deadlock even if this particular
 * interleaving did not hang. This finds ABBA bugs that the scheduler happened
 * not to hit, at the price of false positives when distinct objects share a
 * class (which is exactly why iommufd split destroy_rwsem per object type).
 *
 * The hot path (beforeAcquire / acquired / released) only touches typed arrays
 * and bitmasks; strings and objects are built only for new edges (rare) and
 * for reports.
 */

export type LockMode = 0 | 1;

export interface LockRef {
  readonly cls: number;
  readonly name: string;
}

/** A 32-bit adjacency mask per class keeps reachability checks branch-light. */
const MAX_CLASSES = 32;

export class LockClasses {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  intern(name: string): number {
    const existing = this.ids.get(name);
    if (existing !== undefined) return existing;
    if (this.names.length >= MAX_CLASSES) {
      throw new Error(
        `LockClasses: cannot intern "${name}": at most ${MAX_CLASSES} lock classes are supported`,
      );
    }
    const id = this.names.length;
    this.ids.set(name, id);
    this.names.push(name);
    return id;
  }

  name(id: number): string {
    const n = this.names[id];
    if (n === undefined) throw new Error(`LockClasses: unknown class id ${id}`);
    return n;
  }

  get size(): number {
    return this.names.length;
  }
}

export interface HeldLock {
  readonly lock: LockRef;
  readonly mode: LockMode;
  readonly trylock: boolean;
  readonly step: number;
}

export interface DependencyEdge {
  from: string;
  to: string;
  thread: number;
  step: number;
  heldLock: string;
  acquiredLock: string;
}

export interface LockdepReport {
  kind: 'circular' | 'recursive';
  thread: number;
  step: number;
  acquiring: { lock: string; cls: string; mode: 'read' | 'write' };
  held: Array<{ lock: string; cls: string; mode: 'read' | 'write'; trylock: boolean; step: number }>;
  chain: DependencyEdge[];
  message: string;
}

/** Matches the kernel's MAX_LOCK_DEPTH; stacks grow past it rather than failing. */
const INITIAL_DEPTH = 48;

/**
 * One thread's held stack as parallel arrays so push/pop never allocates.
 * `locks` keeps the LockRef so held()/reports can name the instance.
 */
class HeldStack {
  depth = 0;
  cls = new Uint8Array(INITIAL_DEPTH);
  mode = new Uint8Array(INITIAL_DEPTH);
  trylock = new Uint8Array(INITIAL_DEPTH);
  step = new Float64Array(INITIAL_DEPTH);
  locks: (LockRef | null)[] = new Array<LockRef | null>(INITIAL_DEPTH).fill(null);

  grow(): void {
    const cap = this.cls.length * 2;
    const cls = new Uint8Array(cap);
    cls.set(this.cls);
    const mode = new Uint8Array(cap);
    mode.set(this.mode);
    const trylock = new Uint8Array(cap);
    trylock.set(this.trylock);
    const step = new Float64Array(cap);
    step.set(this.step);
    for (let i = this.locks.length; i < cap; i++) this.locks.push(null);
    this.cls = cls;
    this.mode = mode;
    this.trylock = trylock;
    this.step = step;
  }
}

function sameLock(a: LockRef, b: LockRef): boolean {
  // Identity first: callers normally reuse one LockRef per instance, and the
  // name comparison is only a fallback for freshly built refs.
  return a === b || (a.cls === b.cls && a.name === b.name);
}

function modeName(m: number): 'read' | 'write' {
  return m === 0 ? 'read' : 'write';
}

export class Lockdep {
  private readonly classes: LockClasses;
  private readonly maxThreads: number;
  private readonly stacks: HeldStack[];
  /** counts[t * 32 + cls]: how many locks of cls thread t holds (O(1) recursion check). */
  private readonly counts: Uint32Array;
  /** Locks of each class held across all threads, to short-circuit heldByAnyone. */
  private readonly globalCounts = new Uint32Array(MAX_CLASSES);
  /** adj[from] has bit `to` once from -> to has been recorded. */
  private readonly adj = new Uint32Array(MAX_CLASSES);
  /** First record of each edge, indexed from * 32 + to, so reports can print the path. */
  private readonly edgeRec: (DependencyEdge | undefined)[] = new Array<DependencyEdge | undefined>(
    MAX_CLASSES * MAX_CLASSES,
  ).fill(undefined);
  /** Recorded edge slots in insertion order; lets reset() clear only what was used. */
  private readonly edgeOrder: number[] = [];
  // Scratch for the BFS run on each new edge; preallocated so it never allocates.
  private readonly bfsParent = new Int8Array(MAX_CLASSES);
  private readonly bfsQueue = new Uint8Array(MAX_CLASSES);

  constructor(classes: LockClasses, maxThreads: number) {
    if (!Number.isInteger(maxThreads) || maxThreads <= 0) {
      throw new Error(`Lockdep: maxThreads must be a positive integer, got ${maxThreads}`);
    }
    this.classes = classes;
    this.maxThreads = maxThreads;
    this.stacks = [];
    for (let t = 0; t < maxThreads; t++) this.stacks.push(new HeldStack());
    this.counts = new Uint32Array(maxThreads * MAX_CLASSES);
  }

  reset(): void {
    this.adj.fill(0);
    const order = this.edgeOrder;
    for (let i = 0; i < order.length; i++) this.edgeRec[order[i]!] = undefined;
    order.length = 0;
    for (let t = 0; t < this.maxThreads; t++) {
      const s = this.stacks[t]!;
      // Drop references so objects from the previous run can be collected.
      for (let i = 0; i < s.depth; i++) s.locks[i] = null;
      s.depth = 0;
    }
    this.counts.fill(0);
    this.globalCounts.fill(0);
  }

  beforeAcquire(t: number, l: LockRef, mode: LockMode, step: number): LockdepReport | null {
    const s = this.stack(t);
    const to = l.cls;
    let report: LockdepReport | null = null;

    if (this.counts[t * MAX_CLASSES + to] !== 0) {
      report = this.recursiveReport(t, s, l, mode, step);
    }

    const toBit = 1 << to;
    // Classes already visited in this call: a class held twice yields one edge.
    let done = toBit;
    const depth = s.depth;
    for (let i = 0; i < depth; i++) {
      const from = s.cls[i]!;
      const fromBit = 1 << from;
      if ((done & fromBit) !== 0) continue;
      done |= fromBit;
      if ((this.adj[from]! & toBit) !== 0) continue;

      // New edge: rare, so allocating the record and searching the graph is fine.
      const edge: DependencyEdge = {
        from: this.classes.name(from),
        to: this.classes.name(to),
        thread: t,
        step,
        heldLock: s.locks[i]!.name,
        acquiredLock: l.name,
      };
      const path = report === null ? this.findPath(to, from) : null;
      // The closing edge is recorded too, so the same inversion is reported once per run.
      this.adj[from] = this.adj[from]! | toBit;
      const slot = from * MAX_CLASSES + to;
      this.edgeRec[slot] = edge;
      this.edgeOrder.push(slot);
      if (path !== null) report = this.circularReport(t, s, i, l, mode, step, path, edge);
    }
    return report;
  }

  acquired(t: number, l: LockRef, mode: LockMode, trylock: boolean, step: number): void {
    const s = this.stack(t);
    const d = s.depth;
    if (d === s.cls.length) s.grow();
    s.cls[d] = l.cls;
    s.mode[d] = mode;
    s.trylock[d] = trylock ? 1 : 0;
    s.step[d] = step;
    s.locks[d] = l;
    s.depth = d + 1;
    this.counts[t * MAX_CLASSES + l.cls]!++;
    this.globalCounts[l.cls]!++;
  }

  released(t: number, l: LockRef): void {
    const s = this.stack(t);
    // Search from the top: the most recent acquisition is by far the common release.
    let i = s.depth - 1;
    while (i >= 0 && !sameLock(s.locks[i]!, l)) i--;
    if (i < 0) {
      // The kernel's "bad unlock balance": a model bug, not a locking-order finding.
      throw new Error(`Lockdep: thread ${t} released ${l.name}, which it does not hold`);
    }
    const last = s.depth - 1;
    for (let j = i; j < last; j++) {
      s.cls[j] = s.cls[j + 1]!;
      s.mode[j] = s.mode[j + 1]!;
      s.trylock[j] = s.trylock[j + 1]!;
      s.step[j] = s.step[j + 1]!;
      s.locks[j] = s.locks[j + 1]!;
    }
    s.locks[last] = null;
    s.depth = last;
    this.counts[t * MAX_CLASSES + l.cls]!--;
    this.globalCounts[l.cls]!--;
  }

  /** Builds fresh objects on every call; meant for assertions and reports, not the hot path. */
  held(t: number): readonly HeldLock[] {
    const s = this.stack(t);
    const out: HeldLock[] = [];
    for (let i = 0; i < s.depth; i++) {
      out.push({
        lock: s.locks[i]!,
        mode: s.mode[i]! as LockMode,
        trylock: s.trylock[i] === 1,
        step: s.step[i]!,
      });
    }
    return out;
  }

  isHeld(t: number, l: LockRef): boolean {
    if (this.counts[t * MAX_CLASSES + l.cls] === 0) return false;
    const s = this.stack(t);
    for (let i = s.depth - 1; i >= 0; i--) if (sameLock(s.locks[i]!, l)) return true;
    return false;
  }

  heldByAnyone(l: LockRef): boolean {
    if (this.globalCounts[l.cls] === 0) return false;
    for (let t = 0; t < this.maxThreads; t++) {
      if (this.counts[t * MAX_CLASSES + l.cls] === 0) continue;
      const s = this.stacks[t]!;
      for (let i = s.depth - 1; i >= 0; i--) if (sameLock(s.locks[i]!, l)) return true;
    }
    return false;
  }

  edges(): DependencyEdge[] {
    const out: DependencyEdge[] = [];
    for (const slot of this.edgeOrder) out.push({ ...this.edgeRec[slot]! });
    return out;
  }

  private stack(t: number): HeldStack {
    const s = this.stacks[t];
    if (s === undefined) {
      throw new Error(`Lockdep: thread ${t} out of range (maxThreads ${this.maxThreads})`);
    }
    return s;
  }

  /**
   * Shortest recorded path src -> ... -> dst (BFS in class-id order, so the
   * chain printed is deterministic), or null if dst is unreachable.
   */
  private findPath(src: number, dst: number): DependencyEdge[] | null {
    const parent = this.bfsParent;
    const queue = this.bfsQueue;
    parent.fill(-1);
    let visited = 1 << src;
    let head = 0;
    let tail = 0;
    queue[tail++] = src;
    while (head < tail) {
      const c = queue[head++]!;
      if (c === dst) break;
      let next = this.adj[c]! & ~visited;
      while (next !== 0) {
        const n = 31 - Math.clz32(next & -next);
        next &= next - 1;
        visited |= 1 << n;
        parent[n] = c;
        queue[tail++] = n;
      }
    }
    if ((visited & (1 << dst)) === 0) return null;
    const path: DependencyEdge[] = [];
    for (let c = dst; c !== src; ) {
      const p = parent[c]!;
      path.push({ ...this.edgeRec[p * MAX_CLASSES + c]! });
      c = p;
    }
    return path.reverse();
  }

  private heldList(s: HeldStack): LockdepReport['held'] {
    const out: LockdepReport['held'] = [];
    for (let i = 0; i < s.depth; i++) {
      out.push({
        lock: s.locks[i]!.name,
        cls: this.classes.name(s.cls[i]!),
        mode: modeName(s.mode[i]!),
        trylock: s.trylock[i] === 1,
        step: s.step[i]!,
      });
    }
    return out;
  }

  private describe(lock: string, cls: string, mode: number, extra = ''): string {
    return `${lock} (${cls}){${modeName(mode)}${extra}}`;
  }

  private heldLines(t: number, held: LockdepReport['held']): string[] {
    const lines = [`${held.length} lock${held.length === 1 ? '' : 's'} held by thread ${t}:`];
    held.forEach((h, i) => {
      lines.push(` #${i}: ${h.lock} (${h.cls}){${h.mode}${h.trylock ? ',trylock' : ''}}, at step ${h.step}`);
    });
    return lines;
  }

  private recursiveReport(
    t: number,
    s: HeldStack,
    l: LockRef,
    mode: LockMode,
    step: number,
  ): LockdepReport {
    // Prefer the very same instance (a self-deadlock) over a sibling of the class.
    let idx = -1;
    for (let i = s.depth - 1; i >= 0; i--) {
      if (s.cls[i] !== l.cls) continue;
      if (sameLock(s.locks[i]!, l)) {
        idx = i;
        break;
      }
      if (idx < 0) idx = i;
    }
    const cls = this.classes.name(l.cls);
    const heldLock = s.locks[idx]!;
    const held = this.heldList(s);
    const chain: DependencyEdge[] = [
      {
        from: cls,
        to: cls,
        thread: t,
        step: s.step[idx]!,
        heldLock: heldLock.name,
        acquiredLock: l.name,
      },
    ];
    const heldTry = s.trylock[idx] === 1 ? ',trylock' : '';
    const bar = '============================================';
    const lines = [
      bar,
      'WARNING: possible recursive locking detected',
      '--------------------------------------------',
      `thread ${t} is trying to acquire lock at step ${step}:`,
      ` ${this.describe(l.name, cls, mode)}`,
      '',
      'but thread is already holding lock:',
      ` ${this.describe(heldLock.name, cls, s.mode[idx]!, heldTry)}, acquired at step ${s.step[idx]!}`,
      '',
      heldLock === l || heldLock.name === l.name
        ? 'which is the same lock instance (self-deadlock).'
        : `which is a different instance of the same class ${cls}.`,
      '',
      'other info that might help us debug this:',
      ' Possible unsafe locking scenario:',
      '',
      '       CPU0',
      '       ----',
      `  lock(${cls});`,
      `  lock(${cls});`,
      '',
      ' *** DEADLOCK ***',
      '',
      ' May be due to missing lock nesting notation',
      '',
      ...this.heldLines(t, held),
    ];
    return {
      kind: 'recursive',
      thread: t,
      step,
      acquiring: { lock: l.name, cls, mode: modeName(mode) },
      held,
      chain,
      message: lines.join('\n'),
    };
  }

  private circularReport(
    t: number,
    s: HeldStack,
    heldIdx: number,
    l: LockRef,
    mode: LockMode,
    step: number,
    path: DependencyEdge[],
    edge: DependencyEdge,
  ): LockdepReport {
    const target = this.classes.name(l.cls);
    const source = this.classes.name(s.cls[heldIdx]!);
    const heldLock = s.locks[heldIdx]!;
    const held = this.heldList(s);
    const chain = [...path, { ...edge }];
    // The class that, in the recorded chain, was held when `source` was taken.
    const parent = path[path.length - 1]!.from;
    const heldTry = s.trylock[heldIdx] === 1 ? ',trylock' : '';
    const lines = [
      '======================================================',
      'WARNING: possible circular locking dependency detected',
      '------------------------------------------------------',
      `thread ${t} is trying to acquire lock at step ${step}:`,
      ` ${this.describe(l.name, target, mode)}`,
      '',
      'but thread is already holding lock:',
      ` ${this.describe(heldLock.name, source, s.mode[heldIdx]!, heldTry)}, acquired at step ${s.step[heldIdx]!}`,
      '',
      'which lock already depends on the new lock.',
      '',
      'the existing dependency chain (in reverse order) is:',
      '',
    ];
    // Kernel order: oldest link first, counting down to #0, the link being added now.
    const n = chain.length;
    for (let k = 0; k < n; k++) {
      const e = chain[k]!;
      const label = k === n - 1 ? 'new dependency' : 'recorded';
      lines.push(`-> #${n - 1 - k} (${e.to}):`);
      lines.push(
        `       ${label}: ${e.from} -> ${e.to} by thread ${e.thread} at step ${e.step}` +
          ` (held ${e.heldLock}, acquiring ${e.acquiredLock})`,
      );
      lines.push('');
    }
    lines.push(
      'other info that might help us debug this:',
      '',
      ...(n > 2 ? [`Chain exists of:`, `  ${chain.map((e) => e.from).join(' --> ')} --> ${target}`, ''] : []),
      ' Possible unsafe locking scenario:',
      '',
      '       CPU0                    CPU1',
      '       ----                    ----',
      `  lock(${source});`,
      `                               lock(${parent});`,
      `                               lock(${source});`,
      `  lock(${target});`,
      '',
      ' *** DEADLOCK ***',
      '',
      ...this.heldLines(t, held),
    );
    return {
      kind: 'circular',
      thread: t,
      step,
      acquiring: { lock: l.name, cls: target, mode: modeName(mode) },
      held,
      chain,
      message: lines.join('\n'),
    };
  }
}
