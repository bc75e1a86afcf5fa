import type { CompiledMachine } from './compile.js';

export interface CoverageSummary {
  machine: string;
  states: { hit: number; total: number; missed: string[] };
  transitions: { hit: number; total: number; missed: string[] };
}

// Long stress runs can exceed 2^32 hits on hot transitions; wrapping to 0
// would turn the most-exercised transition into a "missed" one.
const MAX = 0xffffffff;

export class Coverage {
  readonly stateHits: Uint32Array;
  /** Indexed s * events.length + e. */
  readonly transitionHits: Uint32Array;
  readonly machine: CompiledMachine;
  private readonly E: number;

  constructor(machine: CompiledMachine) {
    this.machine = machine;
    this.E = machine.events.length;
    this.stateHits = new Uint32Array(machine.states.length);
    this.transitionHits = new Uint32Array(machine.table.length);
  }

  /** Records being in `state` without a transition, e.g. an object's initial state. */
  visit(state: number): void {
    if (!(state >= 0 && state < this.stateHits.length)) {
      throw new RangeError(`${this.machine.id}: state ${state} out of range`);
    }
    if (this.stateHits[state]! !== MAX) this.stateHits[state]!++;
  }

  /**
   * Records the transition and the arrival in `to` (so callers visit() only
   * the initial state). A refused or mismatched transition throws: refusals
   * are violations reported elsewhere and must not be counted as coverage.
   */
  take(from: number, event: number, to: number): void {
    const E = this.E;
    if (!(from >= 0 && from < this.stateHits.length && event >= 0 && event < E)) {
      throw new RangeError(`${this.machine.id}: transition (${from}, ${event}) out of range`);
    }
    const i = from * E + event;
    const expected = this.machine.table[i]!;
    if (expected < 0 || expected !== to) {
      throw new Error(
        `${this.machine.id}: ${this.machine.states[from]} --${this.machine.events[event]}--> ${
          this.machine.states[to] ?? to
        } is not a transition of the machine (table says ${expected < 0 ? 'refused' : this.machine.states[expected]})`,
      );
    }
    if (this.transitionHits[i]! !== MAX) this.transitionHits[i]!++;
    if (this.stateHits[to]! !== MAX) this.stateHits[to]!++;
  }

  /** Adds `other`'s counts into this one, e.g. to combine per-worker coverage. */
  merge(other: Coverage): void {
    const a = this.machine;
    const b = other.machine;
    // Same id is not enough: a table compiled from an edited machine has different indices.
    if (
      a !== b &&
      (a.id !== b.id ||
        a.states.length !== b.states.length ||
        a.events.length !== b.events.length ||
        a.states.some((s, i) => s !== b.states[i]) ||
        a.events.some((e, i) => e !== b.events[i]) ||
        a.table.some((t, i) => t !== b.table[i]))
    ) {
      throw new Error(`cannot merge coverage of '${b.id}' into coverage of a different '${a.id}' machine`);
    }
    addSaturating(this.stateHits, other.stateHits);
    addSaturating(this.transitionHits, other.transitionHits);
  }

  summary(): CoverageSummary {
    const m = this.machine;
    const E = this.E;
    const states = { hit: 0, total: 0, missed: [] as string[] };
    const transitions = { hit: 0, total: 0, missed: [] as string[] };
    for (let s = 0; s < m.states.length; s++) {
      if (!m.reachable[s]) continue;
      states.total++;
      if (this.stateHits[s]! > 0) states.hit++;
      else states.missed.push(m.states[s]!);
      for (let e = 0; e < E; e++) {
        const t = m.table[s * E + e]!;
        if (t < 0) continue;
        transitions.total++;
        if (this.transitionHits[s * E + e]! > 0) transitions.hit++;
        else transitions.missed.push(`${m.states[s]} --${m.events[e]}--> ${m.states[t]}`);
      }
    }
    return { machine: m.id, states, transitions };
  }
}

function addSaturating(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < into.length; i++) {
    const sum = into[i]! + from[i]!;
    into[i] = sum > MAX ? MAX : sum;
  }
}
