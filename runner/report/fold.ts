// Object lifecycles, `users` counts and lifecycle-machine states at a given step, folded from
// the trace notes alone. Every change of these is noted by the engine (refcount_t helpers,
// alloc/finalize/remove/kfree, machineEvent), so the fold is exact for them; the structures
// the notes do not fully describe (igroup->hwpt after a detach, reservations removed) come from
// the replay observer instead (observe.ts).
import { DEVICE, HWPT } from '../../models/index.js';
import type { ParsedEvent } from './notes.js';

export type Life = 'reserved' | 'live' | 'removed' | 'freed';

export interface FoldedObject {
  label: string;
  users: number;
  life: Life;
}

export interface MachineInstance {
  machine: string;
  instance: string;
  state: string;
}

export interface FoldedState {
  objects: FoldedObject[];
  machines: MachineInstance[];
}

const OBJECT_LABEL = /^[A-Z_]+#\d+$/;

/** Numeric order of labels that end in #N, then by name ("IOAS#2" < "HW_PAGETABLE#5"). */
export function byLabel(a: string, b: string): number {
  const na = Number(/#(\d+)/.exec(a)?.[1] ?? -1);
  const nb = Number(/#(\d+)/.exec(b)?.[1] ?? -1);
  return na - nb || (a < b ? -1 : a > b ? 1 : 0);
}

/** One allocation of an id: a reused id has several, each with its own counts and HWPT machine. */
interface Incarnation {
  obj: FoldedObject;
  machine: MachineInstance | null;
}

/**
 * The state after every event of steps <= `upto`. Device machines exist from the start (the
 * topology's devices are `unbound` before their first event), so a device not yet moved shows
 * the state its first transition leaves; a HWPT machine exists from its alloc.
 *
 * A label names the latest allocation of its id, but an object removed from ctx->objects keeps
 * its label until it is freed, and the id may be allocated again meanwhile. The thread that
 * removes an object is the one that destroys and frees it (iommufd_object_remove and the
 * release walk call ops->destroy and kfree themselves), so that thread's notes on the label
 * belong to the removed object until its kfree; everyone else's to the latest allocation.
 * Every allocation is returned, in allocation order within a label (the last is the latest).
 */
export function foldTrace(events: readonly ParsedEvent[], upto: number): FoldedState {
  const all: FoldedObject[] = [];
  const current = new Map<string, Incarnation>();
  const dying = new Map<string, Incarnation>();
  const machines = new Map<string, MachineInstance>();
  const hwptInitial = HWPT.states[HWPT.initial]!;
  const target = (e: ParsedEvent, label: string) => dying.get(`${e.thread} ${label}`) ?? current.get(label);
  for (const e of events) {
    const n = e.note;
    if (n.kind === 'machine' && n.machine === DEVICE.id && !machines.has(`${n.machine} ${n.instance}`)) {
      machines.set(`${n.machine} ${n.instance}`, { machine: n.machine, instance: n.instance, state: n.from });
    }
  }
  for (const e of events) {
    if (e.step > upto) break;
    const n = e.note;
    switch (n.kind) {
      case 'alloc': {
        const obj: FoldedObject = { label: n.object, users: 1, life: 'reserved' };
        const machine = n.object.startsWith('HW_PAGETABLE#') ? { machine: HWPT.id, instance: n.object, state: hwptInitial } : null;
        all.push(obj);
        current.set(n.object, { obj, machine });
        break;
      }
      case 'finalize': {
        const o = target(e, n.object);
        if (o) o.obj.life = 'live';
        break;
      }
      case 'remove': {
        const o = current.get(n.object);
        if (o) {
          o.obj.life = 'removed';
          o.obj.users = 0;
          dying.set(`${e.thread} ${n.object}`, o);
        }
        break;
      }
      case 'kfree': {
        const o = target(e, n.object);
        if (o) o.obj.life = 'freed';
        dying.delete(`${e.thread} ${n.object}`);
        break;
      }
      case 'refcount': {
        if (!OBJECT_LABEL.test(n.object)) break;
        const o = target(e, n.object);
        if (o) o.obj.users = n.to;
        else {
          // An object the trace never saw allocated: live, with the count the note gives.
          const obj: FoldedObject = { label: n.object, users: n.to, life: 'live' };
          all.push(obj);
          current.set(n.object, { obj, machine: null });
        }
        break;
      }
      case 'machine': {
        const o = n.machine === HWPT.id ? target(e, n.instance) : undefined;
        if (o?.machine) o.machine.state = n.to;
        else machines.set(`${n.machine} ${n.instance}`, { machine: n.machine, instance: n.instance, state: n.to });
        break;
      }
      default:
        break;
    }
  }
  // Array.prototype.sort is stable: a label's allocations stay in allocation order.
  const sortedObjects = all.sort((a, b) => byLabel(a.label, b.label));
  for (const o of current.values()) if (o.machine) machines.set(`${o.machine.machine} ${o.machine.instance}`, o.machine);
  const sortedMachines = [...machines.values()].sort(
    (a, b) => (a.machine < b.machine ? -1 : a.machine > b.machine ? 1 : byLabel(a.instance, b.instance)),
  );
  return { objects: sortedObjects, machines: sortedMachines };
}

/** Transitions taken in the run, per machine, as "from --EVENT--> to" keys (for the tables). */
export function transitionsTaken(events: readonly ParsedEvent[], upto: number): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.step > upto) break;
    const n = e.note;
    if (n.kind !== 'machine') continue;
    let s = out.get(n.machine);
    if (!s) out.set(n.machine, (s = new Set()));
    s.add(`${n.from} --${n.event}--> ${n.to}`);
  }
  return out;
}
