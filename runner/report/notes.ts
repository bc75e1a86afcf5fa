// The grammar of the kernel's trace notes (engine/*.ts `k.note`, locks' `traceLock`, the
// executor's op markers). Reports only see documents, whose trace is text: this is the one place
// that knows how that text is shaped, so a change of wording breaks one parser and its tests.
import type { TraceEvent } from '../../engine/kernel.js';

export type LockVerb = 'lock' | 'unlock' | 'down_read_trylock' | 'up_read' | 'down_write' | 'up_write' | 'down_write_trylock';

export type Note =
  | { kind: 'op-start'; op: string }
  | { kind: 'op-end'; op: string; result: string }
  | { kind: 'acquire'; lock: string; verb: LockVerb; mode: 'read' | 'write'; trylock: boolean }
  | { kind: 'release'; lock: string; verb: LockVerb }
  | { kind: 'refcount'; object: string; from: number; to: number; why: string }
  | { kind: 'machine'; machine: string; instance: string; from: string; event: string; to: string }
  | { kind: 'alloc'; object: string }
  | { kind: 'finalize'; object: string }
  | { kind: 'remove'; object: string }
  | { kind: 'kfree'; object: string }
  | { kind: 'fault'; point: string; errno: string }
  | { kind: 'other' };

const ACQUIRE: Record<string, { mode: 'read' | 'write'; trylock: boolean }> = {
  lock: { mode: 'write', trylock: false },
  down_write: { mode: 'write', trylock: false },
  down_read_trylock: { mode: 'read', trylock: true },
  down_write_trylock: { mode: 'write', trylock: true },
};
const RELEASE = new Set(['unlock', 'up_read', 'up_write']);

const OP_END = /^<< (.*) = (\S+)$/;
const LOCK = /^(lock|unlock|down_read_trylock|up_read|down_write|up_write|down_write_trylock) (\S+)$/;
const REFCOUNT = /^(\S+)\.users (\d+) -> (\d+) \((.*)\)$/;
const MACHINE = /^\[(\S+) (.+)\] (\S+) --(\S+)--> (\S+)$/;
const ALLOC = /^alloc (\S+) \(reserved\)$/;
const FINALIZE = /^finalize (\S+)$/;
const REMOVE = /^remove (\S+) from ctx->objects$/;
const KFREE = /^kfree (.+)$/;
const FAULT = /^FAULT (\S+) -> (\S+)/;

export function parseNote(text: string): Note {
  if (text.startsWith('>> ')) return { kind: 'op-start', op: text.slice(3) };
  let m = OP_END.exec(text);
  if (m) return { kind: 'op-end', op: m[1]!, result: m[2]! };
  m = LOCK.exec(text);
  if (m) {
    const verb = m[1] as LockVerb;
    const acq = ACQUIRE[verb];
    if (acq) return { kind: 'acquire', lock: m[2]!, verb, ...acq };
    if (RELEASE.has(verb)) return { kind: 'release', lock: m[2]!, verb };
  }
  m = REFCOUNT.exec(text);
  if (m) return { kind: 'refcount', object: m[1]!, from: Number(m[2]), to: Number(m[3]), why: m[4]! };
  m = MACHINE.exec(text);
  if (m) return { kind: 'machine', machine: m[1]!, instance: m[2]!, from: m[3]!, event: m[4]!, to: m[5]! };
  m = ALLOC.exec(text);
  if (m) return { kind: 'alloc', object: m[1]! };
  m = FINALIZE.exec(text);
  if (m) return { kind: 'finalize', object: m[1]! };
  m = REMOVE.exec(text);
  if (m) return { kind: 'remove', object: m[1]! };
  m = KFREE.exec(text);
  if (m) return { kind: 'kfree', object: m[1]! };
  m = FAULT.exec(text);
  if (m) return { kind: 'fault', point: m[1]!, errno: m[2]! };
  return { kind: 'other' };
}

export interface ParsedEvent extends TraceEvent {
  /** Position in the trace: events of one step keep their order. */
  index: number;
  note: Note;
}

export function parseTrace(trace: readonly TraceEvent[]): ParsedEvent[] {
  return trace.map((e, index) => ({ ...e, index, note: parseNote(e.text) }));
}

/** The lock class a lock instance name stands for, for colours and legends ("igroup#12->lock" -> "igroup->lock"). */
export function lockFamily(lock: string): string {
  return lock.replace(/#\d+/g, '');
}

/** The operation's name in a describeOp() string ("mock_domain(pt=ioas0) -> m0" -> "mock_domain"). */
export function opName(desc: string): string {
  return /^[a-z_]+/.exec(desc)?.[0] ?? desc;
}
