import { describe, expect, it } from 'vitest';
import { createMachine, getInitialSnapshot, getNextSnapshot, type AnyStateMachine } from 'xstate';
import {
  DEVICE,
  DEVICE_EVENTS,
  DevEv,
  DevSt,
  HWPT,
  HWPT_EVENTS,
  HwptEv,
  HwptSt,
  compileMachine,
  deviceMachine,
  hwptMachine,
  step,
  type CompiledMachine,
} from '../../models/index.js';

const cases: [string, AnyStateMachine, CompiledMachine, readonly string[]][] = [
  ['device', deviceMachine, DEVICE, DEVICE_EVENTS],
  ['hwpt', hwptMachine, HWPT, HWPT_EVENTS],
];

describe.each(cases)('compiled %s table agrees with XState', (_name, machine, compiled, events) => {
  // State names come from the machine definition, not from the compiled list,
  // so a state the compiler dropped would still be checked here.
  const stateNames = Object.keys(machine.root.states);

  it('has the machine states, events, initial state and final flags', () => {
    expect(compiled.id).toBe(machine.id);
    expect(compiled.states).toEqual(stateNames);
    expect(compiled.events).toEqual(events);
    expect(compiled.states[compiled.initial]).toBe(getInitialSnapshot(machine).value);
    expect(compiled.final).toEqual(stateNames.map((s) => machine.root.states[s]!.type === 'final'));
    expect(compiled.table.length).toBe(stateNames.length * events.length);
    // Both spec machines are expected to have no dead states.
    expect(compiled.reachable.every((r) => r)).toBe(true);
  });

  for (const state of stateNames) {
    for (const type of events) {
      it(`${state} + ${type}`, () => {
        const snap = machine.resolveState({ value: state, context: undefined });
        const s = compiled.states.indexOf(state);
        const e = compiled.events.indexOf(type);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(e).toBeGreaterThanOrEqual(0);
        const got = step(compiled, s, e);
        if (snap.can({ type })) {
          const next = getNextSnapshot(machine, snap, { type });
          expect(got).toBeGreaterThanOrEqual(0);
          expect(compiled.states[got]).toBe(next.value);
        } else {
          expect(got).toBe(-1);
        }
      });
    }
  }
});

describe('numeric constants', () => {
  it('event constants match the event arrays', () => {
    for (const [name, i] of Object.entries(DevEv)) expect(DEVICE.events[i]).toBe(name);
    for (const [name, i] of Object.entries(HwptEv)) expect(HWPT.events[i]).toBe(name);
    expect(Object.keys(DevEv)).toEqual([...DEVICE_EVENTS]);
    expect(Object.keys(HwptEv)).toEqual([...HWPT_EVENTS]);
  });

  it('state constants match the compiled state names', () => {
    for (const [name, i] of Object.entries(DevSt)) expect(DEVICE.states[i]).toBe(name);
    for (const [name, i] of Object.entries(HwptSt)) expect(HWPT.states[i]).toBe(name);
    expect(Object.keys(DevSt).sort()).toEqual([...DEVICE.states].sort());
    expect(Object.keys(HwptSt).sort()).toEqual([...HWPT.states].sort());
    expect(DEVICE.initial).toBe(DevSt.unbound);
    expect(HWPT.initial).toBe(HwptSt.reserved);
  });
});

describe('step', () => {
  it('refuses out-of-range state and event numbers', () => {
    expect(step(DEVICE, -1, DevEv.BIND)).toBe(-1);
    expect(step(DEVICE, DEVICE.states.length, DevEv.BIND)).toBe(-1);
    expect(step(DEVICE, DevSt.unbound, -1)).toBe(-1);
    expect(step(DEVICE, DevSt.unbound, DEVICE.events.length)).toBe(-1);
  });
});

describe('compileMachine rejects what a table cannot represent', () => {
  it('nested states', () => {
    const m = createMachine({
      id: 'nested',
      initial: 'a',
      states: { a: { initial: 'x', states: { x: { on: { GO: 'y' } }, y: {} } } },
    });
    expect(() => compileMachine(m, ['GO'])).toThrow(/compound.*flat/);
  });

  it('parallel root', () => {
    const m = createMachine({ id: 'par', type: 'parallel', states: { a: {}, b: {} } });
    expect(() => compileMachine(m, [])).toThrow(/root must be a compound/);
  });

  it('an event handled by the machine but missing from the list', () => {
    const m = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b', OTHER: 'a' } }, b: {} } });
    expect(() => compileMachine(m, ['GO'])).toThrow(/'OTHER'.*not in the event list/);
  });

  it('wildcard transitions', () => {
    const m = createMachine({ id: 'm', initial: 'a', states: { a: { on: { '*': 'b' } }, b: {} } });
    expect(() => compileMachine(m, ['GO'])).toThrow(/'\*'/);
  });

  it('guarded transitions', () => {
    const m = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: { target: 'b', guard: () => true } } }, b: {} },
    });
    expect(() => compileMachine(m, ['GO'])).toThrow(/guarded/);
  });

  it('eventless and delayed transitions', () => {
    const always = createMachine({ id: 'm', initial: 'a', states: { a: { always: 'b' }, b: {} } });
    expect(() => compileMachine(always, [])).toThrow(/always/);
    const after = createMachine({ id: 'm', initial: 'a', states: { a: { after: { 10: 'b' } }, b: {} } });
    expect(() => compileMachine(after, [])).toThrow(/after/);
  });

  it('duplicate event names', () => {
    expect(() => compileMachine(deviceMachine, ['BIND', 'BIND'])).toThrow(/duplicate/);
  });
});

describe('compileMachine on small machines', () => {
  it('keeps unreachable states with an all-refused row', () => {
    const m = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: 'b' } }, b: { type: 'final' }, dead: { on: { GO: 'a' } } },
    });
    const c = compileMachine(m, ['GO', 'UNUSED']);
    expect(c.states).toEqual(['a', 'b', 'dead']);
    expect(c.reachable).toEqual([true, true, false]);
    expect(c.final).toEqual([false, true, false]);
    expect(Array.from(c.table)).toEqual([1, -1, -1, -1, -1, -1]);
  });

  it('maps root-level transitions into every reachable state', () => {
    const m = createMachine({
      id: 'm',
      initial: 'a',
      on: { RESET: '.a' },
      states: { a: { on: { GO: 'b' } }, b: {} },
    });
    const c = compileMachine(m, ['GO', 'RESET']);
    expect(Array.from(c.table)).toEqual([1, 0, -1, 0]);
  });

  it('follows the order of the given event list, not the machine', () => {
    const c = compileMachine(deviceMachine, [...DEVICE_EVENTS].reverse());
    expect(step(c, c.states.indexOf('unbound'), c.events.indexOf('BIND'))).toBe(c.states.indexOf('bound'));
    expect(c.events[0]).toBe('UNBIND');
  });
});
