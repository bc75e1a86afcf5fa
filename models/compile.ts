import { getInitialSnapshot, getNextSnapshot, type AnyStateMachine, type AnyStateNode } from 'xstate';

export interface CompiledMachine {
  readonly id: string;
  /** State names in definition order; index = state number. */
  readonly states: readonly string[];
  /** Event names; index = event number, same order as the array given to compileMachine. */
  readonly events: readonly string[];
  readonly initial: number;
  /** states.length * events.length; table[s * events.length + e] = next state, or -1 if refused. */
  readonly table: Int16Array;
  readonly final: readonly boolean[];
  /**
   * Whether the state can be reached from `initial`. Rows of unreachable
   * states are all -1, and coverage does not count them as missed.
   */
  readonly reachable: readonly boolean[];
}

/**
 * Checks the parts of a machine a transition table cannot represent, so that
 * the table is exactly the machine rather than an approximation of it.
 */
function checkRepresentable(machine: AnyStateMachine, events: ReadonlySet<string>): void {
  const where = `machine '${machine.id}'`;
  const nodes: AnyStateNode[] = [machine.root, ...Object.values(machine.root.states)];
  if (Object.keys(machine.root.states).length === 0) {
    throw new Error(`${where}: has no states`);
  }
  if (machine.root.type !== 'compound') {
    throw new Error(`${where}: root must be a compound state, got '${machine.root.type}'`);
  }
  for (const node of nodes) {
    const name = node === machine.root ? '(root)' : node.key;
    if (node !== machine.root && node.type !== 'atomic' && node.type !== 'final') {
      // Nested or parallel states make the state value an object, which has no table row.
      throw new Error(`${where}: state '${name}' is ${node.type}; only flat machines can be compiled`);
    }
    if (node.always !== undefined && node.always.length > 0) {
      // An eventless transition would make some states transient, reached by no table entry.
      throw new Error(`${where}: state '${name}' has eventless (always) transitions`);
    }
    if (node.after.length > 0) {
      // Delayed transitions need timers; the hot path is driven only by kernel events.
      throw new Error(`${where}: state '${name}' has delayed (after) transitions`);
    }
    if (node.invoke.length > 0) {
      throw new Error(`${where}: state '${name}' invokes actors`);
    }
    for (const [descriptor, transitions] of node.transitions) {
      // Wildcards ('*', 'a.*') and events outside the list would be accepted by
      // the machine but have no column, so the table would refuse them.
      if (!events.has(descriptor)) {
        throw new Error(`${where}: state '${name}' handles '${descriptor}', which is not in the event list`);
      }
      for (const t of transitions) {
        if (t.guard !== undefined) {
          // The outcome would depend on context, which a table lookup does not see.
          throw new Error(`${where}: state '${name}' has a guarded transition on '${descriptor}'`);
        }
      }
    }
  }
}

/**
 * Builds the lookup table by asking XState itself (can + getNextSnapshot) in
 * every reachable state, so the table cannot diverge from the spec machine.
 */
export function compileMachine(machine: AnyStateMachine, events: readonly string[]): CompiledMachine {
  const where = `machine '${machine.id}'`;
  const eventSet = new Set(events);
  if (eventSet.size !== events.length) {
    throw new Error(`${where}: duplicate event names in ${JSON.stringify(events)}`);
  }
  checkRepresentable(machine, eventSet);

  const states = Object.keys(machine.root.states);
  if (states.length > 0x7fff) {
    throw new Error(`${where}: too many states for an Int16Array table`);
  }
  const index = new Map<string, number>();
  states.forEach((s, i) => index.set(s, i));
  const E = events.length;
  const table = new Int16Array(states.length * E).fill(-1);
  const final = states.map((s) => machine.root.states[s]!.type === 'final');
  const reachable = states.map(() => false);

  const stateOf = (value: unknown, context: string): number => {
    if (typeof value !== 'string') {
      throw new Error(`${where}: ${context} has non-flat state value ${JSON.stringify(value)}`);
    }
    const i = index.get(value);
    if (i === undefined) {
      throw new Error(`${where}: ${context} reached '${value}', which is not a top-level state`);
    }
    return i;
  };

  const start = getInitialSnapshot(machine);
  const initial = stateOf(start.value, 'initial snapshot');
  const snapshots: (typeof start)[] = [];
  snapshots[initial] = start;
  reachable[initial] = true;
  const queue: number[] = [initial];
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    const snap = snapshots[s]!;
    for (let e = 0; e < E; e++) {
      const event = { type: events[e]! };
      if (!snap.can(event)) continue;
      const next = getNextSnapshot(machine, snap, event);
      const t = stateOf(next.value, `'${states[s]}' --${events[e]}-->`);
      table[s * E + e] = t;
      if (!reachable[t]) {
        reachable[t] = true;
        snapshots[t] = next;
        queue.push(t);
      }
    }
  }

  for (let s = 0; s < states.length; s++) {
    if (!reachable[s]) continue;
    const own = machine.root.states[states[s]!]!.ownEvents as readonly string[];
    for (const ev of own) {
      const e = events.indexOf(ev);
      if (e < 0 || table[s * E + e]! < 0) {
        throw new Error(`${where}: reachable state '${states[s]}' accepts '${ev}' but the table does not cover it`);
      }
    }
  }

  return {
    id: machine.id,
    states: Object.freeze(states),
    events: Object.freeze([...events]),
    initial,
    table,
    final: Object.freeze(final),
    reachable: Object.freeze(reachable),
  };
}

/** Next state, or -1 if the machine refuses `event` in `state`. */
export function step(m: CompiledMachine, state: number, event: number): number {
  const E = m.events.length;
  // Out-of-range numbers would silently read another row or undefined.
  if (state < 0 || state >= m.states.length || event < 0 || event >= E) return -1;
  return m.table[state * E + event]!;
}
